package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
)

func TestMigrateNeedsOnlyTheDatabase(t *testing.T) {
	tests := []struct {
		name  string
		extra env
	}{
		{"migrate with only the database settings applies every migration", env{}},
		{"migrate with an admin key set applies every migration to a fresh database", env{"CANDOR_ADMIN_API_KEY": "cnd_fromTheEnvironmentForTests0001"}},
	}
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					e := databaseOnlyEnv(t, backend)
					for k, v := range tt.extra {
						e[k] = v
					}
					if code, _, stderr := run(t, e, "migrate"); code != 0 {
						t.Fatalf("migrate: exit %d, stderr:\n%s", code, stderr)
					}
					if pending := pendingMigrations(t, e); len(pending) != 0 {
						t.Errorf("migrations still pending after migrate: %v", pending)
					}
				})
			}
		})
	}
}

func TestMigrateStillChecksTheSettingsThatAreSet(t *testing.T) {
	e := env{"CANDOR_DATA_DIR": t.TempDir(), "CANDOR_REDIS_URL": "http://redis:6379", "CANDOR_DATABASE_URL": "postgres://db/candor",
		"CANDOR_SECRET_KEY": "short"}
	code, _, stderr := run(t, e, "migrate")
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"CANDOR_REDIS_URL: must use scheme redis or rediss", "CANDOR_SECRET_KEY: must be at least"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestServingCommandsStillNeedRedisAndTheSecretKey(t *testing.T) {
	e := env{"CANDOR_DATABASE_URL": "postgres://db/candor"}
	for _, command := range []string{"run", "api", "worker"} {
		t.Run(command+" is refused with only a database URL", func(t *testing.T) {
			code, _, stderr := run(t, e, strings.Fields(command)...)
			if code != 2 || !strings.Contains(stderr, "CANDOR_REDIS_URL") || !strings.Contains(stderr, "CANDOR_SECRET_KEY") {
				t.Errorf("exit %d, stderr %q: want exit 2 naming CANDOR_REDIS_URL and CANDOR_SECRET_KEY", code, stderr)
			}
		})
	}
	// The database-only commands (seed, apikey, ledger) queue nothing, but
	// they still seal and verify with the secret key.
	for _, command := range []string{"apikey list", "ledger verify", "seed --customers 10"} {
		t.Run(command+" needs the secret key but not Redis", func(t *testing.T) {
			code, _, stderr := run(t, e, strings.Fields(command)...)
			if code != 2 || strings.Contains(stderr, "CANDOR_REDIS_URL") || !strings.Contains(stderr, "CANDOR_SECRET_KEY") {
				t.Errorf("exit %d, stderr %q: want exit 2 naming CANDOR_SECRET_KEY and not CANDOR_REDIS_URL", code, stderr)
			}
		})
	}
}

// databaseOnlyEnv is the least a migration job gets: the PostgreSQL URL,
// or for the embedded SQLite file its data directory.
func databaseOnlyEnv(t *testing.T, backend string) env {
	t.Helper()
	if backend == testenv.Postgres {
		return env{"CANDOR_DATABASE_URL": testenv.BackendURL(t, backend)}
	}
	return env{"CANDOR_DATA_DIR": t.TempDir()}
}

// pendingMigrations opens the database e names and lists the migrations
// it has not applied.
func pendingMigrations(t *testing.T, e env) []int64 {
	t.Helper()
	ctx := context.Background()
	keys, err := secrets.New(secrets.GenerateSecret(), "")
	if err != nil {
		t.Fatal(err)
	}
	opts := store.Options{DatabaseURL: e["CANDOR_DATABASE_URL"], Keys: keys, Rules: segment.Language{}}
	if opts.DatabaseURL == "" {
		opts.SQLitePath = filepath.Join(e["CANDOR_DATA_DIR"], "candor.db")
	}
	s, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	states, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) == 0 {
		t.Fatal("the store knows no migrations, so none pending proves nothing")
	}
	var pending []int64
	for _, m := range states {
		if !m.Applied {
			pending = append(pending, m.Version)
		}
	}
	return pending
}
