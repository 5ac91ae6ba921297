package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// suite holds what every scenario shares: the servers, this run's
// databases, the binaries built so far and the databases seeded so far
// (by size).
type suite struct {
	o    options
	root string // the repository, where the suite was started
	tmp  string
	dbs  *runDBs
	bin  string            // the candor binary, built by newSuite
	test map[string]string // package -> its test binary, built on first use
	// seeded maps a size to the URL of the database seeded with it.
	seeded map[int]string
}

// secretKey is the suite's fixed CANDOR_SECRET_KEY: its databases hold
// only generated data.
var secretKey = strings.Repeat("b", 48)

// newSuite checks that PostgreSQL answers and names this run's databases.
// It builds nothing: build does. Close it, whatever happens next: close
// drops every database the run made.
func newSuite(ctx context.Context, o options) (*suite, error) {
	root, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "candor-bench-")
	if err != nil {
		return nil, err
	}
	dbs, err := newRunDBs(o.pg, o.dbPrefix)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	s := &suite{o: o, root: root, tmp: tmp, dbs: dbs, bin: filepath.Join(tmp, "candor"), test: map[string]string{}, seeded: map[int]string{}}
	conn, err := pgx.Connect(ctx, o.pg)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("PostgreSQL at --pg does not answer: %w", err)
	}
	conn.Close(ctx)
	if left, err := dbs.leftovers(ctx); err == nil && len(left) > 0 {
		logf("databases of earlier runs that did not end cleanly (or run now): %s", strings.Join(left, ", "))
	}
	return s, nil
}

// build builds the candor binary the scenarios time and run.
func (s *suite) build(ctx context.Context) error {
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", s.bin, "./cmd/candor").CombinedOutput(); err != nil {
		return fmt.Errorf("build candor (run from the repository root): %v\n%s", err, out)
	}
	return nil
}

// close drops every database of the run and removes the binaries. It runs
// on a context of its own: the run's may be cancelled (SIGINT).
func (s *suite) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dropped, err := s.dbs.dropAll(ctx)
	if err != nil {
		logf("dropping this run's databases (%s_*): %v", s.dbs.prefix, err)
	} else if len(dropped) > 0 {
		logf("dropped %d databases of this run (%s_*)", len(dropped), s.dbs.prefix)
	}
	os.RemoveAll(s.tmp)
}

// freshDB creates this run's database named for what and returns its URL.
func (s *suite) freshDB(ctx context.Context, what string) (string, error) {
	return s.dbs.create(ctx, what)
}

// candor runs the built binary against dbURL and returns its stdout, wall
// time and peak RSS in MB.
func (s *suite) candor(ctx context.Context, dbURL string, args ...string) (string, time.Duration, float64, error) {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = append(os.Environ(), "CANDOR_DATABASE_URL="+dbURL, "CANDOR_REDIS_URL="+s.o.redis,
		"CANDOR_SECRET_KEY="+secretKey, "CANDOR_LOG_LEVEL=warn")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		return "", took, 0, fmt.Errorf("candor %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), took, maxRSSMB(cmd.ProcessState), nil
}

// testBinary builds pkg's test binary (go test -c) on first use: each
// figure then runs it directly, where `go test -bench` would check every
// dependency and link the binary again for each figure (23 times in a
// quick run).
func (s *suite) testBinary(ctx context.Context, pkg string) (string, error) {
	if bin, ok := s.test[pkg]; ok {
		return bin, nil
	}
	bin := filepath.Join(s.tmp, strings.NewReplacer("./", "", "/", "_").Replace(pkg)+".test")
	if out, err := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go test -c %s: %v\n%s", pkg, err, out)
	}
	s.test[pkg] = bin
	return bin, nil
}

// goBench runs one Go benchmark of pkg with env and returns its result.
// name may name a sub-benchmark ("BenchmarkX/postgres/batch").
func (s *suite) goBench(ctx context.Context, pkg, name string, benchtime string, env ...string) (Result, error) {
	rs, err := s.goBenches(ctx, pkg, []string{name}, benchtime, env...)
	if err != nil {
		return Result{}, err
	}
	return rs[0], nil
}

// goBenches runs the sub-benchmarks names of one benchmark of pkg
// ("BenchmarkX/postgres/get", "BenchmarkX/postgres/put") in one process,
// so they share its set-up, and returns their results in order. The test
// binary runs in the package's directory, as go test runs it; a database
// a benchmark makes for itself (internal/testenv) carries the run's
// prefix, so close drops it even if the benchmark was killed.
func (s *suite) goBenches(ctx context.Context, pkg string, names []string, benchtime string, env ...string) ([]Result, error) {
	bin, err := s.testBinary(ctx, pkg)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-test.bench", benchPattern(names),
		"-test.benchtime", benchtime, "-test.count", "1", "-test.timeout", "120m")
	cmd.Dir = filepath.Join(s.root, pkg)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "CANDOR_TEST_DATABASE_PREFIX="+s.dbs.prefix, "CANDOR_BENCH_CANDOR_BIN="+s.bin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s -test.bench %s: %v\n%s", pkg, benchPattern(names), err, tail(out.String(), 40))
	}
	results, err := ParseBench(&out)
	if err != nil {
		return nil, err
	}
	var found []Result
	for _, name := range names {
		i := slices.IndexFunc(results, func(r Result) bool { return r.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("%s -test.bench %s printed no result for %s:\n%s", pkg, benchPattern(names), name, tail(out.String(), 40))
		}
		found = append(found, results[i])
	}
	return found, nil
}

// benchPattern is the -test.bench expression that selects exactly names,
// which must share every level but the last.
func benchPattern(names []string) string {
	parts := strings.Split(names[0], "/")
	last := make([]string, len(names))
	for i, name := range names {
		last[i] = regexp.QuoteMeta(name[strings.LastIndexByte(name, '/')+1:])
	}
	for i, p := range parts[:len(parts)-1] {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	parts[len(parts)-1] = "^(" + strings.Join(last, "|") + ")$"
	return strings.Join(parts, "/")
}

// timeSQL runs query three times on dbURL and returns the fastest run.
func (s *suite) timeSQL(ctx context.Context, dbURL, query string) (time.Duration, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	best := time.Duration(0)
	for range 3 {
		start := time.Now()
		if strings.HasPrefix(query, "COPY") {
			_, err = conn.PgConn().CopyTo(ctx, io.Discard, query)
		} else {
			_, err = conn.Exec(ctx, query)
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", query, err)
		}
		if took := time.Since(start); best == 0 || took < best {
			best = took
		}
	}
	return best, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
