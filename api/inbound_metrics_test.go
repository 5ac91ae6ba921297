package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor/candor/internal/opsmetrics/opsmetricstest"
	"github.com/candor/candor/internal/testenv"
)

func TestInboundMetricsCountEachEventOfAStoredRequest(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			a := newTestAPI(t, backend, func(o *Options) { o.Registry = reg })
			src := a.createSource("crm")
			now := time.Now()
			bad := `{"type":"customer.exploded","occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":"crm-2"}}`
			body := `{"events":[` + inboundEvent + `,` + inboundEvent + `,` + bad + `]}`
			wantStatus(t, a.postInbound(src.ID, src.Secret, "msg_1", now, body), http.StatusAccepted)
			wantStatus(t, a.postInbound(src.ID, src.Secret, "msg_1", now, body), http.StatusOK)
			// Refused requests store nothing and count nothing here (the
			// HTTP metrics count them by status).
			wantStatus(t, a.postInbound(src.ID, src.Secret, "msg_2", now.Add(-time.Hour), inboundEvent), http.StatusUnauthorized)

			got := opsmetricstest.InboundByStatus(t, reg)
			want := map[string]float64{"received": 2, "rejected": 1, "duplicate": 3,
				"applied": 0, "superseded": 0, "failed": 0, "retried": 0}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("candor_inbound_events_total by status (-want +got):\n%s", diff)
			}
		})
	}
}
