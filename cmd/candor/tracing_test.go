package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
)

// TestSpansGoToTheOTLPEndpointOnlyWhenOneIsSet runs candor with and
// without OTEL_EXPORTER_OTLP_ENDPOINT against a fake collector and counts
// the trace exports it receives (the exporter flushes at shutdown).
func TestSpansGoToTheOTLPEndpointOnlyWhenOneIsSet(t *testing.T) {
	var exports atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" {
			exports.Add(1)
		}
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })

	for _, tt := range []struct {
		name     string
		endpoint string
		want     bool
		log      string
	}{
		{"without an endpoint nothing is exported", "", false, "tracing off"},
		{"with an endpoint spans are exported over OTLP/HTTP", collector.URL, true, "tracing on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The OTLP exporter reads the standard variables itself.
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", tt.endpoint)
			exports.Store(0)
			e := env{"CANDOR_DATA_DIR": t.TempDir(), "CANDOR_HTTP_ADDR": freeAddr(t), "OTEL_EXPORTER_OTLP_ENDPOINT": tt.endpoint}
			ctx, cancel := context.WithCancel(context.Background())
			logs := &syncBuffer{}
			done := make(chan int, 1)
			go func() { done <- execute(ctx, []string{"run"}, io.Discard, logs, e.get) }()
			waitHealthy(t, "http://"+e["CANDOR_HTTP_ADDR"], done, logs)
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("candor did not stop")
			}
			if got := exports.Load() > 0; got != tt.want {
				t.Errorf("trace exports received: %d, want some: %v", exports.Load(), tt.want)
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("the log does not say %q", tt.log)
			}
		})
	}
}
