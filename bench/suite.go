package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// suite holds what every scenario shares: the servers, a built candor
// binary and the databases seeded so far (by size).
type suite struct {
	o      options
	tmp    string
	bin    string
	seeded map[int]string // size -> database URL
}

// secretKey is the suite's fixed CANDOR_SECRET_KEY: its databases hold
// only generated data.
var secretKey = strings.Repeat("b", 48)

// newSuite builds the candor binary and checks that both servers answer.
func newSuite(ctx context.Context, o options) (*suite, error) {
	tmp, err := os.MkdirTemp("", "candor-bench-")
	if err != nil {
		return nil, err
	}
	s := &suite{o: o, tmp: tmp, bin: filepath.Join(tmp, "candor"), seeded: map[int]string{}}
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", s.bin, "./cmd/candor").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build candor (run from the repository root): %v\n%s", err, out)
	}
	conn, err := pgx.Connect(ctx, o.pg)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL at --pg does not answer: %w", err)
	}
	return s, conn.Close(ctx)
}

// close removes the binary; the databases stay for inspection and are
// dropped by the next run.
func (s *suite) close() { os.RemoveAll(s.tmp) }

// freshDB drops and creates database name and returns its URL.
func (s *suite) freshDB(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, s.o.pg)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", err
	}
	u, err := url.Parse(s.o.pg)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
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
	rss := 0.0
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) / 1024 // kB on Linux
	}
	return out.String(), took, rss, nil
}

// goBench runs one Go benchmark of pkg with env and returns its result.
// name may name a sub-benchmark ("BenchmarkX/postgres/batch").
func (s *suite) goBench(ctx context.Context, pkg, name string, benchtime string, env ...string) (Result, error) {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.CommandContext(ctx, "go", "test", pkg, "-run", "^$", "-bench", strings.Join(parts, "/"), "-benchtime", benchtime,
		"-count", "1", "-timeout", "120m")
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("go test -bench %s %s: %v\n%s", name, pkg, err, tail(out.String(), 40))
	}
	results, err := ParseBench(&out)
	if err != nil {
		return Result{}, err
	}
	for _, r := range results {
		if r.Name == name {
			return r, nil
		}
	}
	return Result{}, fmt.Errorf("go test -bench %s %s printed no result:\n%s", name, pkg, tail(out.String(), 40))
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
