package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/candor/candor/internal/tracing"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

const requestIDKey = "candor.request_id"

// requestIDRE bounds what a client may choose as request id, so ids are safe
// to log and to echo in a header.
var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID adopts the client's X-Request-ID when it is well-formed, or
// makes a new one, and echoes it in the response.
func withRequestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !requestIDRE.MatchString(id) {
		id = secrets.RandomHex(12)
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// traceRequest starts the request's server span (named by method and
// route pattern, a child of the caller's span when the request carries a
// W3C traceparent) and puts the request id into the context, so every
// span started under it, database statements included, carries it
// (internal/tracing). Like the access log, the span holds the route
// pattern only: never the path (external ids, customer tokens), the query
// or the client's address. With tracing off the tracer is a no-op.
func traceRequest(c *gin.Context) {
	ctx := tracing.WithRequestID(c.Request.Context(), requestID(c))
	ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(c.Request.Header))
	route := routeOf(c)
	ctx, span := otel.Tracer(tracing.ScopeName).Start(ctx, c.Request.Method+" "+route,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", metricMethod(c.Request.Method)),
			attribute.String("http.route", route),
			tracing.RequestIDKey.String(requestID(c)),
		))
	defer span.End()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
	status := c.Writer.Status()
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= http.StatusInternalServerError {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}

// routeOf names the matched route pattern. The raw path is never used in
// logs or metric labels: it holds external ids and customer tokens, and
// unmatched paths would make label cardinality unbounded.
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// httpMetrics are the per-route request metrics.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newHTTPMetrics registers the request metrics, and the Go and process
// collectors unless the caller's registry already has them.
func newHTTPMetrics(reg *prometheus.Registry) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "candor_http_requests_total",
			Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "candor_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	for _, col := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
	}
	for _, col := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(col); err != nil {
			if _, dup := err.(prometheus.AlreadyRegisteredError); !dup {
				return nil, fmt.Errorf("register runtime metrics: %w", err)
			}
		}
	}
	return m, nil
}

// observe writes the access log line and the metrics of a request. It logs
// only the route pattern: no path, query string, body or headers, since
// those carry PII, tokens and keys.
func (s *server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	route, status := routeOf(c), c.Writer.Status()
	method := metricMethod(c.Request.Method)
	s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(method, route).Observe(elapsed.Seconds())
	s.logger.LogAttrs(c.Request.Context(), slog.LevelInfo, "http request",
		slog.String("request_id", requestID(c)),
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
	)
}

// recoverPanic turns a handler panic into a logged 500 problem, so one bad
// request cannot take the process down or leave the client without an answer.
func (s *server) recoverPanic(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v) // the client went away; net/http handles this one quietly
			}
			s.writeError(c, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
		}
	}()
	c.Next()
}

// limitBody rejects a declared Content-Length over the limit at once and
// caps every other body, so no handler can be made to read without bound.
func (s *server) limitBody(c *gin.Context) {
	if c.Request.ContentLength > s.maxBody {
		s.writeError(c, models.Errorf(models.ETOOLARGE, "The request body is larger than %d bytes.", s.maxBody))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody)
	c.Next()
}

// notFound answers requests that match no route.
func (s *server) notFound(c *gin.Context) {
	s.writeError(c, models.Errorf(models.ENOTFOUND, "There is no resource at this path."))
}

// methodNotAllowed answers a known path with an unsupported method; gin has
// already set the Allow header.
func (s *server) methodNotAllowed(c *gin.Context) {
	s.writeError(c, models.Errorf(codeMethodNotAllowed, "This resource does not support %s; see the Allow header.", c.Request.Method))
}

// metricMethod maps a request method to a bounded label set: clients can
// send any token as a method, and every distinct label value is a new
// time series.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
