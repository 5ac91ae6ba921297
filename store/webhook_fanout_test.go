package store_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/candor/candor/models"
)

// TestTheFanOutSeesOnlyEventsWrittenWhileAnEndpointIsEnabled: events
// written while no webhook endpoint is enabled are never left for the
// fan-out (it read and rewrote every one of them before), and those
// written by the worker's batched outcomes while one is enabled reach it.
func TestTheFanOutSeesOnlyEventsWrittenWhileAnEndpointIsEnabled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		camp, id := f.launchDispatched("before-sent", "before-failed", "during-sent", "during-failed")
		if got := f.claim(ids(f.deliveries(camp.ID))...); len(got) != 4 {
			t.Fatalf("claimed %d, want 4", len(got))
		}
		fanOut := func(t *testing.T) int {
			t.Helper()
			n, err := f.s.FanOutWebhookEvents(f.ctx, 1000)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		f.record(models.SendOutcome{DeliveryID: id["before-sent"], Status: models.DeliverySent, ProviderID: "p1"},
			models.SendOutcome{DeliveryID: id["before-failed"], Status: models.DeliveryFailed, Reason: models.ReasonRejected})
		t.Run("with no endpoint, the customers', consents' and outcomes' events leave nothing to read", func(t *testing.T) {
			if n := fanOut(t); n != 0 {
				t.Errorf("the fan-out read %d events, want 0", n)
			}
		})

		ep, _, err := f.s.CreateWebhookEndpoint(f.ctx, &models.WebhookEndpointInput{URL: "https://crm.example.com/hooks",
			Events: []models.EventType{models.EventDeliverySent, models.EventDeliveryFailed, models.EventCustomerCreated}})
		if err != nil {
			t.Fatal(err)
		}
		f.record(models.SendOutcome{DeliveryID: id["during-sent"], Status: models.DeliverySent, ProviderID: "p2"},
			models.SendOutcome{DeliveryID: id["during-failed"], Status: models.DeliveryFailed, Reason: models.ReasonRejected})
		// The batch upsert writes its events in one statement of its own.
		if _, err := f.s.PutCustomers(f.ctx, []*models.CustomerInput{customerInput("batched")}); err != nil {
			t.Fatal(err)
		}
		t.Run("with an enabled endpoint, the outcomes and customers written since reach it", func(t *testing.T) {
			// The two outcomes, campaign.completed (the last open
			// deliveries became final), which the endpoint does not take,
			// and the batch's customer.created.
			if n := fanOut(t); n != 4 {
				t.Errorf("the fan-out read %d events, want 4", n)
			}
			var got []string
			for _, m := range due(t, f.s, f.clk.Now()) {
				var data struct {
					ExternalID string `json:"external_id"`
				}
				if err := json.Unmarshal(m.Data, &data); err != nil {
					t.Fatal(err)
				}
				got = append(got, string(m.Type)+" "+data.ExternalID)
			}
			want := []string{"customer.created batched", "delivery.failed during-failed", "delivery.sent during-sent"}
			if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("queued (-want +got):\n%s", diff)
			}
		})

		disabled := models.EndpointDisabled
		if _, err := f.s.UpdateWebhookEndpoint(f.ctx, ep.ID, &models.WebhookEndpointPatch{Status: &disabled}); err != nil {
			t.Fatal(err)
		}
		putCustomerNamed(t, f.s, "after-disabling", "After")
		t.Run("once the endpoint is disabled, new events leave nothing to read", func(t *testing.T) {
			if n := fanOut(t); n != 0 {
				t.Errorf("the fan-out read %d events, want 0", n)
			}
		})
	})
}
