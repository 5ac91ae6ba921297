package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// redisClient connects to the test Redis of this package (or a miniredis,
// the embedded mode's Redis) until the test ends.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(redisenv.URL(t, redisenv.DBAPI))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestTheRateLimitIsPerKeyAndSharedByEveryAPIProcess(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend+" with "+redisenv.Backend(), func(t *testing.T) {
			rdb := redisClient(t)
			limit := &RateLimit{Redis: rdb, Requests: 3, Period: time.Minute}
			a := newTestAPI(t, backend, func(o *Options) { o.RateLimit = limit })
			// A second API process on the same store and Redis.
			second := *a
			second.engine = mustEngine(t, a, limit)

			for i, api := range []*testAPI{a, &second, a} {
				rec := api.call(models.RoleViewer, http.MethodGet, "/v1/customers", nil)
				wantStatus(t, rec, http.StatusOK)
				if got, want := rec.Header().Get("RateLimit-Remaining"), strconv.Itoa(2-i); got != want {
					t.Errorf("request %d: RateLimit-Remaining = %q, want %q", i+1, got, want)
				}
				if got := rec.Header().Get("RateLimit-Limit"); got != "3" {
					t.Errorf("RateLimit-Limit = %q, want 3", got)
				}
				if got := rec.Header().Get("RateLimit-Policy"); got != "3;w=60" {
					t.Errorf("RateLimit-Policy = %q, want 3;w=60", got)
				}
			}
			rec := second.call(models.RoleViewer, http.MethodGet, "/v1/customers", nil)
			p := wantProblem(t, rec, http.StatusTooManyRequests)
			if !strings.HasSuffix(p.Type, "/rate_limited") {
				t.Errorf("problem type = %q, want .../rate_limited", p.Type)
			}
			if wait, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || wait < 1 || wait > 20 {
				t.Errorf("Retry-After = %q, want the seconds until one more request is allowed (20 for 3/min)", rec.Header().Get("Retry-After"))
			}
			if got := rec.Header().Get("RateLimit-Remaining"); got != "0" {
				t.Errorf("RateLimit-Remaining on the 429 = %q, want 0", got)
			}
			// Another key has a budget of its own.
			wantStatus(t, a.call(models.RoleEditor, http.MethodGet, "/v1/customers", nil), http.StatusOK)
			// Public routes are not counted.
			if rec := a.call("", http.MethodGet, "/healthz", nil); rec.Header().Get("RateLimit-Limit") != "" {
				t.Error("/healthz carries rate limit headers")
			}
		})
	}
}

func TestTheRateLimitLetsRequestsThroughWhenRedisFails(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer rdb.Close()
	a := newTestAPI(t, testenv.Backends()[0], func(o *Options) {
		o.RateLimit = &RateLimit{Redis: rdb, Requests: 1, Period: time.Minute}
	})
	for range 3 {
		rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers", nil)
		wantStatus(t, rec, http.StatusOK)
		if rec.Header().Get("RateLimit-Limit") != "" {
			t.Error("an uncounted request carries rate limit headers")
		}
	}
	if n := strings.Count(a.logs.String(), "rate limit not applied"); n != 1 {
		t.Errorf("logged the Redis failure %d times, want once a minute:\n%s", n, a.logs.String())
	}
}

func TestSecondsRoundsWaitsUp(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0", -time.Second: "0", time.Millisecond: "1", time.Second: "1", 1500 * time.Millisecond: "2"} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%v) = %q, want %q", d, got, want)
		}
	}
}

// mustEngine builds another API process over a's store with limit.
func mustEngine(t *testing.T, a *testAPI, limit *RateLimit) *gin.Engine {
	t.Helper()
	e, err := newEngine(Options{Store: a.store, Keys: a.keys, RateLimit: limit, Preferences: testPreferences(a.store, a.keys),
		Reports:   report.NewService(a.store, models.PlanSettings{}),
		Campaigns: campaigns.NewService(a.store, campaigns.NewPlanner(models.PlanSettings{}))})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
