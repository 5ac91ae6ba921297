package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// claimedState is what the claim tests compare of a delivery.
type claimedState struct {
	Status      models.DeliveryStatus
	Reason      models.Reason
	Channel     models.Channel
	Generation  int
	ScheduledAt time.Time
}

func claimedStateOf(d *models.Delivery) claimedState {
	return claimedState{Status: d.Status, Reason: d.Reason, Channel: d.Channel, Generation: d.Generation, ScheduledAt: d.ScheduledAt}
}

// queue moves the deliveries of campaign id to queued, as a retry leaves
// them.
func queue(f *deliveryFixture, id int64) {
	f.t.Helper()
	if err := f.s.DB().Exec("UPDATE deliveries SET status = 'queued', task_id = 'retry-t' WHERE campaign_id = ?", id).Error; err != nil {
		f.t.Fatal(err)
	}
}

// TestClaimRechecksEveryGuarantee plans a delivery, hands it on, changes
// what the case changes, then claims it.
func TestClaimRechecksEveryGuarantee(t *testing.T) {
	// start is the fixture's clock: Monday 09:30 London (GMT), inside
	// the customer's Mon/Tue 09:00-17:00 window; the campaign ends 48
	// hours later, on Wednesday at 09:30.
	start := newClock().Now().UTC().Truncate(time.Microsecond)
	day := func(d int, hh int) time.Time { return time.Date(2025, 3, 10+d, hh, 0, 0, 0, time.UTC) }
	email, sms := models.ChannelEmail, models.ChannelSMS
	tests := []struct {
		name    string
		content func(in *models.ContentInput)
		change  func(f *deliveryFixture, campaignID int64)
		planner models.Planner
		want    claimedState
	}{
		{name: "a delivery whose guarantees still hold is claimed for sending",
			want: claimedState{models.DeliverySending, "", email, 1, start}},
		{name: "a consent withdrawn since planning skips it as consent_withdrawn",
			change: func(f *deliveryFixture, _ int64) {
				mustSetConsent(f.t, f.s, "a", campaignTopic, models.ConsentOptedOut)
			},
			want: claimedState{models.DeliverySkipped, models.ReasonConsentWithdrawn, email, 1, start}},
		{name: "an erased customer skips it as erased",
			change: func(f *deliveryFixture, id int64) {
				// Queued, as a retry leaves it: erasure skips planned
				// deliveries itself and leaves the others to the claim.
				queue(f, id)
				if err := f.s.EraseCustomer(f.ctx, "a"); err != nil {
					f.t.Fatal(err)
				}
			},
			want: claimedState{models.DeliverySkipped, models.ReasonErased, email, 1, start}},
		{name: "content that expired since planning skips it as content_expired",
			content: func(in *models.ContentInput) { exp := start.Add(time.Hour); in.ExpiresAt = &exp },
			change:  func(f *deliveryFixture, _ int64) { f.clk.Advance(2 * time.Hour) },
			want:    claimedState{models.DeliverySkipped, models.ReasonContentExpired, email, 1, start}},
		{name: "a changed channel re-plans it on the new channel as a new generation",
			change: func(f *deliveryFixture, _ int64) {
				f.change("a", func(in *models.CustomerInput) { in.PreferredChannel = sms })
			},
			want: claimedState{models.DeliveryPlanned, models.ReasonChannelChanged, sms, 2, start}},
		{name: "a change to a channel the server cannot send on skips it as channel_changed",
			change: func(f *deliveryFixture, _ int64) {
				f.change("a", func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelWebhook })
			},
			want: claimedState{models.DeliverySkipped, models.ReasonChannelChanged, email, 1, start}},
		{name: "a channel the server no longer sends on skips it as channel_unavailable",
			planner: campaigns.NewPlanner(models.PlanSettings{Channels: []models.Channel{sms}}),
			want:    claimedState{models.DeliverySkipped, models.ReasonChannelUnavailable, email, 1, start}},
		{name: "windows changed so that now is outside re-plan it as window_changed at the next window",
			change: func(f *deliveryFixture, _ int64) {
				f.change("a", func(in *models.CustomerInput) {
					in.PreferredWindows = []models.Window{{Days: []string{"wed"}, Start: "09:00", End: "17:00"}}
				})
			},
			want: claimedState{models.DeliveryPlanned, models.ReasonWindowChanged, email, 2, day(2, 9)}},
		{name: "a late claim outside the window with unchanged wishes re-plans it as window_missed",
			change: func(f *deliveryFixture, _ int64) { f.clk.Advance(8 * time.Hour) }, // Monday 17:30
			want:   claimedState{models.DeliveryPlanned, models.ReasonWindowMissed, email, 2, day(1, 9)}},
		{name: "a late claim with no window left before not_after expires it as window_missed",
			change: func(f *deliveryFixture, _ int64) { f.clk.Advance(32 * time.Hour) }, // Tuesday 17:30
			want:   claimedState{models.DeliveryExpired, models.ReasonWindowMissed, email, 1, start}},
		{name: "a planned delivery of a paused campaign is left as it is (resume re-plans it)",
			change: func(f *deliveryFixture, id int64) {
				if _, err := f.s.PauseCampaign(f.ctx, id); err != nil {
					f.t.Fatal(err)
				}
			},
			want: claimedState{models.DeliveryPlanned, "", email, 1, start}},
		{name: "a queued delivery of a paused campaign goes back to planned as a new generation (its next task id is new)",
			change: func(f *deliveryFixture, id int64) {
				queue(f, id)
				if _, err := f.s.PauseCampaign(f.ctx, id); err != nil {
					f.t.Fatal(err)
				}
			},
			want: claimedState{models.DeliveryPlanned, "", email, 2, start}},
		{name: "a planned delivery not yet due is not claimed (a task of its old generation came early)",
			change: func(f *deliveryFixture, id int64) {
				if err := f.s.DB().Exec("UPDATE deliveries SET scheduled_at = ? WHERE campaign_id = ?", start.Add(time.Hour), id).Error; err != nil {
					f.t.Fatal(err)
				}
			},
			want: claimedState{models.DeliveryPlanned, "", email, 1, start.Add(time.Hour)}},
		{name: "a delivery of a campaign cancelled while it was queued is cancelled",
			change: func(f *deliveryFixture, id int64) {
				// The state alone, as if the cancel raced the hand-over.
				if err := f.s.DB().Exec("UPDATE campaigns SET state = 'cancelled' WHERE id = ?", id).Error; err != nil {
					f.t.Fatal(err)
				}
			},
			want: claimedState{models.DeliveryCancelled, models.ReasonCampaignCancelled, email, 1, start}},
		{name: "a delivery cancelled with its campaign is not claimed",
			change: func(f *deliveryFixture, id int64) {
				if _, err := f.s.CancelCampaign(f.ctx, id); err != nil {
					f.t.Fatal(err)
				}
			},
			want: claimedState{models.DeliveryCancelled, models.ReasonCampaignCancelled, email, 1, start}},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := newDeliveryFixture(t, backend)
				f.add("a", "g", nil)
				in := sendContentInput()
				if tt.content != nil {
					tt.content(in)
				}
				camp := f.launch(in, "g")
				d := f.deliveries(camp.ID)[0]
				if got := f.dispatch(); len(got) != 1 {
					t.Fatalf("dispatch = %+v", got)
				}
				if tt.change != nil {
					tt.change(f, camp.ID)
				}
				planner := tt.planner
				if planner == nil {
					planner = f.planner
				}
				claimed := f.claimWith(planner, d.ID)
				got := f.delivery(d.ID)
				if diff := cmp.Diff(tt.want, claimedStateOf(got)); diff != "" {
					t.Errorf("delivery (-want +got):\n%s", diff)
				}
				wantClaimed := []int64{}
				if tt.want.Status == models.DeliverySending {
					wantClaimed = []int64{d.ID}
				}
				if diff := cmp.Diff(wantClaimed, claimedIDs(claimed)); diff != "" {
					t.Errorf("claimed (-want +got):\n%s", diff)
				}
				if got.Status == models.DeliveryPlanned && f.taskID(d.ID) != "" {
					t.Errorf("a delivery back in planned keeps task %q", f.taskID(d.ID))
				}
				if got.Status == models.DeliveryPlanned && got.Reason == "" && got.Generation == 1 && len(got.Events) != 0 {
					t.Errorf("a delivery the claim left alone has events %+v", got.Events)
				}
				if typ, ok := map[models.DeliveryStatus]models.EventType{models.DeliverySkipped: models.EventDeliverySkipped,
					models.DeliveryExpired: models.EventDeliveryExpired}[got.Status]; ok && len(f.events(typ)) != 1 {
					t.Errorf("no %s event", typ)
				}
			})
		}
	})
}
