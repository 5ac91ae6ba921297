package worker

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor/candor/models"
)

// outboundMetrics are the outbound webhook series. Labels carry only the
// result, never an endpoint URL or a customer.
type outboundMetrics struct {
	attempts *prometheus.CounterVec
	duration prometheus.Histogram
	disabled prometheus.Counter
	fanout   prometheus.Counter
}

// Attempt results of candor_webhook_attempts_total.
const (
	resultDelivered = "delivered"
	resultRetry     = "retry"
	resultFailed    = "failed"
)

// newOutboundMetrics registers the outbound series on reg (series
// registered before, by another loop of the same process, are shared); a
// nil reg keeps none.
func newOutboundMetrics(reg prometheus.Registerer) (*outboundMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	var m outboundMetrics
	var err error
	if m.attempts, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "candor_webhook_attempts_total",
		Help: "Outbound webhook requests by result: delivered (2xx), retry (failed, tried again later) or failed (the last attempt failed).",
	}, []string{"result"})); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "candor_webhook_attempt_duration_seconds",
		Help:    "How long an outbound webhook endpoint took to answer one request.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})); err != nil {
		return nil, err
	}
	if m.disabled, err = register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "candor_webhook_endpoints_disabled_total",
		Help: "Outbound webhook endpoints disabled automatically after a run of failed attempts.",
	})); err != nil {
		return nil, err
	}
	if m.fanout, err = register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "candor_webhook_events_fanned_out_total",
		Help: "Events of the outbox read for the webhook endpoints (queued for each endpoint that subscribes).",
	})); err != nil {
		return nil, err
	}
	// Every result is exported from the start, so a rate reads 0 rather
	// than "no data" before the first attempt.
	for _, r := range []string{resultDelivered, resultRetry, resultFailed} {
		m.attempts.WithLabelValues(r)
	}
	return &m, nil
}

// register registers c on reg, or returns the collector registered
// before under the same description.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var dup prometheus.AlreadyRegisteredError
		if errors.As(err, &dup) {
			if existing, ok := dup.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

// fannedOut counts events read by a fan-out.
func (m *outboundMetrics) fannedOut(n int) {
	if m != nil {
		m.fanout.Add(float64(n))
	}
}

// observe counts a round's attempts and the endpoints it disabled.
func (m *outboundMetrics) observe(outcomes []models.WebhookOutcome, disabled int) {
	if m == nil {
		return
	}
	for _, o := range outcomes {
		r := resultDelivered
		switch {
		case !o.OK && o.Next.IsZero():
			r = resultFailed
		case !o.OK:
			r = resultRetry
		}
		m.attempts.WithLabelValues(r).Inc()
		m.duration.Observe(o.Took.Seconds())
	}
	m.disabled.Add(float64(disabled))
}
