package testenv

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestBackends(t *testing.T) {
	got := Backends()
	if got[0] != SQLite {
		t.Fatalf("backends = %v, want sqlite first", got)
	}
	if want := os.Getenv(EnvDatabaseURL) != ""; (len(got) == 2 && got[1] == Postgres) != want {
		t.Errorf("backends = %v, postgres configured = %v", got, want)
	}
}

func TestSQLiteHasNoURL(t *testing.T) {
	if got := BackendURL(t, SQLite); got != "" {
		t.Errorf("sqlite URL = %q, want empty", got)
	}
	if got := DatabaseURL(t); got != "" {
		t.Errorf("a test not named postgres got URL %q", got)
	}
}

func TestPostgresGetsAFreshSchemaDroppedAfterTheTest(t *testing.T) {
	if os.Getenv(EnvDatabaseURL) == "" {
		t.Skip(EnvDatabaseURL + " is not set; the postgres backend is not part of this run")
	}
	ctx := context.Background()
	var schema, dbURL string
	t.Run(Postgres, func(t *testing.T) {
		dbURL = DatabaseURL(t)
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		schema = u.Query().Get("search_path")
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var current string
		var tables int
		if err := conn.QueryRow(ctx, "SELECT current_schema(), (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())").Scan(&current, &tables); err != nil {
			t.Fatal(err)
		}
		if current != schema || tables != 0 || schema == "" {
			t.Errorf("current schema %q with %d tables, want empty %q", current, tables, schema)
		}
		if other := BackendURL(t, Postgres); other == dbURL {
			t.Error("two calls returned the same schema")
		}
	})
	if n := count(t, dbURL, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema); n != 0 {
		t.Errorf("schema %s survived its test", schema)
	}
}

// count runs a count query on its own connection to dbURL.
func count(t *testing.T, dbURL, query string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The benchmark suite finds the databases its benchmarks made by its run's
// prefix, so the prefix must lead the name, and a bad one must not reach
// CREATE DATABASE.
func TestPackageDatabaseNameCarriesThePrefix(t *testing.T) {
	for _, c := range []struct{ prefix, binary, want string }{
		{"", "store.test", "candor_store_"},
		{"candor_bench_4242_a1b2c3", "store.test", "candor_bench_4242_a1b2c3_store_"},
		{"candor_bench_4242_a1b2c3", "candor.test", "candor_bench_4242_a1b2c3_candor_"},
	} {
		got, err := packageDBName(c.prefix, c.binary)
		if err != nil || !strings.HasPrefix(got, c.want) || len(got) != len(c.want)+8 {
			t.Errorf("packageDBName(%q, %q) = %q, %v; want %q and 8 hex digits", c.prefix, c.binary, got, err, c.want)
		}
	}
	long, err := packageDBName(strings.Repeat("p", 40), strings.Repeat("q", 80)+".test")
	if err != nil || len(long) > 63 {
		t.Errorf("a long prefix and package give %q (%d bytes), %v: PostgreSQL keeps 63", long, len(long), err)
	}
	for _, bad := range []string{"Candor", "candor-bench", "candor bench; DROP", strings.Repeat("p", 41)} {
		if got, err := packageDBName(bad, "store.test"); err == nil {
			t.Errorf("prefix %q accepted as %q", bad, got)
		}
	}
}

func TestOwnDatabaseIsFreshAndDroppedAfterTheTest(t *testing.T) {
	if os.Getenv(EnvDatabaseURL) == "" {
		t.Skip(EnvDatabaseURL + " is not set; the postgres backend is not part of this run")
	}
	ctx := context.Background()
	var name string
	t.Run(Postgres, func(t *testing.T) {
		own := OwnDatabaseURL(t, Postgres)
		conn, err := pgx.Connect(ctx, own)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var tables int
		if err := conn.QueryRow(ctx, "SELECT current_database(), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')").Scan(&name, &tables); err != nil {
			t.Fatal(err)
		}
		pkg, err := ensurePackageDB(os.Getenv(EnvDatabaseURL))
		if err != nil {
			t.Fatal(err)
		}
		pu, err := url.Parse(pkg)
		if err != nil {
			t.Fatal(err)
		}
		if tables != 0 || pu.Path == "/"+name || !strings.Contains(name, "_own_") {
			t.Errorf("own database %q with %d tables (package database %s), want an empty database named _own_", name, tables, pkg)
		}
		if got := OwnDatabaseURL(t, SQLite); got != "" {
			t.Errorf("sqlite got URL %q", got)
		}
	})
	if n := count(t, os.Getenv(EnvDatabaseURL), "SELECT count(*) FROM pg_database WHERE datname = $1", name); name == "" || n != 0 {
		t.Errorf("database %q survived its test", name)
	}
}
