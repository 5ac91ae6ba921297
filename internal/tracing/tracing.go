// Package tracing sets up OpenTelemetry tracing for Candor's processes:
// spans for HTTP requests (api), database statements (store) and worker
// tasks (worker), exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT
// (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Without either, nothing
// is installed: the global tracer provider stays OpenTelemetry's no-op
// one, so starting a span costs a few nanoseconds and no exporter runs.
//
// Every span started inside an HTTP request carries the request's id
// (attribute candor.request_id), the one its access log line and its
// problem answers show, so a trace and a log line find each other.
package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// RequestIDKey is the span attribute holding the HTTP request id.
const RequestIDKey = attribute.Key("candor.request_id")

// ScopeName names Candor's own tracers.
const ScopeName = "github.com/candor/candor"

type requestIDCtxKey struct{}

// WithRequestID returns ctx carrying the request id id: every span
// started under it gets the attribute RequestIDKey.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDCtxKey{}, id)
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDCtxKey{}).(string)
	return id
}

// requestIDProcessor stamps the request id of the parent context on each
// span as it starts: instrumentation that knows nothing of requests (the
// database callbacks) still yields spans a person can match to a request.
type requestIDProcessor struct{}

func (requestIDProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if id := RequestID(parent); id != "" {
		s.SetAttributes(RequestIDKey.String(id))
	}
}
func (requestIDProcessor) OnEnd(sdktrace.ReadOnlySpan)      {}
func (requestIDProcessor) Shutdown(context.Context) error   { return nil }
func (requestIDProcessor) ForceFlush(context.Context) error { return nil }

// NewProvider returns a tracer provider that stamps request ids, with
// opts (an exporter, a resource) added. Tests pass an in-memory recorder.
func NewProvider(opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(requestIDProcessor{})}, opts...)...)
}

// Enabled reports whether the environment asks for traces to be exported.
func Enabled(getenv func(string) string) bool {
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup installs the global tracer provider and the W3C trace context
// propagator when Enabled, and returns the function that flushes and
// stops it at shutdown (a no-op when tracing is off). The exporter reads
// the standard OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers,
// timeout); OTEL_SERVICE_NAME overrides the service name "candor".
func Setup(ctx context.Context, getenv func(string) string, version string) (shutdown func(context.Context) error, err error) {
	if !Enabled(getenv) {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "candor"
	}
	res := resource.NewSchemaless(attribute.String("service.name", name), attribute.String("service.version", version))
	tp := NewProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}
