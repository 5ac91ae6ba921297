package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// never is a wait no test reaches: a request that should get a slot
// would hang the test (and fail it at its deadline) rather than pass.
const never = time.Hour

func TestLimiter(t *testing.T) {
	t.Run("free slots are taken at once", func(t *testing.T) {
		l := newLimiter(2, 0)
		for i := range 2 {
			if _, err := l.acquire(context.Background()); err != nil {
				t.Fatalf("acquire %d: %v", i, err)
			}
		}
	})
	t.Run("a full limiter refuses with EBUSY when the wait ends", func(t *testing.T) {
		l := newLimiter(1, 0)
		if _, err := l.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		_, err := l.acquire(context.Background())
		if got := models.ErrorCode(err); got != models.EBUSY {
			t.Fatalf("code = %q, want %q (err %v)", got, models.EBUSY, err)
		}
		if !strings.Contains(models.ErrorMessage(err), "Previews are busy") {
			t.Errorf("message %q does not say previews are busy", models.ErrorMessage(err))
		}
	})
	t.Run("a released slot can be taken again", func(t *testing.T) {
		l := newLimiter(1, 0)
		release, err := l.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		release()
		if _, err := l.acquire(context.Background()); err != nil {
			t.Fatalf("acquire after release: %v", err)
		}
	})
	t.Run("a waiting request gets the slot given back", func(t *testing.T) {
		l := newLimiter(1, never)
		waiting := make(chan struct{})
		l.waiting = func() { close(waiting) }
		release, err := l.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() {
			_, err := l.acquire(context.Background())
			done <- err
		}()
		select {
		case <-waiting:
		case err := <-done:
			t.Fatalf("acquire returned %v without waiting for the held slot", err)
		}
		release()
		if err := <-done; err != nil {
			t.Fatalf("the waiting request was refused: %v", err)
		}
	})
	t.Run("a request whose client left stops waiting", func(t *testing.T) {
		l := newLimiter(1, never)
		if _, err := l.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		l.waiting = cancel
		if _, err := l.acquire(ctx); models.ErrorCode(err) != models.EBUSY {
			t.Fatalf("err = %v, want EBUSY", err)
		}
	})
	t.Run("there are at least two slots", func(t *testing.T) {
		if n := expensiveSlots(); n < 2 {
			t.Errorf("expensiveSlots() = %d", n)
		}
	})
}

// forEachLimitedBackend runs fn per backend on an API whose expensive
// reads share lim, a single slot that refuses at once unless fn changes it.
func forEachLimitedBackend(t *testing.T, fn func(t *testing.T, a *testAPI, lim *limiter)) {
	t.Helper()
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			lim := newLimiter(1, 0)
			fn(t, newTestAPI(t, backend, func(o *Options) { o.previews = lim }), lim)
		})
	}
}

// expensiveRoutes are the routes behind the limiter; HEAD follows GET.
var expensiveRoutes = map[string]bool{
	"POST /v1/campaigns/:id/preview": true,
	"POST /v1/segments/preview":      true,
	"GET /v1/segments/:id/preview":   true,
	"GET /v1/segments/:id/customers": true,
	"GET /v1/campaigns/:id/report":   true,
	"GET /v1/reports/trust":          true,
	"GET /reports/campaigns/:id":     true,
	"GET /reports/trust":             true,
}

func TestExpensiveReadsAreLimited(t *testing.T) {
	forEachLimitedBackend(t, func(t *testing.T, a *testAPI, lim *limiter) {
		release, err := lim.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range a.engine.Routes() {
			if r.Method == http.MethodDelete {
				continue // DELETEs change data and none is expensive
			}
			name := r.Method + " " + r.Path
			policy := strings.Replace(name, http.MethodHead+" ", http.MethodGet+" ", 1)
			t.Run(name, func(t *testing.T) {
				rec := a.call(models.RoleAdmin, r.Method, samplePath(r.Path), nil)
				if !expensiveRoutes[policy] {
					if rec.Code == http.StatusTooManyRequests {
						t.Errorf("a cheap route was limited: %s", rec.Body.String())
					}
					return
				}
				if r.Method == http.MethodHead {
					wantStatus(t, rec, http.StatusTooManyRequests)
				} else {
					p := wantProblem(t, rec, http.StatusTooManyRequests)
					if p.Type != problemTypeBase+models.EBUSY || p.Title != "Too Many Requests" || !strings.Contains(p.Detail, "busy") {
						t.Errorf("problem = %+v", p)
					}
				}
				if got := rec.Header().Get("Retry-After"); got != "5" {
					t.Errorf("Retry-After = %q, want 5", got)
				}
			})
		}
		release()
		t.Run("a freed slot serves the next preview", func(t *testing.T) {
			for range 3 { // each request gives its slot back, errors included
				wantProblem(t, a.call(models.RoleViewer, http.MethodPost, "/v1/campaigns/999/preview", nil), http.StatusNotFound)
			}
			rec := a.call(models.RoleViewer, http.MethodPost, "/v1/segments/preview", `{"rule":{"field":"locale","op":"exists"}}`)
			wantStatus(t, rec, http.StatusOK)
		})
	})
}

func TestAPreviewWaitsForAFreeSlot(t *testing.T) {
	forEachLimitedBackend(t, func(t *testing.T, a *testAPI, lim *limiter) {
		lim.wait = never
		waiting := make(chan struct{})
		lim.waiting = func() { close(waiting) }
		release, err := lim.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		code := make(chan int)
		go func() {
			code <- a.call(models.RoleViewer, http.MethodPost, "/v1/segments/preview", `{"rule":{"field":"locale","op":"exists"}}`).Code
		}()
		select {
		case <-waiting:
		case got := <-code:
			t.Fatalf("the preview answered %d without waiting for the held slot", got)
		}
		release()
		if got := <-code; got != http.StatusOK {
			t.Errorf("status = %d, want 200 once the slot was free", got)
		}
	})
}
