package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/internal/tracing"
	"github.com/candor/candor/models"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"
)

// recordSpans installs an in-memory tracer provider as the global one
// until the test ends.
func recordSpans(t *testing.T) (*tracetest.SpanRecorder, *sdktrace.TracerProvider) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := tracing.NewProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
	return rec, tp
}

func TestEveryRequestAndStatementIsASpanWithTheRequestID(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			spans, tp := recordSpans(t)
			a := newTestAPI(t, backend, nil)
			if err := a.store.EnableTracing(tp); err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPut, "/v1/customers/crm-trace-1", strings.NewReader(mustJSON(t, validCustomer("crm-trace-1"))))
			req.Header.Set("Authorization", "Bearer "+a.apiKey[models.RoleEditor])
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Request-ID", "trace-put-1")
			wantStatus(t, a.serve(req), http.StatusCreated)

			var server sdktrace.ReadOnlySpan
			statements := 0
			for _, s := range spans.Ended() {
				attrs := map[string]string{}
				for _, kv := range s.Attributes() {
					attrs[string(kv.Key)] = kv.Value.Emit()
					if strings.Contains(kv.Value.Emit(), "crm-trace-1") || strings.Contains(kv.Value.Emit(), "@example.com") {
						t.Errorf("span %q holds customer data in %s=%q", s.Name(), kv.Key, kv.Value.Emit())
					}
				}
				if attrs[string(tracing.RequestIDKey)] != "trace-put-1" {
					continue // spans of the test's own setup (creating keys) carry no request id
				}
				switch {
				case s.Name() == "PUT /v1/customers/:external_id":
					server = s
					if attrs["http.route"] != "/v1/customers/:external_id" || attrs["http.response.status_code"] != "201" {
						t.Errorf("request span attributes = %v", attrs)
					}
				case attrs["db.query.text"] != "":
					statements++
				}
			}
			if server == nil {
				t.Fatalf("no request span with the request id among %d spans", len(spans.Ended()))
			}
			if statements == 0 {
				t.Fatal("no database statement span carries the request id")
			}
			for _, s := range spans.Ended() {
				if s.Parent().SpanID() == server.SpanContext().SpanID() && s.SpanContext().TraceID() != server.SpanContext().TraceID() {
					t.Errorf("statement span %q is in another trace", s.Name())
				}
			}
		})
	}
}

func TestARequestJoinsTheCallersTrace(t *testing.T) {
	spans, _ := recordSpans(t)
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
	a := newTestAPI(t, testenv.Backends()[0], nil)
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	wantStatus(t, a.serve(req), http.StatusOK)
	ended := spans.Ended()
	if len(ended) == 0 {
		t.Fatal("no span")
	}
	last := ended[len(ended)-1]
	if got := last.SpanContext().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace id = %s, want the caller's", got)
	}
}
