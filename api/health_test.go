package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"
)

func TestReadyz(t *testing.T) {
	leaky := errors.New("dial redis://:hunter2@10.0.0.9:6379: connection refused")
	tests := []struct {
		name string
		// redis is the extra check; database always pings the real store.
		redis func(context.Context) error
		// probeGone cancels the request, as a load balancer giving up does,
		// so a check that waits for its context must return.
		probeGone  bool
		wantStatus int
		want       readiness
	}{
		{"with every check passing it is ready", func(context.Context) error { return nil }, false,
			200, readiness{Status: "ok", Checks: map[string]string{"database": "ok", "redis": "ok"}}},
		{"a failing check makes it unavailable and is named", func(context.Context) error { return leaky }, false,
			503, readiness{Status: "unavailable", Checks: map[string]string{"database": "ok", "redis": "failed"}}},
		{"a hung check fails instead of hanging the probe", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, true,
			503, readiness{Status: "unavailable", Checks: map[string]string{"database": "failed", "redis": "failed"}}},
		{"a check that ignores its context fails within the 2 s promised", func(context.Context) error { time.Sleep(5 * time.Second); return nil }, false,
			503, readiness{Status: "unavailable", Checks: map[string]string{"database": "ok", "redis": "failed"}}},
	}
	for _, backend := range testenv.Backends() {
		for _, tt := range tests {
			t.Run(backend+"/"+tt.name, func(t *testing.T) {
				a := newTestAPI(t, backend, func(o *Options) {
					o.Checks = map[string]func(context.Context) error{"redis": tt.redis}
				})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.probeGone {
					cancel()
				}
				start := time.Now()
				rec := a.serve(httptest.NewRequest(http.MethodGet, "/readyz", nil).WithContext(ctx))
				if took := time.Since(start); took > checkTimeout+200*time.Millisecond {
					t.Errorf("readyz took %v, more than the %v promised", took, checkTimeout)
				}
				wantStatus(t, rec, tt.wantStatus)
				if diff := cmp.Diff(tt.want, decodeBody[readiness](t, rec)); diff != "" {
					t.Errorf("readiness (-want +got):\n%s", diff)
				}
				if strings.Contains(rec.Body.String(), "hunter2") {
					t.Errorf("readyz leaked the error: %s", rec.Body.String())
				}
			})
		}
	}
}

func TestHealthz(t *testing.T) {
	a := newTestAPI(t, testenv.Backends()[0], nil)
	rec := a.call("", http.MethodGet, "/healthz", nil)
	wantStatus(t, rec, http.StatusOK)
	if diff := cmp.Diff(map[string]string{"status": "ok", "version": "test"}, decodeBody[map[string]string](t, rec)); diff != "" {
		t.Errorf("healthz (-want +got):\n%s", diff)
	}
}

func TestMetrics(t *testing.T) {
	t.Run("the request counter is labelled by route pattern, not raw path", func(t *testing.T) {
		a := newTestAPI(t, testenv.Backends()[0], nil)
		a.putCustomer("crm-secret-id")
		wantStatus(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-secret-id", nil), http.StatusOK)
		a.call("", http.MethodGet, "/no/such/path", nil)
		rec := a.call("", http.MethodGet, "/metrics", nil)
		wantStatus(t, rec, http.StatusOK)
		body := rec.Body.String()
		for _, want := range []string{
			`candor_http_requests_total{method="GET",route="/v1/customers/:external_id",status="200"} 1`,
			`candor_http_requests_total{method="PUT",route="/v1/customers/:external_id",status="201"} 1`,
			`candor_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
			`candor_http_request_duration_seconds_bucket{method="GET",route="/v1/customers/:external_id",le="+Inf"} 1`,
			`go_goroutines`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if strings.Contains(body, "crm-secret-id") {
			t.Error("metrics contain a raw external id")
		}
	})
	t.Run("a metrics token guards the endpoint", func(t *testing.T) {
		a := newTestAPI(t, testenv.Backends()[0], func(o *Options) { o.MetricsToken = "metrics-token" })
		wantProblem(t, a.call("", http.MethodGet, "/metrics", nil), http.StatusUnauthorized)
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Authorization", "Bearer wrong-token")
		wantProblem(t, a.serve(req), http.StatusUnauthorized)
		req.Header.Set("Authorization", "Bearer metrics-token")
		wantStatus(t, a.serve(req), http.StatusOK)
	})
}

func TestRequestID(t *testing.T) {
	a := newTestAPI(t, testenv.Backends()[0], nil)
	tests := []struct {
		name   string
		sent   string
		echoed func(got string) bool
	}{
		{"a well-formed client id is echoed", "req-42.a_b", func(got string) bool { return got == "req-42.a_b" }},
		{"a missing id is generated", "", func(got string) bool { return requestIDRE.MatchString(got) }},
		{"an id with unsafe characters is replaced", "evil\"id <script>", func(got string) bool {
			return requestIDRE.MatchString(got) && !strings.Contains(got, "evil")
		}},
		{"an overlong id is replaced", strings.Repeat("a", 65), func(got string) bool { return len(got) < 65 && requestIDRE.MatchString(got) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/v1/customers/crm-1", nil)
			if tt.sent != "" {
				req.Header.Set("X-Request-ID", tt.sent)
			}
			rec := a.serve(req)
			got := rec.Header().Get("X-Request-ID")
			if !tt.echoed(got) {
				t.Errorf("X-Request-ID = %q for %q", got, tt.sent)
			}
			if p := decodeBody[problem](t, rec); p.RequestID != got {
				t.Errorf("problem request_id %q, header %q", p.RequestID, got)
			}
		})
	}
}

func TestAccessLogHoldsNoPII(t *testing.T) {
	a := newTestAPI(t, testenv.Backends()[0], nil)
	a.putCustomer("crm-private")
	path := a.unsubscribePath("crm-private")
	a.oneClick(path, "List-Unsubscribe=One-Click")
	req := httptest.NewRequest(http.MethodGet, "/v1/customers?limit=1&cursor=secret-cursor", nil)
	req.Header.Set("Authorization", "Bearer "+a.apiKey[models.RoleViewer])
	req.Header.Set("X-Request-ID", "trace-me")
	a.serve(req)

	logs := a.logs.String()
	for _, secret := range []string{"crm-private", "example.com", "Ada", strings.TrimPrefix(path, "/u/"), "secret-cursor", a.apiKey[models.RoleViewer]} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{`"route":"/v1/customers/:external_id"`, `"route":"/u/:token"`, `"request_id":"trace-me"`, `"duration_ms":`, `"status":201`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestPanicsBecomeProblems(t *testing.T) {
	a := newTestAPI(t, testenv.Backends()[0], nil)
	a.engine.GET("/panic", func(*gin.Context) { panic("boom") })
	p := wantProblem(t, a.call("", http.MethodGet, "/panic", nil), http.StatusInternalServerError)
	if strings.Contains(p.Detail, "boom") {
		t.Errorf("the panic value leaked into the detail: %q", p.Detail)
	}
	if !strings.Contains(a.logs.String(), "boom") {
		t.Error("the panic was not logged")
	}
}
