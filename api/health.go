package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gopkg.in/yaml.v3"
)

//go:embed openapi.yaml
var openAPIYAML []byte

// checkTimeout bounds each readiness check, so a hung backend makes
// /readyz fail rather than hang the load balancer's probe.
const checkTimeout = 2 * time.Second

// healthz answers GET /healthz: the process is up and serving.
func (s *server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": s.version})
}

// readiness is the answer of GET /readyz. Checks map each check's name to
// "ok" or "failed": the error itself is logged, never returned, because it
// may hold a host name or credentials.
type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyz answers GET /readyz: 200 when every check passes, 503 naming the
// checks that failed. Checks run concurrently, each with checkTimeout.
func (s *server) readyz(c *gin.Context) {
	res := readiness{Status: "ok", Checks: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range s.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(c.Request.Context(), checkTimeout)
			defer cancel()
			err := runCheck(ctx, check)
			mu.Lock()
			defer mu.Unlock()
			res.Checks[name] = "ok"
			if err != nil {
				res.Status, res.Checks[name] = "unavailable", "failed"
				s.logger.WarnContext(ctx, "readiness check failed", slog.String("check", name), slog.Any("error", err))
			}
		})
	}
	wg.Wait()
	status := http.StatusOK
	if res.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, res)
}

// runCheck runs check and gives up when ctx ends, even if check ignores
// its context (a client library with its own timeouts): /readyz promises
// an answer within checkTimeout. A check that outlives it finishes in the
// background and its result is dropped.
func runCheck(ctx context.Context, check func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- check(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("check gave up: %w", ctx.Err())
	}
}

// metricsHandler answers GET /metrics in the Prometheus text format.
func (s *server) metricsHandler(c *gin.Context) {
	if err := s.checkMetricsToken(c); err != nil {
		s.writeError(c, err)
		return
	}
	s.promHTTP.ServeHTTP(c.Writer, c.Request)
}

// openAPI answers GET /openapi.json with the spec kept in api/openapi.yaml.
func (s *server) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", s.openapi)
}

// openAPIJSON converts the embedded YAML spec to JSON once, at start.
func openAPIJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("api: parse openapi.yaml: %w", err)
	}
	return json.Marshal(stringKeys(doc))
}

// stringKeys turns YAML maps with non-string keys (status codes such as
// 200 parse as integers) into JSON-encodable maps.
func stringKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			v[k] = stringKeys(child)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, child := range v {
			m[fmt.Sprint(k)] = stringKeys(child)
		}
		return m
	case []any:
		for i, child := range v {
			v[i] = stringKeys(child)
		}
		return v
	}
	return v
}

// HealthOptions configure the health handler of a process that serves no
// API (candor worker).
type HealthOptions struct {
	// Checks are run by /readyz by name, as Options.Checks.
	Checks       map[string]func(context.Context) error
	Registry     *prometheus.Registry // nil => a new one; /metrics serves it
	MetricsToken string               // if set, /metrics needs "Authorization: Bearer <token>"
	Logger       *slog.Logger         // nil => slog.Default()
	Version      string
}

// NewHealth serves only /healthz, /readyz and /metrics, answering as the
// API does, so orchestrators probe every process the same way. Every
// other path is a 404 problem. It fails only when the metrics cannot be
// registered.
func NewHealth(opts HealthOptions) (http.Handler, error) {
	s := &server{checks: opts.Checks, registry: opts.Registry, metricsToken: opts.MetricsToken,
		logger: opts.Logger, version: opts.Version}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	var err error
	if s.metrics, err = newHTTPMetrics(s.registry); err != nil {
		return nil, err
	}
	s.promHTTP = promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(withRequestID, dropHeadBody, s.observe, s.recoverPanic)
	e.NoRoute(s.notFound)
	for _, r := range withHeadRoutes([]route{
		{http.MethodGet, "/healthz", public, s.healthz},
		{http.MethodGet, "/readyz", public, s.readyz},
		{http.MethodGet, "/metrics", public, s.metricsHandler},
	}) {
		e.Handle(r.method, r.path, r.handler)
	}
	return e, nil
}
