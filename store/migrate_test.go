package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

func TestMigrate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend) // migrated once already
		if got := s.Dialect(); got != backend {
			t.Errorf("dialect = %q, want %q", got, backend)
		}
		t.Run("migrating again is a no-op that keeps data", func(t *testing.T) {
			mustPutCustomer(t, s, customerInput("keep"))
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Customer(ctx, "keep"); err != nil {
				t.Fatal(err)
			}
			topics, _, err := s.Topics(ctx, models.Page{})
			if err != nil || len(topics) != len(models.DefaultTopics) {
				t.Fatalf("topics = %d (err %v), want the %d defaults once", len(topics), err, len(models.DefaultTopics))
			}
		})
		t.Run("status reports every migration as applied", func(t *testing.T) {
			st, err := s.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st) == 0 {
				t.Fatal("no migrations known")
			}
			for _, m := range st {
				if !m.Applied {
					t.Errorf("migration %d %s not applied", m.Version, m.Name)
				}
			}
		})
		if err := s.Ping(ctx); err != nil {
			t.Errorf("ping: %v", err)
		}
	})
}

func TestConcurrentMigrationsOnOneDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		// Several processes starting at once share one database.
		opts := store.Options{DatabaseURL: testenv.BackendURL(t, backend), SQLitePath: testenv.SQLitePath(t), Keys: testKeys(t), Rules: segment.Language{}}
		const procs = 3
		stores := make([]*store.Store, procs)
		for i := range stores {
			s, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		}
		var wg sync.WaitGroup
		errs := make([]error, procs)
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Migrate(ctx)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("process %d: %v", i, err)
			}
		}
		topics, _, err := stores[0].Topics(ctx, models.Page{})
		if err != nil || len(topics) != len(models.DefaultTopics) {
			t.Fatalf("topics = %d (err %v), want the defaults exactly once", len(topics), err)
		}
	})
}

func TestOpenRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts store.Options
		code string
	}{
		{"missing keys are invalid", store.Options{SQLitePath: "x.db"}, models.EINVALID},
		{"no database at all is invalid", store.Options{Keys: testKeys(t), Rules: segment.Language{}}, models.EINVALID},
		{"a non-postgres URL is invalid", store.Options{DatabaseURL: "mysql://x", Keys: testKeys(t), Rules: segment.Language{}}, models.EINVALID},
		{"an unreachable server is unavailable", store.Options{DatabaseURL: "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", Keys: testKeys(t), Rules: segment.Language{}}, models.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.Open(context.Background(), tt.opts)
			if err == nil {
				s.Close()
			}
			wantCode(t, err, tt.code)
		})
	}
}
