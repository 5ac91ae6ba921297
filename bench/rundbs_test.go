package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// internal/testenv accepts a prefix of at most 40 characters made of these
// (testenv.EnvDatabasePrefix): the run's prefix must pass, or the API
// benchmarks could not make their databases.
var testenvPrefix = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,39}$`)

func TestEveryRunHasItsOwnDatabaseNames(t *testing.T) {
	a, err := newRunDBs("postgres://unused", "candor_bench")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newRunDBs("postgres://unused", "candor_bench")
	if a.prefix == b.prefix || a.name("send_webhook") == b.name("send_webhook") {
		t.Errorf("two runs share %q: their send databases would clash", a.prefix)
	}
	if want := fmt.Sprintf("candor_bench_%d_", os.Getpid()); !strings.HasPrefix(a.prefix, want) {
		t.Errorf("prefix %q does not name the pid (%s...)", a.prefix, want)
	}
	long, _ := newRunDBs("postgres://unused", strings.Repeat("x", 20))
	for _, d := range []*runDBs{a, long} {
		if !testenvPrefix.MatchString(d.prefix) {
			t.Errorf("prefix %q is not one internal/testenv accepts", d.prefix)
		}
		if n := d.name("seed_10000000"); len(n) > 63 {
			t.Errorf("%q is longer than PostgreSQL's 63 bytes", n)
		}
	}
	for _, bad := range []string{"", "Candor", "candor-bench", strings.Repeat("x", 21)} {
		if _, err := newRunDBs("postgres://unused", bad); err == nil {
			t.Errorf("--db-prefix %q accepted", bad)
		}
	}
}

// pgServer returns the test server's URL, or skips: the suite's databases
// exist only on PostgreSQL.
func pgServer(t *testing.T) string {
	t.Helper()
	u := os.Getenv("CANDOR_TEST_DATABASE_URL")
	if u == "" {
		t.Skip("CANDOR_TEST_DATABASE_URL is not set: the suite's databases live on PostgreSQL only")
	}
	return u
}

// databasesLike lists the server's databases that start with prefix.
func databasesLike(t *testing.T, pg, prefix string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	names, err := (&runDBs{}).list(ctx, conn, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestDropAllDropsTheRunsDatabasesAndNoOther(t *testing.T) {
	pg := pgServer(t)
	ctx := context.Background()
	mine, _ := newRunDBs(pg, "candor_benchtest")
	other, _ := newRunDBs(pg, "candor_benchtest")
	t.Cleanup(func() { other.dropAll(context.Background()) })
	for _, what := range []string{"seed_20000", "send_webhook"} {
		if _, err := mine.create(ctx, what); err != nil {
			t.Fatal(err)
		}
	}
	// A benchmark's own database (internal/testenv, with the run's prefix).
	if _, err := mine.create(ctx, "api_0123abcd"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.create(ctx, "send_webhook"); err != nil {
		t.Fatal(err)
	}
	// A connection left open, as a killed benchmark leaves one.
	url, _ := mine.create(ctx, "busy")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	dropped, err := mine.dropAll(ctx)
	if err != nil || len(dropped) != 4 {
		t.Fatalf("dropAll = %v, %v; want the run's 4 databases", dropped, err)
	}
	if left := databasesLike(t, pg, mine.prefix); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if left := databasesLike(t, pg, other.prefix); len(left) != 1 {
		t.Errorf("the other run's databases are %v, want its one send database untouched", left)
	}
}

func TestAFailingScenarioStillDropsTheRunsDatabases(t *testing.T) {
	pg := pgServer(t)
	var prefix string
	boom := errors.New("boom")
	err := runScenarios(context.Background(), options{pg: pg, dbPrefix: "candor_benchtest", quick: true}, []scenario{{
		name: "fails after making a database",
		run: func(ctx context.Context, s *suite, _ int) ([]Figure, error) {
			prefix = s.dbs.prefix
			if _, err := s.freshDB(ctx, "send_webhook"); err != nil {
				return nil, err
			}
			return nil, boom
		},
	}}, func(*suite, context.Context) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("run = %v, want the scenario's error", err)
	}
	if left := databasesLike(t, pg, prefix); prefix == "" || len(left) != 0 {
		t.Errorf("run %q left %v", prefix, left)
	}
}

// TestSIGINTDropsTheRunsDatabases interrupts a run in another process (this
// test binary, as the helper below) while its scenario holds a database
// open, as ^C stops a run in a terminal.
func TestSIGINTDropsTheRunsDatabases(t *testing.T) {
	pg := pgServer(t)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHelperRunUntilInterrupted$")
	cmd.Env = append(os.Environ(), "CANDOR_BENCH_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var prefix string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
			prefix = p
			break
		}
	}
	if prefix == "" {
		t.Fatal("the helper never got its database")
	}
	if left := databasesLike(t, pg, prefix); len(left) != 2 {
		t.Fatalf("before the interrupt: %v, want 2 databases", left)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the run did not stop within a minute of SIGINT")
	}
	if left := databasesLike(t, pg, prefix); len(left) != 0 {
		t.Errorf("after SIGINT the run left %v", left)
	}
}

// TestHelperRunUntilInterrupted is the interrupted run of
// TestSIGINTDropsTheRunsDatabases: with main's signal handling, one
// scenario makes a database, another one named as a benchmark's own, keeps
// a connection to it and waits for the interrupt.
func TestHelperRunUntilInterrupted(t *testing.T) {
	if os.Getenv("CANDOR_BENCH_HELPER") != "1" {
		t.Skip("run by TestSIGINTDropsTheRunsDatabases")
	}
	ctx, stop := interruptible()
	defer stop()
	err := runScenarios(ctx, options{pg: os.Getenv("CANDOR_TEST_DATABASE_URL"), dbPrefix: "candor_benchtest", quick: true}, []scenario{{
		name: "waits for SIGINT",
		run: func(ctx context.Context, s *suite, _ int) ([]Figure, error) {
			url, err := s.freshDB(ctx, "seed_20000")
			if err != nil {
				return nil, err
			}
			if _, err := s.freshDB(ctx, "store_0123abcd"); err != nil {
				return nil, err
			}
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				return nil, err
			}
			defer conn.Close(context.Background())
			fmt.Println("ready " + s.dbs.prefix)
			<-ctx.Done()
			return nil, ctx.Err()
		},
	}}, func(*suite, context.Context) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("run = %v, want it cancelled", err)
	}
}
