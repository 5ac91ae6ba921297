package worker_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor/candor/internal/opsmetrics/opsmetricstest"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
	"github.com/candor/candor/worker"
)

func TestInboxCountsEventsByWhatApplyingThemCameTo(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		f := newInboxFixture(t)
		reg := prometheus.NewRegistry()
		in := worker.NewInbox(worker.InboxOptions{Store: f.s, Worker: "w1", Logger: quiet(), Metrics: reg})
		profile := func(at, name string) string {
			return event("customer.upserted", at, `{"external_id":"c1","email":"c1@example.com","name":"`+name+`","preferred_channel":"email"}`)
		}
		f.post("", batch(profile("2025-03-10T10:00:00Z", "New"),
			event("consent.updated", "2025-03-10T10:00:00Z", `{"external_id":"c1","topic":"crm-news","status":"opted_in","evidence":{"text":"Yes"}}`)))
		f.drain(in)
		// Older than what was applied; a profile that breaks a rule; an
		// unknown topic.
		f.post("", batch(profile("2025-03-10T09:00:00Z", "Old"),
			event("customer.upserted", "2025-03-10T09:00:00Z", `{"external_id":"c2","email":"not-an-email","preferred_channel":"email"}`),
			event("consent.updated", "2025-03-10T10:00:00Z", `{"external_id":"c1","topic":"no-such-topic","status":"opted_in"}`)))
		f.drain(in)

		got := opsmetricstest.InboundByStatus(t, reg)
		want := map[string]float64{"applied": 2, "superseded": 1, "failed": 2,
			"received": 0, "rejected": 0, "duplicate": 0, "retried": 0}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("candor_inbound_events_total by status (-want +got):\n%s\noutcomes: %v", diff, f.outcomes())
		}
	})
}

// flakyPuts fails the first n profile writes with a transient error, as an
// unreachable database would.
type flakyPuts struct {
	*store.Store
	n int
}

func (f *flakyPuts) PutCustomer(ctx context.Context, in *models.CustomerInput) (*models.Customer, bool, error) {
	if f.n > 0 {
		f.n--
		return nil, false, models.Errorf(models.EUNAVAILABLE, "The database is not reachable.")
	}
	return f.Store.PutCustomer(ctx, in)
}

func TestInboxCountsATransientFailureAsRetriedAndThenApplied(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		f := newInboxFixture(t)
		reg := prometheus.NewRegistry()
		in := worker.NewInbox(worker.InboxOptions{Store: &flakyPuts{Store: f.s, n: 2}, Worker: "w1", Logger: quiet(), Metrics: reg})
		f.post("", batch(event("customer.upserted", "2025-03-10T10:00:00Z",
			`{"external_id":"c1","email":"c1@example.com","name":"New","preferred_channel":"email"}`)))
		f.drain(in)

		got := opsmetricstest.InboundByStatus(t, reg)
		want := map[string]float64{"applied": 1, "retried": 2, "superseded": 0, "failed": 0,
			"received": 0, "rejected": 0, "duplicate": 0}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("candor_inbound_events_total by status (-want +got):\n%s\noutcomes: %v", diff, f.outcomes())
		}
		if _, err := f.s.Customer(context.Background(), "c1"); err != nil {
			t.Errorf("the event was not applied after its transient failures: %v", err)
		}
	})
}
