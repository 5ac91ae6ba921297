package store_test

import (
	"testing"
	"time"

	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/models"
)

// A complaint that arrives through a CRM webhook is an event the campaign
// report counts: the inbox records it in channel_feedback and writes the
// channel.complained event the report reads (issues 11 and 13 met here).
func TestAComplaintCountsInTheCampaignReport(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		f.add("a", "g", nil)
		f.add("b", "g", nil)
		camp := f.launch(nil, "g")
		f.dispatch()
		var complained int64
		for _, c := range f.claim(ids(f.deliveries(camp.ID))...) {
			f.record(models.SendOutcome{DeliveryID: c.Delivery.ID, Status: models.DeliverySent, ProviderID: "p"})
			if c.Customer.ExternalID == "a" {
				complained = c.Delivery.ID
			}
		}
		f.clk.Advance(time.Hour) // complained an hour after the message
		if _, err := f.s.RecordChannelFeedback(f.ctx, &models.ChannelFeedback{Kind: models.FeedbackComplaint,
			DeliveryID: complained, OccurredAt: f.now()}); err != nil {
			t.Fatal(err)
		}
		r, err := report.NewService(f.s, sendSettings).CampaignReport(f.ctx, camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Reaction.Complaints; got.Count != 1 || got.PerThousand != 500 {
			t.Errorf("complaints = %+v, want 1 (500 per 1,000 sent)", got)
		}
		if got := f.events(models.EventChannelComplained); len(got) != 1 {
			t.Errorf("%d channel.complained events, want 1", len(got))
		}
	})
}
