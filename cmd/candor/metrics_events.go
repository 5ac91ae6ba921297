package main

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor/candor/models"
)

// eventSource is what the event metrics read (store.Store).
type eventSource interface {
	LatestEventID(ctx context.Context) (int64, error)
	Events(ctx context.Context, afterID int64, limit int) ([]models.Event, error)
}

// eventMetricsBudget bounds the events one scrape reads (pages of 500):
// a burst is counted over the next scrapes rather than making one slow.
const eventMetricsBudget = 20

// eventSettle is how old an event must be before it is counted: ids are
// taken when a transaction inserts and become visible when it commits, so
// waiting a little lets an earlier id that commits later be seen first.
const eventSettle = 5 * time.Second

// eventCollector counts the outbox events written since the process
// started (the transactional outbox is what "happened": a rolled-back
// change wrote none), at each scrape: deliveries planned by channel (a
// launch's campaign.state_changed says how many per channel, a
// content.requested plans one), delivery outcomes by channel and reason,
// consent changes by source and status. Every process counts every event,
// so sum across processes with max(), not sum().
type eventCollector struct {
	src        eventSource
	now        func() time.Time
	mu         sync.Mutex
	after      int64
	started    bool
	planned    *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	consents   *prometheus.CounterVec
}

func newEventCollector(src eventSource) *eventCollector {
	c := &eventCollector{src: src, now: time.Now,
		planned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "candor_deliveries_planned_total",
			Help: "Deliveries planned since the process started, from the outbox (campaign launches and preference-center requests), by channel.",
		}, []string{"channel"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "candor_delivery_events_total",
			Help: "Delivery outcomes recorded since the process started, from the outbox: sent, failed, skipped, expired, unknown, by channel and reason.",
		}, []string{"event", "channel", "reason"}),
		consents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "candor_consent_changes_total",
			Help: "Consent changes recorded since the process started, from the outbox, by source and new status.",
		}, []string{"source", "status"}),
	}
	// Series that exist from the start read 0 rather than "no data".
	for _, ch := range models.Channels {
		c.planned.WithLabelValues(string(ch))
		c.deliveries.WithLabelValues("sent", string(ch), "")
	}
	for _, src := range []models.ConsentSource{models.SourceAPI, models.SourceCRM, models.SourceImport,
		models.SourcePreferenceCenter, models.SourceOneClick, models.SourceDoubleOptIn, models.SourceChannel} {
		c.consents.WithLabelValues(string(src), string(models.ConsentOptedOut))
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *eventCollector) Describe(ch chan<- *prometheus.Desc) {
	c.planned.Describe(ch)
	c.deliveries.Describe(ch)
	c.consents.Describe(ch)
}

// Collect implements prometheus.Collector: it counts the events written
// since the last scrape (at most eventMetricsBudget pages, waiting at most
// two seconds for the database), then reports the counters. A database
// error leaves them as they are: its events are counted at a later
// scrape, and a counter never goes back.
func (c *eventCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.mu.Lock()
	_ = c.catchUp(ctx)
	c.mu.Unlock()
	c.planned.Collect(ch)
	c.deliveries.Collect(ch)
	c.consents.Collect(ch)
}

func (c *eventCollector) catchUp(ctx context.Context) error {
	if !c.started {
		id, err := c.src.LatestEventID(ctx)
		if err != nil {
			return err
		}
		c.after, c.started = id, true
	}
	settled := c.now().Add(-eventSettle)
	for range eventMetricsBudget {
		events, err := c.src.Events(ctx, c.after, models.MaxPageLimit)
		if err != nil {
			return err
		}
		for _, e := range events {
			if e.CreatedAt.After(settled) {
				return nil
			}
			c.count(e)
			c.after = e.ID
		}
		if len(events) < models.MaxPageLimit {
			return nil
		}
	}
	return nil
}

// deliveryEvents name the outcome label of each delivery event type.
var deliveryEvents = map[models.EventType]string{
	models.EventDeliverySent: "sent", models.EventDeliveryFailed: "failed", models.EventDeliverySkipped: "skipped",
	models.EventDeliveryExpired: "expired", models.EventDeliveryUnknown: "unknown",
}

func (c *eventCollector) count(e models.Event) {
	var d struct {
		Channel models.Channel       `json:"channel"`
		Reason  models.Reason        `json:"reason"`
		Source  models.ConsentSource `json:"source"`
		Status  models.ConsentStatus `json:"status"`
		Planned map[string]int64     `json:"planned_by_channel"`
	}
	if json.Unmarshal(e.Data, &d) != nil {
		return
	}
	if outcome, ok := deliveryEvents[e.Type]; ok {
		c.deliveries.WithLabelValues(outcome, string(d.Channel), string(d.Reason)).Inc()
		return
	}
	switch e.Type {
	case models.EventConsentChanged:
		c.consents.WithLabelValues(string(d.Source), string(d.Status)).Inc()
	case models.EventCampaignState:
		for ch, n := range d.Planned {
			if n > 0 {
				c.planned.WithLabelValues(ch).Add(float64(n))
			}
		}
	case models.EventContentRequested:
		c.planned.WithLabelValues(string(d.Channel)).Inc()
	}
}

// registerEvents adds the event collector of src to reg.
func registerEvents(reg prometheus.Registerer, src eventSource) error {
	return reg.Register(newEventCollector(src))
}
