// Package opsmetrics holds the Prometheus series that more than one
// layer of a process writes (the API and the worker share a registry in
// `candor run`): each is registered once, and a second registration gets
// the first's collector.
package opsmetrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Inbound statuses. The API counts each event of a verified request as
// received (stored pending), rejected (stored failed at once: not an
// event Candor can apply) or duplicate (a redelivered webhook-id, stored
// before); the inbox loop counts what applying it came to: applied,
// superseded (older than data already applied), failed (for good) or
// retried (a transient error; it stays pending).
const (
	InboundReceived   = "received"
	InboundRejected   = "rejected"
	InboundDuplicate  = "duplicate"
	InboundApplied    = "applied"
	InboundSuperseded = "superseded"
	InboundFailed     = "failed"
	InboundRetried    = "retried"
)

// InboundStatuses lists every status, each exported from the start.
var InboundStatuses = []string{InboundReceived, InboundRejected, InboundDuplicate, InboundApplied, InboundSuperseded,
	InboundFailed, InboundRetried}

// InboundEvents returns candor_inbound_events_total{status} registered on
// reg (the one already there when another layer registered it first). A
// nil reg gets an unregistered counter. Errors: reg's, for a different
// metric of the same name.
func InboundEvents(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "candor_inbound_events_total",
		Help: "Inbound webhook events by status: received, rejected or duplicate at the API; applied, superseded, failed or retried by the inbox.",
	}, []string{"status"})
	if reg != nil {
		if err := reg.Register(c); err != nil {
			var dup prometheus.AlreadyRegisteredError
			if !errors.As(err, &dup) {
				return nil, err
			}
			existing, ok := dup.ExistingCollector.(*prometheus.CounterVec)
			if !ok {
				return nil, err
			}
			c = existing
		}
	}
	for _, st := range InboundStatuses {
		c.WithLabelValues(st)
	}
	return c, nil
}
