package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// pageRequest is a browser's request from addr to a public page.
func pageRequest(method, path, addr string) *http.Request {
	var req *http.Request
	if method == http.MethodPost {
		req = httptest.NewRequest(method, path, strings.NewReader(url.Values{"List-Unsubscribe": {"One-Click"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = addr
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	return req
}

// withPageLimit builds a's API with limit, and a second API process on
// the same store and Redis.
func withPageLimit(t *testing.T, backend string, limit *PageRateLimit) (first, second *testAPI) {
	t.Helper()
	a := newTestAPI(t, backend, func(o *Options) { o.PageRateLimit = limit })
	b := *a
	e, err := newEngine(Options{Store: a.store, Keys: a.keys, PageRateLimit: limit, PublicURL: "https://candor.example",
		Preferences: testPreferences(a.store, a.keys), Reports: report.NewService(a.store, models.PlanSettings{}),
		Campaigns: campaigns.NewService(a.store, campaigns.NewPlanner(models.PlanSettings{}))})
	if err != nil {
		t.Fatal(err)
	}
	b.engine = e
	return a, &b
}

// wantTooMany checks a 429 page: HTML in the browser's language, with a
// Retry-After of whole seconds no longer than the period.
func wantTooMany(t *testing.T, rec *httptest.ResponseRecorder, period time.Duration) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429; body: %s", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want an HTML page", ct)
	}
	wait, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || wait < 1 || time.Duration(wait)*time.Second > period {
		t.Errorf("Retry-After = %q, want whole seconds from 1 to %s", rec.Header().Get("Retry-After"), period)
	}
	if body := rec.Body.String(); !strings.Contains(body, "Zu viele Anfragen") || !strings.Contains(body, `lang="de"`) {
		t.Errorf("the 429 page is not in the browser's language (German):\n%s", body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("the 429 page may be cached")
	}
}

func TestPublicPagesAreRateLimitedPerLinkAcrossProcesses(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend+" with "+redisenv.Backend(), func(t *testing.T) {
			limit := &PageRateLimit{Redis: redisClient(t), PerLink: Rate{Requests: 3, Period: time.Minute}}
			a, b := withPageLimit(t, backend, limit)
			a.putCustomer("crm-1")
			a.putCustomer("crm-2")
			unsub, prefs := a.linkPaths("crm-1")
			_, other := a.linkPaths("crm-2")
			for _, api := range []*testAPI{a, b, a} {
				wantStatus(t, api.serve(pageRequest(http.MethodGet, prefs, "192.0.2.1:1000")), http.StatusOK)
			}
			t.Run("the fourth request with one link is refused, by either process and from any address", func(t *testing.T) {
				wantTooMany(t, b.serve(pageRequest(http.MethodGet, prefs, "198.51.100.7:1000")), time.Minute)
				wantTooMany(t, a.serve(pageRequest(http.MethodGet, prefs+"/export", "192.0.2.1:1000")), time.Minute)
			})
			t.Run("another link has its own budget", func(t *testing.T) {
				wantStatus(t, a.serve(pageRequest(http.MethodGet, other, "192.0.2.1:1000")), http.StatusOK)
			})
			t.Run("the unsubscribe link of the same customer has its own budget", func(t *testing.T) {
				wantStatus(t, a.serve(pageRequest(http.MethodGet, unsub, "192.0.2.1:1000")), http.StatusOK)
			})
			t.Run("the API is not counted", func(t *testing.T) {
				wantStatus(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1", nil), http.StatusOK)
			})
		})
	}
}

func TestPublicPagesAreRateLimitedPerClientAddress(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend+" with "+redisenv.Backend(), func(t *testing.T) {
			limit := &PageRateLimit{Redis: redisClient(t), PerLink: Rate{Requests: 100, Period: time.Minute},
				PerClient: Rate{Requests: 2, Period: time.Minute}}
			a, b := withPageLimit(t, backend, limit)
			var prefs, unsubs []string
			for _, id := range []string{"crm-1", "crm-2", "crm-3"} {
				a.putCustomer(id)
				u, p := a.linkPaths(id)
				unsubs, prefs = append(unsubs, u), append(prefs, p)
			}
			wantStatus(t, a.serve(pageRequest(http.MethodGet, prefs[0], "192.0.2.1:1000")), http.StatusOK)
			wantStatus(t, b.serve(pageRequest(http.MethodGet, prefs[1], "192.0.2.1:2000")), http.StatusOK)
			t.Run("a third link from the same address is refused", func(t *testing.T) {
				wantTooMany(t, a.serve(pageRequest(http.MethodGet, prefs[2], "192.0.2.1:3000")), time.Minute)
			})
			t.Run("forged links count too", func(t *testing.T) {
				wantTooMany(t, b.serve(pageRequest(http.MethodGet, "/p/forged-token", "192.0.2.1:3000")), time.Minute)
			})
			t.Run("another address has its own budget", func(t *testing.T) {
				wantStatus(t, a.serve(pageRequest(http.MethodGet, prefs[2], "192.0.2.2:1000")), http.StatusOK)
			})
			t.Run("addresses of one IPv6 /64 share a budget", func(t *testing.T) {
				wantStatus(t, a.serve(pageRequest(http.MethodGet, prefs[0], "[2001:db8:1:2::1]:1000")), http.StatusOK)
				wantStatus(t, a.serve(pageRequest(http.MethodGet, prefs[1], "[2001:db8:1:2:ffff::9]:1000")), http.StatusOK)
				wantTooMany(t, a.serve(pageRequest(http.MethodGet, prefs[2], "[2001:db8:1:2:aaaa::3]:1000")), time.Minute)
				wantStatus(t, a.serve(pageRequest(http.MethodGet, prefs[2], "[2001:db8:1:3::1]:1000")), http.StatusOK)
			})
			t.Run("one-click unsubscribes from a mail provider's address are not refused", func(t *testing.T) {
				for _, u := range unsubs {
					wantStatus(t, a.serve(pageRequest(http.MethodPost, u, "192.0.2.1:4000")), http.StatusOK)
				}
				st, err := a.store.Consents(t.Context(), "crm-3")
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range st.Current {
					if c.Status == models.ConsentOptedIn {
						t.Errorf("topic %s is still opted in after the one-click unsubscribe", c.Topic)
					}
				}
			})
		})
	}
}

func TestPublicPagesStayOpenWhenRedisFails(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer rdb.Close()
	a := newTestAPI(t, testenv.Backends()[0], func(o *Options) {
		o.PageRateLimit = &PageRateLimit{Redis: rdb, PerLink: Rate{Requests: 1, Period: time.Minute}, PerClient: Rate{Requests: 1, Period: time.Minute}}
	})
	a.putCustomer("crm-1")
	_, prefs := a.linkPaths("crm-1")
	for range 3 {
		wantStatus(t, a.serve(pageRequest(http.MethodGet, prefs, "192.0.2.1:1000")), http.StatusOK)
	}
	if n := strings.Count(a.logs.String(), "page rate limit not applied"); n != 1 {
		t.Errorf("%d log lines about the failing Redis, want 1 (once a minute)", n)
	}
}

func TestClientNetwork(t *testing.T) {
	tests := []struct{ name, ip, want string }{
		{"an IPv4 address is itself", "192.0.2.1", "192.0.2.1"},
		{"an IPv4-mapped IPv6 address is its IPv4 address", "::ffff:192.0.2.1", "192.0.2.1"},
		{"an IPv6 address is its /64", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"an unreadable address is one budget", "", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clientNetwork(tt.ip); got != tt.want {
				t.Errorf("clientNetwork(%q) = %q, want %q", tt.ip, got, tt.want)
			}
		})
	}
}
