package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

// outcomeState is what the outcome tests compare of a delivery.
type outcomeState struct {
	Status     models.DeliveryStatus
	Reason     models.Reason
	ProviderID string
	SentAt     bool
}

func TestRecordOutcomes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		exts := []string{"sent", "failed", "again", "unknown", "erased"}
		camp, id := f.launchDispatched(exts...)
		if got := f.claim(ids(f.deliveries(camp.ID))...); len(got) != len(exts) {
			t.Fatalf("claimed %d, want %d", len(got), len(exts))
		}
		// Erased mid-send: the message may have gone out, and its outcome
		// must still be recorded.
		if err := f.s.EraseCustomer(f.ctx, "erased"); err != nil {
			t.Fatal(err)
		}
		f.record(
			models.SendOutcome{DeliveryID: id["sent"], Status: models.DeliverySent, ProviderID: "prov-1"},
			models.SendOutcome{DeliveryID: id["failed"], Status: models.DeliveryFailed, Reason: models.ReasonRejected},
			models.SendOutcome{DeliveryID: id["again"], Status: models.DeliveryQueued},
			models.SendOutcome{DeliveryID: id["unknown"], Status: models.DeliveryUnknown},
			models.SendOutcome{DeliveryID: id["erased"], Status: models.DeliverySent, ProviderID: "prov-2"},
			models.SendOutcome{DeliveryID: 999999, Status: models.DeliverySent}, // gone: ignored
		)
		tests := []struct {
			name, ext string
			want      outcomeState
			event     models.EventType
		}{
			{"a sent delivery keeps the provider's message id", "sent", outcomeState{models.DeliverySent, "", "prov-1", true}, models.EventDeliverySent},
			{"a failed delivery keeps its reason", "failed", outcomeState{models.DeliveryFailed, models.ReasonRejected, "", true}, models.EventDeliveryFailed},
			{"a transient failure queues it again with its send time cleared", "again", outcomeState{models.DeliveryQueued, "", "", false}, ""},
			{"an unknown outcome is kept as unknown", "unknown", outcomeState{models.DeliveryUnknown, "", "", true}, models.EventDeliveryUnknown},
			{"the send of a customer erased meanwhile is recorded", "erased", outcomeState{models.DeliverySent, "", "prov-2", true}, models.EventDeliverySent},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := f.delivery(id[tt.ext])
				if diff := cmp.Diff(tt.want, outcomeState{d.Status, d.Reason, d.ProviderID, d.SentAt != nil}); diff != "" {
					t.Errorf("delivery (-want +got):\n%s", diff)
				}
				last := d.Events[len(d.Events)-1]
				if last.From != models.DeliverySending || last.To != tt.want.Status || last.Worker != "w1" {
					t.Errorf("last event = %+v", last)
				}
				if tt.event == "" {
					return
				}
				for _, e := range f.events(tt.event) {
					var data map[string]any
					if err := json.Unmarshal(e.Data, &data); err != nil {
						t.Fatal(err)
					}
					if data["delivery_id"] == float64(id[tt.ext]) {
						return
					}
				}
				t.Errorf("no %s event for delivery %d", tt.event, id[tt.ext])
			})
		}
		t.Run("the delivery.sent event carries the provider's id", func(t *testing.T) {
			var data map[string]any
			if err := json.Unmarshal(f.events(models.EventDeliverySent)[0].Data, &data); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"delivery_id": float64(id["sent"]), "campaign_id": float64(camp.ID), "external_id": "sent",
				"channel": "email", "provider_id": "prov-1"}
			if diff := cmp.Diff(want, data); diff != "" {
				t.Errorf("event data (-want +got):\n%s", diff)
			}
		})
		t.Run("the campaign does not complete while a delivery is open", func(t *testing.T) {
			if st := f.state(camp.ID); st != models.CampaignRunning {
				t.Errorf("state = %s, want running", st)
			}
		})
		t.Run("the campaign completes when its last open delivery is recorded", func(t *testing.T) {
			f.clk.Advance(time.Minute)
			if got := f.claim(id["again"]); len(got) != 1 || got[0].Delivery.Attempts != 2 {
				t.Fatalf("second claim = %+v", got)
			}
			f.record(models.SendOutcome{DeliveryID: id["again"], Status: models.DeliverySent, ProviderID: "prov-3"})
			if st := f.state(camp.ID); st != models.CampaignCompleted {
				t.Errorf("state = %s, want completed", st)
			}
			if n, err := f.s.CompleteCampaigns(f.ctx); err != nil || n != 0 {
				t.Errorf("sweep completed %d (%v), want 0", n, err)
			}
		})
	})
}

func TestCompleteCampaignsSweepsCampaignsWithNothingOpen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		f.add("a", "g", nil)
		f.add("b", "h", nil)
		done, open := f.launch(nil, "g"), f.launch(nil, "h")
		f.dispatch()
		mustSetConsent(t, f.s, "a", campaignTopic, models.ConsentOptedOut)
		f.claim(f.deliveries(done.ID)[0].ID) // skipped: nothing left open
		if n, err := f.s.CompleteCampaigns(f.ctx); err != nil || n != 1 {
			t.Fatalf("sweep completed %d (%v), want 1", n, err)
		}
		if a, b := f.state(done.ID), f.state(open.ID); a != models.CampaignCompleted || b != models.CampaignRunning {
			t.Errorf("states = %s, %s; want completed, running", a, b)
		}
	})
}

func TestAcquireLease(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		steps := []struct {
			name    string
			advance time.Duration
			owner   string
			want    bool
		}{
			{"the first owner gets the lease", 0, "a", true},
			{"a second owner does not get it while it runs", 0, "b", false},
			{"the holder renews it", 20 * time.Second, "a", true},
			{"the renewal counts from the renewal", 20 * time.Second, "b", false},
			{"another owner gets it once it ran out", 31 * time.Second, "b", true},
			{"and the former holder does not", 0, "a", false},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				f.clk.Advance(st.advance)
				got, err := f.s.AcquireLease(f.ctx, "dispatch", st.owner, 30*time.Second)
				if err != nil || got != st.want {
					t.Errorf("AcquireLease(%s) = %v, %v; want %v", st.owner, got, err, st.want)
				}
			})
		}
		t.Run("leases of other names are independent", func(t *testing.T) {
			if got, err := f.s.AcquireLease(f.ctx, "reconcile", "a", 30*time.Second); err != nil || !got {
				t.Errorf("AcquireLease(reconcile, a) = %v, %v", got, err)
			}
		})
	})
}
