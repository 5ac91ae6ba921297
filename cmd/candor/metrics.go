package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// backlogSource is what the backlog collector reads (store.Store).
type backlogSource interface {
	DueBacklog(ctx context.Context, now time.Time) (int64, time.Time, error)
}

// backlogCollector exports, at each scrape, how many deliveries are due
// and not yet handed to a sender, and how late the oldest is: a growing
// age means the workers fall behind (docs/operations.md).
type backlogCollector struct {
	src   backlogSource
	now   func() time.Time
	depth *prometheus.Desc
	age   *prometheus.Desc
}

func newBacklogCollector(src backlogSource) *backlogCollector {
	return &backlogCollector{src: src, now: time.Now,
		depth: prometheus.NewDesc("candor_deliveries_due", "Planned or queued deliveries whose scheduled time has passed.", nil, nil),
		age:   prometheus.NewDesc("candor_deliveries_oldest_due_age_seconds", "How long ago the oldest due, unsent delivery was scheduled (0 when none).", nil, nil)}
}

// Describe implements prometheus.Collector.
func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.depth; ch <- c.age }

// Collect implements prometheus.Collector. A scrape waits at most two
// seconds for the database; on failure it reports nothing rather than a
// misleading zero.
func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := c.now()
	n, oldest, err := c.src.DueBacklog(ctx, now)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.depth, err)
		return
	}
	age := 0.0
	if !oldest.IsZero() {
		age = now.Sub(oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
}

// registerBacklog adds the backlog collector of src to reg, the process's
// registry that /metrics serves.
func registerBacklog(reg prometheus.Registerer, src backlogSource) error {
	return reg.Register(newBacklogCollector(src))
}
