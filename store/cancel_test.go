package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// runningPreviews counts this database's backends, other than the
// caller's, that run or wait in a segment query with consent joins.
func runningPreviews(tb testing.TB, s *store.Store) int64 {
	tb.Helper()
	var n int64
	err := s.DB().Raw(`SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
		AND state <> 'idle' AND query LIKE '%LEFT JOIN consents k0%'`).Scan(&n).Error
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestAPreviewWhoseClientLeftStopsOnTheServer reproduces issue 15: eight
// previews whose clients left after a second were still running in
// PostgreSQL 20 s later, because pgx only put a deadline on the socket.
// The preview of the 200-condition rule is made to wait, in the server,
// for a lock the test holds on consents; then its client leaves. The
// server must stop it at once: pg_stat_activity shows nothing left while
// the lock is still held.
func TestAPreviewWhoseClientLeftStopsOnTheServer(t *testing.T) {
	if !contains(testenv.Backends(), testenv.Postgres) {
		t.Skip("needs PostgreSQL (" + testenv.EnvDatabaseURL + ")")
	}
	t.Run(testenv.Postgres, func(t *testing.T) {
		s := mustOpen(t, testenv.Postgres)
		bg := context.Background()
		for i := range 20 {
			if _, err := s.CreateTopic(bg, &models.TopicInput{Key: fmt.Sprintf("topic-%d", i), Name: fmt.Sprintf("Topic %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		mustPutCustomer(t, s, customerInput("crm-1"))
		lock := s.DB().Begin()
		defer lock.Rollback()
		if err := lock.Exec("LOCK TABLE consents IN ACCESS EXCLUSIVE MODE").Error; err != nil {
			t.Fatal(err)
		}
		ctx, leave := context.WithCancel(bg)
		done := make(chan error, 1)
		go func() {
			_, err := s.PreviewRule(ctx, json.RawMessage(costlyRule(200, 20)))
			done <- err
		}()
		for runningPreviews(t, s) == 0 {
			time.Sleep(10 * time.Millisecond) // until the preview waits for the lock
		}
		leave()
		err := <-done
		if !errors.Is(err, context.Canceled) {
			t.Errorf("preview error = %v, want context.Canceled", err)
		}
		if n := runningPreviews(t, s); n != 0 {
			t.Errorf("%d preview queries still run after their client left", n)
		}
	})
}

// TestAPreviewThatRunsOutOfTimeIsUnavailable: a preview past its limit
// is a 503 that names the limit, on both backends.
func TestAPreviewThatRunsOutOfTimeIsUnavailable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		s, err := store.Open(context.Background(), store.Options{
			DatabaseURL: testenv.BackendURL(t, backend), SQLitePath: testenv.SQLitePath(t),
			Keys: testKeys(t), Rules: segment.Language{}, PreviewTimeout: time.Nanosecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		_, err = s.PreviewRule(context.Background(), json.RawMessage(`{"field":"locale","op":"exists"}`))
		wantCode(t, err, models.EUNAVAILABLE)
	})
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestEveryConnectionCarriesTheStatementTimeout: on PostgreSQL every
// pooled connection starts with the configured statement_timeout, and a
// URL that sets its own keeps it.
func TestEveryConnectionCarriesTheStatementTimeout(t *testing.T) {
	if !contains(testenv.Backends(), testenv.Postgres) {
		t.Skip("needs PostgreSQL (" + testenv.EnvDatabaseURL + ")")
	}
	tests := []struct {
		name, query string
		timeout     time.Duration
		want        string
	}{
		{"the configured timeout", "", 1500 * time.Millisecond, "1500ms"},
		{"none configured keeps the server's", "", 0, "0"},
		{"the URL's own wins", "&statement_timeout=7000", time.Second, "7s"},
	}
	for _, tt := range tests {
		t.Run(testenv.Postgres+"/"+tt.name, func(t *testing.T) {
			s, err := store.Open(context.Background(), store.Options{
				DatabaseURL: testenv.BackendURL(t, testenv.Postgres) + tt.query,
				Keys:        testKeys(t), Rules: segment.Language{}, StatementTimeout: tt.timeout,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got string
			if err := s.DB().Raw("SHOW statement_timeout").Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("statement_timeout = %q, want %q", got, tt.want)
			}
		})
	}
}
