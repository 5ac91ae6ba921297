package worker_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/candor/candor/internal/opsmetrics"
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

		events, err := opsmetrics.InboundEvents(reg)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, st := range opsmetrics.InboundStatuses {
			got[st] = testutil.ToFloat64(events.WithLabelValues(st))
		}
		want := map[string]float64{"applied": 2, "superseded": 1, "failed": 2,
			"received": 0, "rejected": 0, "duplicate": 0, "retried": 0}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("candor_inbound_events_total by status (-want +got):\n%s\noutcomes: %v", diff, f.outcomes())
		}
	})
}
