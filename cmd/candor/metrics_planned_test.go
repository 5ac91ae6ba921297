package main

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/internal/benchdata"
	"github.com/candor/candor/internal/teststore"
	"github.com/candor/candor/models"
)

// TestPlannedDeliveriesMetricCountsLaunchesByChannel launches two
// campaigns on a real store, one to six customers who prefer email and
// one to four who prefer webhooks, and reads candor_deliveries_planned_total
// from the outbox as /metrics would.
func TestPlannedDeliveriesMetricCountsLaunchesByChannel(t *testing.T) {
	teststore.ForEachBackend(t, func(t *testing.T, backend string) {
		st := teststore.Open(t, backend)
		c := newEventCollector(st)
		// Past the settle time of every event written below.
		c.now = func() time.Time { return time.Now().Add(time.Minute) }
		reg := prometheus.NewRegistry()
		reg.MustRegister(c)
		if _, err := reg.Gather(); err != nil { // counting starts here
			t.Fatal(err)
		}
		planner := campaigns.NewPlanner(models.PlanSettings{Channels: models.Channels})
		benchdata.SendCampaign(t, st, 6, models.ChannelEmail, planner)
		benchdata.SendCampaign(t, st, 4, models.ChannelWebhook, planner)
		if _, err := reg.Gather(); err != nil {
			t.Fatal(err)
		}
		for ch, want := range map[models.Channel]float64{models.ChannelEmail: 6, models.ChannelWebhook: 4, models.ChannelSMS: 0} {
			if got := testutil.ToFloat64(c.planned.WithLabelValues(string(ch))); got != want {
				t.Errorf("planned %s = %v, want %v", ch, got, want)
			}
		}
	})
}
