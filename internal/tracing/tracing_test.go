package tracing

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestTracingIsOnOnlyWithAnOTLPEndpoint(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"no variable: off", nil, false},
		{"the general endpoint: on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"the traces endpoint: on", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Enabled(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("Enabled = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("off installs no tracer provider", func(t *testing.T) {
		before := otel.GetTracerProvider()
		shutdown, err := Setup(context.Background(), func(string) string { return "" }, "test")
		if err != nil || shutdown(context.Background()) != nil {
			t.Fatalf("Setup = %v", err)
		}
		if otel.GetTracerProvider() != before {
			t.Error("Setup without an endpoint replaced the global tracer provider")
		}
	})
}

func TestSpansStartedUnderARequestCarryItsID(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tracer := NewProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test")
	_, inRequest := tracer.Start(WithRequestID(context.Background(), "req-42"), "SELECT customers")
	inRequest.End()
	_, outside := tracer.Start(context.Background(), "task delivery:send")
	outside.End()
	got := map[string]string{}
	for _, s := range rec.Ended() {
		got[s.Name()] = ""
		for _, kv := range s.Attributes() {
			if kv.Key == RequestIDKey {
				got[s.Name()] = kv.Value.AsString()
			}
		}
	}
	want := map[string]string{"SELECT customers": "req-42", "task delivery:send": ""}
	for name, id := range want {
		if got[name] != id {
			t.Errorf("span %q request id = %q, want %q", name, got[name], id)
		}
	}
}
