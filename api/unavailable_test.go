package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"gorm.io/gorm"
)

// TestALostDatabaseConnectionIsA503OrARetry terminates, with
// pg_terminate_backend, the backend serving a request while it waits on a
// table lock. A lost connection is a PostgreSQL matter: SQLite runs in
// the process, so this test runs only with CANDOR_TEST_DATABASE_URL.
func TestALostDatabaseConnectionIsA503OrARetry(t *testing.T) {
	if !slices.Contains(testenv.Backends(), testenv.Postgres) {
		t.Skip("a lost connection needs PostgreSQL: set CANDOR_TEST_DATABASE_URL")
	}
	tests := []struct {
		name       string
		role       models.Role
		method     string
		path       string
		body       any
		kills      int // backends to terminate; -1: every attempt
		wantStatus int
	}{
		{"a read whose connection is lost once is retried and answers 200", models.RoleViewer, http.MethodGet, "/v1/customers/crm-1", nil, 1, 200},
		{"a read whose connection is lost twice answers 503 with Retry-After", models.RoleViewer, http.MethodGet, "/v1/customers/crm-1", nil, -1, 503},
		{"a write whose statement lost the connection once is retried and answers 200", models.RoleEditor, http.MethodPut, "/v1/customers/crm-1",
			validCustomer("crm-1"), 1, 200},
		{"a write that keeps losing its connection answers 503 with Retry-After", models.RoleEditor, http.MethodPut, "/v1/customers/crm-1",
			validCustomer("crm-1"), -1, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t, "postgres", nil)
			a.putCustomer("crm-1")
			locker := a.store.DB().Begin()
			defer locker.Rollback()
			if err := locker.Exec("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE").Error; err != nil {
				t.Fatal(err)
			}
			done := make(chan *httptest.ResponseRecorder, 1)
			go func() { done <- a.call(tt.role, tt.method, tt.path, tt.body) }()
			killed := 0
			deadline := time.After(10 * time.Second)
			for {
				select {
				case rec := <-done:
					locker.Rollback()
					wantStatus(t, rec, tt.wantStatus)
					if tt.wantStatus == 503 && rec.Header().Get("Retry-After") == "" {
						t.Error("a 503 without Retry-After")
					}
					if killed == 0 {
						t.Error("no backend was terminated: the test did not reproduce a lost connection")
					}
					return
				case <-deadline:
					var rows []map[string]any
					locker.Raw(`SELECT pid, state, wait_event_type, wait_event, left(query, 80) AS q FROM pg_stat_activity WHERE datname = current_database()`).Scan(&rows)
					t.Fatalf("the request did not finish after %d terminations; activity: %v", killed, rows)
				case <-time.After(20 * time.Millisecond):
				}
				if tt.kills >= 0 && killed >= tt.kills {
					locker.Rollback() // let the retry through
					continue
				}
				killed += terminateWaiters(t, locker)
			}
		})
	}
}

// terminateWaiters terminates every other backend of this database that
// waits for a lock, and returns how many it terminated.
func terminateWaiters(t *testing.T, locker *gorm.DB) int {
	t.Helper()
	var n int
	// pg_stat_activity is a snapshot per transaction: take a fresh one.
	locker.Exec("SELECT pg_stat_clear_snapshot()")
	err := locker.WithContext(context.Background()).Raw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`).Scan(&n).Error
	if err != nil && locker.Error == nil {
		t.Fatal(err)
	}
	return n
}
