package worker_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/channels"
	"github.com/candor/candor/internal/testsinks"
	"github.com/candor/candor/models"
)

// TestCampaignReachesEachCustomerOnceOnTheirChannel runs a campaign
// through the whole pipeline: launch, dispatch into asynq, claim with the
// send-time check, real SMTP / SMS API / signed webhook, outcomes. Each
// message arrives once, on the preferred channel, inside the window,
// with RFC 8058 headers on email; the campaign goes scheduled -> running
// -> completed.
func TestCampaignReachesEachCustomerOnceOnTheirChannel(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		content := h.content("Pay by transfer", nil)
		want := map[string]models.Channel{}
		zones := []string{"Europe/London", "Asia/Kathmandu", "America/Santiago", "Australia/Lord_Howe"}
		customers := map[string]*models.Customer{}
		for i, ch := range []models.Channel{models.ChannelEmail, models.ChannelSMS, models.ChannelWebhook} {
			for j := range 4 {
				ext := fmt.Sprintf("%s-%d", ch, j)
				customers[ext] = h.customer(ext, "all", ch, zones[(i+j)%len(zones)], nil)
				want[ext] = ch
			}
		}
		h.customer("not-in-segment", "other", models.ChannelEmail, "Europe/London", nil)
		camp := h.launch(content, "all")
		if camp.State != models.CampaignScheduled || camp.Planned != int64(len(want)) {
			t.Fatalf("launched = %s with %d planned, want scheduled with %d", camp.State, camp.Planned, len(want))
		}

		h.start()
		eventually(t, "the campaign completed", func() bool { return h.campaignState(camp.ID) == models.CampaignCompleted })

		ds := h.deliveries(camp.ID)
		if len(ds) != len(want) {
			t.Fatalf("%d deliveries, want %d", len(ds), len(want))
		}
		byID := map[string]*models.Delivery{}
		for ext, d := range ds {
			byID[strconv.FormatInt(d.ID, 10)] = d
			c := customers[ext]
			if d.Status != models.DeliverySent || d.Channel != want[ext] || d.ProviderID == "" || d.Attempts != 1 {
				t.Errorf("%s: status %s channel %s provider %q attempts %d, want sent once on %s", ext, d.Status, d.Channel, d.ProviderID, d.Attempts, want[ext])
			}
			if d.Snapshot == nil || d.Snapshot.Timezone != c.Timezone || d.Snapshot.Window == nil || *d.Snapshot.Window != 0 ||
				d.Snapshot.AddressFingerprint == "" || d.PreferenceVersion != c.PreferenceVersion {
				t.Errorf("%s: snapshot %+v (preference version %d), want zone %s, window 0, a fingerprint, version %d",
					ext, d.Snapshot, d.PreferenceVersion, c.Timezone, c.PreferenceVersion)
				continue
			}
			local, err := time.Parse(time.RFC3339, d.Snapshot.Local)
			loc, _ := time.LoadLocation(c.Timezone)
			if err != nil || d.SentAt == nil || !local.Equal(d.SentAt.Truncate(time.Second)) || local.Format(time.RFC3339) != d.SentAt.In(loc).Format(time.RFC3339) {
				t.Errorf("%s: local send time %q is not the send instant %v in %s", ext, d.Snapshot.Local, d.SentAt, c.Timezone)
			}
			if d.SentAt.Before(camp.Window.NotBefore) || !d.SentAt.Before(camp.Window.NotAfter) {
				t.Errorf("%s: sent at %v, outside the campaign window %v-%v", ext, d.SentAt, camp.Window.NotBefore, camp.Window.NotAfter)
			}
		}

		// Every sink: once per delivery, to the right address, nothing else.
		got := map[string]models.Channel{}
		check := func(ch models.Channel, s *testsinks.Sink, key func(d *models.Delivery) string, to func(c *models.Customer) string) {
			for _, a := range s.Arrivals() {
				var d *models.Delivery
				for _, x := range ds {
					if key(x) == a.Key {
						d = x
					}
				}
				if d == nil {
					t.Errorf("%s sink got a message with unknown key %q", ch, a.Key)
					continue
				}
				if _, dup := got[d.ExternalID]; dup {
					t.Errorf("%s got a second message", d.ExternalID)
				}
				got[d.ExternalID] = ch
				if a.To != to(customers[d.ExternalID]) {
					t.Errorf("%s: %s message to %q", d.ExternalID, ch, a.To)
				}
				if a.At.Before(camp.Window.NotBefore) {
					t.Errorf("%s: arrived at %v before the campaign opened", d.ExternalID, a.At)
				}
				if ch == models.ChannelEmail {
					checkEmailHeaders(t, d, a)
				}
				if ch == models.ChannelWebhook {
					checkWebhookBody(t, d, a)
				}
			}
		}
		check(models.ChannelEmail, h.email, func(d *models.Delivery) string {
			id, _ := channels.EmailMessageID(emailFrom, d.ID)
			return id
		}, func(c *models.Customer) string { return c.Email })
		idKey := func(d *models.Delivery) string { return strconv.FormatInt(d.ID, 10) }
		check(models.ChannelSMS, h.sms, idKey, func(c *models.Customer) string { return c.Phone })
		check(models.ChannelWebhook, h.hook, idKey, func(c *models.Customer) string { return c.ExternalID })
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("messages by customer and channel (-want +got):\n%s", diff)
		}

		for _, ch := range []models.Channel{models.ChannelEmail, models.ChannelSMS, models.ChannelWebhook} {
			if got := h.sendOutcomes(ch, models.DeliverySent); got != 4 {
				t.Errorf("candor_send_outcomes_total{channel=%q,status=\"sent\"} = %v, want 4", ch, got)
			}
			if got := h.lateSends(ch); got != 4 {
				t.Errorf("candor_send_lateness_seconds{channel=%q} observed %d sends, want 4", ch, got)
			}
		}

		wantStates := []string{"draft->scheduled", "scheduled->running", "running->completed"}
		if diff := cmp.Diff(wantStates, h.stateChanges(camp.ID)); diff != "" {
			t.Errorf("campaign.state_changed (-want +got):\n%s", diff)
		}
	})
}

// checkEmailHeaders checks the RFC 8058 headers and the unsubscribe link.
func checkEmailHeaders(t *testing.T, d *models.Delivery, a testsinks.Arrival) {
	t.Helper()
	unsub := a.Header["List-Unsubscribe"]
	if len(unsub) != 1 || !strings.HasPrefix(unsub[0], "<"+publicURL+"/u/") {
		t.Errorf("%s: List-Unsubscribe = %q, want the https one-click link", d.ExternalID, unsub)
	}
	if post := a.Header["List-Unsubscribe-Post"]; !slices.Equal(post, []string{"List-Unsubscribe=One-Click"}) {
		t.Errorf("%s: List-Unsubscribe-Post = %q", d.ExternalID, post)
	}
}

// checkWebhookBody checks the signed body names the delivery and customer.
func checkWebhookBody(t *testing.T, d *models.Delivery, a testsinks.Arrival) {
	t.Helper()
	var body struct {
		Type           string         `json:"type"`
		DeliveryID     int64          `json:"delivery_id"`
		Channel        models.Channel `json:"channel"`
		UnsubscribeURL string         `json:"unsubscribe_url"`
	}
	if err := json.Unmarshal(a.Body, &body); err != nil || body.DeliveryID != d.ID || body.Channel != models.ChannelWebhook ||
		!strings.HasPrefix(body.UnsubscribeURL, publicURL+"/u/") {
		t.Errorf("%s: webhook body %s (%v)", d.ExternalID, a.Body, err)
	}
}
