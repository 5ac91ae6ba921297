package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/candor/candor/models"
)

// fakeEvents is an outbox in memory.
type fakeEvents struct{ events []models.Event }

func (f *fakeEvents) LatestEventID(context.Context) (int64, error) {
	if len(f.events) == 0 {
		return 0, nil
	}
	return f.events[len(f.events)-1].ID, nil
}

func (f *fakeEvents) Events(_ context.Context, after int64, limit int) ([]models.Event, error) {
	var out []models.Event
	for _, e := range f.events {
		if e.ID > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeEvents) add(typ models.EventType, at time.Time, data map[string]string) {
	raw, _ := json.Marshal(data)
	f.events = append(f.events, models.Event{ID: int64(len(f.events) + 1), Type: typ, Data: raw, CreatedAt: at})
}

func TestEventMetricsCountWhatHappensFromTheStart(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	src := &fakeEvents{}
	src.add(models.EventDeliverySent, now.Add(-time.Hour), map[string]string{"channel": "email"}) // before the start: not counted
	c := newEventCollector(src)
	c.now = func() time.Time { return now }
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err != nil { // the first scrape starts after the newest event
		t.Fatal(err)
	}
	src.add(models.EventDeliverySent, now.Add(-time.Minute), map[string]string{"channel": "email"})
	src.add(models.EventDeliverySkipped, now.Add(-time.Minute), map[string]string{"channel": "sms", "reason": "consent_withdrawn"})
	src.add(models.EventConsentChanged, now.Add(-time.Minute), map[string]string{"source": "one_click", "status": "opted_out"})
	src.add(models.EventCustomerCreated, now.Add(-time.Minute), map[string]string{})
	src.add(models.EventDeliverySent, now.Add(-time.Second), map[string]string{"channel": "email"}) // too fresh: the next scrape
	want := `
# HELP candor_delivery_events_total Delivery outcomes recorded since the process started, from the outbox: sent, failed, skipped, expired, unknown, by channel and reason.
# TYPE candor_delivery_events_total counter
candor_delivery_events_total{channel="email",event="sent",reason=""} 1
candor_delivery_events_total{channel="sms",event="sent",reason=""} 0
candor_delivery_events_total{channel="sms",event="skipped",reason="consent_withdrawn"} 1
candor_delivery_events_total{channel="webhook",event="sent",reason=""} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "candor_delivery_events_total"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(c.consents.WithLabelValues("one_click", "opted_out")); got != 1 {
		t.Errorf("one-click opt-outs = %v, want 1", got)
	}
	now = now.Add(time.Minute)
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(c.deliveries.WithLabelValues("sent", "email", "")); got != 2 {
		t.Errorf("after the settle time, email sends = %v, want 2", got)
	}
}

func TestEventMetricsCountPlannedDeliveriesByChannel(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	src := &fakeEvents{}
	c := newEventCollector(src)
	c.now = func() time.Time { return now }
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	launch := func(planned string) {
		raw := `{"campaign_id":7,"from":"draft","to":"scheduled","planned_by_channel":` + planned + `}`
		src.events = append(src.events, models.Event{ID: int64(len(src.events) + 1), Type: models.EventCampaignState,
			Data: json.RawMessage(raw), CreatedAt: now.Add(-time.Minute)})
	}
	launch(`{"email":5,"sms":2}`)
	launch(`{}`) // nobody planned
	src.add(models.EventCampaignState, now.Add(-time.Minute), map[string]string{"campaign_id": "7", "from": "scheduled", "to": "running"})
	src.add(models.EventContentRequested, now.Add(-time.Minute), map[string]string{"channel": "sms"})
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP candor_deliveries_planned_total Deliveries planned since the process started, from the outbox (campaign launches and preference-center requests), by channel.
# TYPE candor_deliveries_planned_total counter
candor_deliveries_planned_total{channel="email"} 5
candor_deliveries_planned_total{channel="sms"} 3
candor_deliveries_planned_total{channel="webhook"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "candor_deliveries_planned_total"); err != nil {
		t.Error(err)
	}
}
