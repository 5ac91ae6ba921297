// Package opsmetricstest reads the shared operational series back in
// tests, so the API's and the worker's tests compare them the same way.
package opsmetricstest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/candor/candor/internal/opsmetrics"
)

// InboundByStatus returns candor_inbound_events_total on reg by status,
// every status present (zero when nothing was counted).
func InboundByStatus(tb testing.TB, reg prometheus.Registerer) map[string]float64 {
	tb.Helper()
	events, err := opsmetrics.InboundEvents(reg)
	if err != nil {
		tb.Fatal(err)
	}
	got := map[string]float64{}
	for _, st := range opsmetrics.InboundStatuses {
		got[st] = testutil.ToFloat64(events.WithLabelValues(st))
	}
	return got
}
