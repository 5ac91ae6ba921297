package store_test

import (
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// TestEveryStatusChangeOutsideTheSendPathIsKept: erasure, a resume that
// skips a delivery and a cancellation change statuses without a worker;
// each change is kept in the delivery's events like the send path's.
func TestEveryStatusChangeOutsideTheSendPathIsKept(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		f.add("erased", "g", nil)
		f.add("withdrawn", "g", nil)
		f.add("kept", "g", nil)
		camp := f.launch(nil, "g")
		ids := map[string]int64{}
		for _, d := range f.deliveries(camp.ID) {
			ids[d.ExternalID] = d.ID
		}
		if err := f.s.EraseCustomer(f.ctx, "erased"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.PauseCampaign(f.ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		mustSetConsent(t, f.s, "withdrawn", campaignTopic, models.ConsentOptedOut)
		f.clk.Advance(time.Hour) // the planned time passes during the pause
		if _, err := f.s.ResumeCampaign(f.ctx, camp.ID, f.planner); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CancelCampaign(f.ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, ext string
			want      models.DeliveryEvent
		}{
			{"an erasure skips a planned delivery and says so", "erased",
				models.DeliveryEvent{From: models.DeliveryPlanned, To: models.DeliverySkipped, Reason: models.ReasonErased, Worker: "erasure"}},
			{"a resume that skips a delivery says why", "withdrawn",
				models.DeliveryEvent{From: models.DeliveryPlanned, To: models.DeliverySkipped, Reason: models.ReasonConsentWithdrawn, Worker: "resume"}},
			{"a cancellation is kept on each cancelled delivery", "kept",
				models.DeliveryEvent{From: models.DeliveryPlanned, To: models.DeliveryCancelled, Reason: models.ReasonCampaignCancelled, Worker: "api"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				d := f.delivery(ids[tt.ext])
				if len(d.Events) == 0 {
					t.Fatalf("%s has no events", tt.ext)
				}
				got := d.Events[len(d.Events)-1]
				got.At = time.Time{}
				if got != tt.want {
					t.Errorf("last event = %+v, want %+v", got, tt.want)
				}
			})
		}
	})
}
