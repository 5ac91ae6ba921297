package worker_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

// TestChangesAfterPlanningAreHonouredAtSendTime launches two campaigns,
// then changes what customers want (consent, channel, windows, erasure)
// and lets content expire, and only then starts the pipeline: nothing is
// sent against the new state, and each delivery says why.
func TestChangesAfterPlanningAreHonouredAtSendTime(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		h := newHarness(t, 500)
		const zone = "Europe/London"
		for _, ext := range []string{"keep", "withdrawn", "moved", "window", "erased"} {
			h.customer(ext, "changes", models.ChannelEmail, zone, nil)
		}
		h.customer("expiring", "expiring", models.ChannelWebhook, zone, nil)
		camp := h.launch(h.content("Pay by transfer", nil), "changes")
		expires := time.Now().Add(1500 * time.Millisecond).UTC()
		expiring := h.launch(h.content("Prices this week", &expires), "expiring")
		if camp.Planned != 5 || expiring.Planned != 1 {
			t.Fatalf("planned %d and %d, want 5 and 1", camp.Planned, expiring.Planned)
		}

		h.consent("withdrawn", models.ConsentOptedOut)
		h.customer("moved", "changes", models.ChannelSMS, zone, nil)
		loc, _ := time.LoadLocation(zone)
		tomorrow := strings.ToLower(time.Now().In(loc).AddDate(0, 0, 1).Weekday().String()[:3])
		h.customer("window", "changes", models.ChannelEmail, zone, func(in *models.CustomerInput) {
			in.PreferredWindows = []models.Window{{Days: []string{tomorrow}, Start: "00:00", End: "24:00"}}
		})
		if err := h.s.EraseCustomer(ctx, "erased"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the content expired", func() bool { return time.Now().After(expires) })

		h.start()
		want := map[string]string{"keep": "sent", "withdrawn": "skipped/consent_withdrawn", "moved": "sent",
			"window": "planned/window_changed"}
		eventually(t, "every change was decided", func() bool {
			got := statuses(h.deliveries(camp.ID))
			return got["keep"] == want["keep"] && got["moved"] == want["moved"] && got["withdrawn"] == want["withdrawn"] &&
				got["window"] == want["window"] && len(got) == 5 && h.campaignState(expiring.ID) == models.CampaignCompleted
		})
		ds := h.deliveries(camp.ID)
		got := statuses(ds)
		// The erased customer's delivery no longer carries an external id.
		for ext, st := range got {
			if _, ok := want[ext]; !ok {
				if st != "skipped/erased" {
					t.Errorf("the erased customer's delivery is %s, want skipped/erased", st)
				}
				delete(got, ext)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("deliveries (-want +got):\n%s", diff)
		}
		if st := statuses(h.deliveries(expiring.ID))["expiring"]; st != "skipped/content_expired" {
			t.Errorf("the expired content's delivery is %s, want skipped/content_expired", st)
		}

		moved, err := h.s.Delivery(ctx, ds["moved"].ID)
		if err != nil {
			t.Fatal(err)
		}
		if moved.Channel != models.ChannelSMS || !slices.ContainsFunc(moved.Events, func(e models.DeliveryEvent) bool {
			return e.Reason == models.ReasonChannelChanged && e.To == models.DeliveryPlanned
		}) {
			t.Errorf("the moved customer's delivery went %s with events %+v, want re-planned to sms for channel_changed", moved.Channel, moved.Events)
		}
		if w := ds["window"]; !w.ScheduledAt.After(time.Now()) || w.ScheduledAt.In(loc).Weekday().String()[:3] != strings.ToUpper(tomorrow[:1])+tomorrow[1:] {
			t.Errorf("the window change re-planned to %v, want tomorrow (%s) in %s", w.ScheduledAt, tomorrow, zone)
		}

		// Only what the new state allows reached a sink.
		if n := h.hook.Count(); n != 0 {
			t.Errorf("the webhook sink got %d messages of expired content", n)
		}
		if a := h.sms.Arrivals(); len(a) != 1 || a[0].Key != itoa(ds["moved"].ID) {
			t.Errorf("sms arrivals = %+v, want the moved customer's one", a)
		}
		if a := h.email.Arrivals(); len(a) != 1 || a[0].To != "keep@example.com" {
			t.Errorf("email arrivals = %d, want only the unchanged customer's", len(a))
		}
		if s := h.campaignState(camp.ID); s != models.CampaignRunning {
			t.Errorf("campaign is %s with a delivery re-planned to tomorrow, want running", s)
		}
	})
}
