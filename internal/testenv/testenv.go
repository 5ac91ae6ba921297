// Package testenv gives tests their database backends: always embedded
// SQLite, plus PostgreSQL when CANDOR_TEST_DATABASE_URL is set.
//
// `go test ./...` runs packages in parallel, so each package works in its
// own PostgreSQL database (created from template0, dropped by Main) and
// each test in its own schema inside it. A configured server that cannot
// be reached fails the test: silently skipping would report a green run
// that never touched PostgreSQL.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDatabaseURL names the variable that enables the PostgreSQL backend.
const EnvDatabaseURL = "CANDOR_TEST_DATABASE_URL"

// EnvDatabasePrefix names the variable that replaces "candor" at the start
// of the package database's name. The benchmark suite (bench/) sets it to
// its run's prefix, so it can drop a database a killed benchmark left.
const EnvDatabasePrefix = "CANDOR_TEST_DATABASE_PREFIX"

// Backend names, as returned by Backends.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// adminTimeout bounds one CREATE or DROP of a test database or schema.
// It is generous on purpose: on the 2-core CI machine, with every package's
// tests running at once, a DROP DATABASE waited more than 30 s for the
// server (it removes the database's files and signals the checkpointer),
// and a slow drop failed an otherwise green package.
const adminTimeout = 3 * time.Minute

var (
	mainCalled bool

	mu        sync.Mutex
	packageDB string // database created for this test binary
	createErr error
)

// Backends returns the database backends this test run covers: always
// "sqlite", plus "postgres" when CANDOR_TEST_DATABASE_URL is set.
func Backends() []string {
	if os.Getenv(EnvDatabaseURL) != "" {
		return []string{SQLite, Postgres}
	}
	return []string{SQLite}
}

// Main runs the package's tests and then drops the PostgreSQL database
// they used. Call it from TestMain: func TestMain(m *testing.M) { testenv.Main(m) }.
func Main(m *testing.M) {
	mainCalled = true
	code := m.Run()
	if err := dropPackageDB(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// DatabaseURL returns BackendURL for the backend named by the test: a
// test or any of its parents named "postgres" (tests run each backend as
// a subtest, t.Run(backend, ...)) gets PostgreSQL, any other test "".
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	return BackendURL(tb, backendOf(tb))
}

// BackendURL returns, for backend "postgres", the URL of a fresh empty
// schema (search_path) inside this package's database; the schema is
// dropped when the test ends. For "sqlite" it returns "": use SQLitePath.
// An unreachable configured server fails the test.
func BackendURL(tb testing.TB, backend string) string {
	tb.Helper()
	base := serverURL(tb, backend)
	if base == "" {
		return ""
	}
	dbURL, err := ensurePackageDB(base)
	if err != nil {
		tb.Fatalf("testenv: %s is set but PostgreSQL is not usable: %v", EnvDatabaseURL, err)
	}
	schema := "t_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := execOn(ctx, dbURL, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("testenv: create schema: %v", err)
	}
	tb.Cleanup(func() {
		// Runs after the test's own cleanups (LIFO), so its store is closed.
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if err := execOn(ctx, dbURL, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("testenv: drop schema: %v", err)
		}
	})
	u, _ := url.Parse(dbURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// serverURL returns the configured PostgreSQL server's URL for backend
// "postgres" and "" for "sqlite". It fails the test for an unknown
// backend, an unset CANDOR_TEST_DATABASE_URL or a package without
// testenv.Main (which drops what the package's tests created).
func serverURL(tb testing.TB, backend string) string {
	tb.Helper()
	switch backend {
	case SQLite:
		return ""
	case Postgres:
	default:
		tb.Fatalf("testenv: unknown backend %q", backend)
	}
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		tb.Fatalf("testenv: backend postgres needs %s", EnvDatabaseURL)
	}
	if !mainCalled {
		tb.Fatalf("testenv: call testenv.Main(m) from TestMain so the package database is dropped after the run")
	}
	return base
}

// OwnDatabaseURL returns, for backend "postgres", the URL of a fresh
// database for this test alone, dropped when the test ends; for "sqlite",
// "". A schema is enough isolation for most tests, but not for one whose
// subject is per-database server state: VACUUM marks a page all-visible
// only when no transaction in the same database may still need an older
// row version, and the package's other tests run transactions of their own.
func OwnDatabaseURL(tb testing.TB, backend string) string {
	tb.Helper()
	admin := serverURL(tb, backend)
	if admin == "" {
		return ""
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("testenv: %s must be a postgres:// URL", EnvDatabaseURL)
	}
	name, err := packageDBName(os.Getenv(EnvDatabasePrefix), "own_"+filepath.Base(os.Args[0]))
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := execOn(ctx, admin, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		tb.Fatalf("testenv: %s is set but PostgreSQL is not usable: create database: %v", EnvDatabaseURL, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if err := execOn(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// SQLitePath returns a database file path in the test's temporary
// directory.
func SQLitePath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "candor.db")
}

// backendOf reads the backend from the test name, so helpers need not be
// told: tests run each backend as a subtest named after it.
func backendOf(tb testing.TB) string {
	for _, part := range strings.Split(tb.Name(), "/") {
		if part == Postgres {
			return Postgres
		}
	}
	return SQLite
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// ensurePackageDB creates this test binary's database once and returns
// its URL.
func ensurePackageDB(base string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if createErr != nil {
		return "", createErr
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		createErr = fmt.Errorf("%s must be a postgres:// URL", EnvDatabaseURL)
		return "", createErr
	}
	if packageDB == "" {
		name, err := packageDBName(os.Getenv(EnvDatabasePrefix), filepath.Base(os.Args[0]))
		if err != nil {
			createErr = err
			return "", err
		}
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if err := execOn(ctx, base, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
			createErr = err
			return "", err
		}
		packageDB = name
	}
	u.Path = "/" + packageDB
	return u.String(), nil
}

// validPrefix is what EnvDatabasePrefix may hold: a lower-case
// identifier short enough to leave room for the package and the suffix.
var validPrefix = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,39}$`)

// packageDBName names the database of the test binary named binary:
// prefix ("candor" when empty), the package and a random suffix, within
// PostgreSQL's 63 bytes.
func packageDBName(prefix, binary string) (string, error) {
	if prefix == "" {
		prefix = "candor"
	}
	if !validPrefix.MatchString(prefix) {
		return "", fmt.Errorf("%s=%q: want a lower-case identifier of at most 40 characters", EnvDatabasePrefix, prefix)
	}
	pkg := strings.TrimSuffix(binary, ".test")
	name := prefix + "_" + unsafeName.ReplaceAllString(strings.ToLower(pkg), "_")
	if len(name) > 54 {
		name = name[:54]
	}
	return name + "_" + randomHex(4), nil
}

func dropPackageDB() error {
	mu.Lock()
	defer mu.Unlock()
	if packageDB == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	// FORCE ends connections a test may have leaked (PostgreSQL 13+).
	if err := execOn(ctx, os.Getenv(EnvDatabaseURL), "DROP DATABASE IF EXISTS "+packageDB+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop test database %s: %w", packageDB, err)
	}
	packageDB = ""
	return nil
}

// execOn runs one statement on its own connection; CREATE DATABASE cannot
// run inside a transaction or a pool we keep around.
func execOn(ctx context.Context, dbURL, stmt string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, stmt)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
