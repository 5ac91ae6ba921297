// Command bench reproduces Candor's performance figures against real
// PostgreSQL and Redis, each beside the ceiling the same machine allows,
// measured in the same run, and its target:
//
//	go run ./bench --quick     # 20,000 customers, every scenario, under 3 minutes
//	go run ./bench             # 100,000 and 1,000,000 customers (about 40 minutes)
//	go run ./bench --size 1000000 --only "seed|preview|launch"   # planning at 1M only
//
// It creates its own databases on the server named by --pg, each named
// --db-prefix, its pid and a random token (candor_bench_4242_a1b2c3_*), and
// drops them all when it ends, also on a failure or SIGINT; it uses one
// Redis database index (--redis), so it never touches application data. Each figure comes from a Go benchmark of the package
// that owns the code (go test -bench, the same ones docs/benchmarks.md
// quotes) or from timing the candor binary; ceilings are measured here,
// with plain SQL and COPY on the same database. The table it prints is
// Markdown, ready for docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "one small size (20,000 customers) and shorter load phases: under 3 minutes")
	flag.StringVar(&o.pg, "pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL server (any database on it): the suite creates and drops its own databases there")
	flag.StringVar(&o.redis, "redis", "redis://127.0.0.1:6379/13",
		"Redis URL with the database index the suite may flush (two runs at once need two; the API benchmarks also use their package's index on this server)")
	flag.StringVar(&o.dbPrefix, "db-prefix", "candor_bench", "start of the name of every database the run creates (then its pid and a random token)")
	only := flag.String("only", "", "run only the figures whose name matches this regular expression")
	flag.Func("size", "measure at this audience size only (repeat for several); overrides --quick's and the default sizes",
		func(v string) error {
			n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
			if err != nil || n < 1 || n > 10_000_000 {
				return fmt.Errorf("a size is a number of customers from 1 to 10,000,000, got %q", v)
			}
			o.onlySizes = append(o.onlySizes, n)
			return nil
		})
	flag.Parse()
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: --only:", err)
			os.Exit(2)
		}
		o.only = re
	}
	ctx, stop := interruptible()
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the suite's settings.
type options struct {
	quick     bool
	pg, redis string
	dbPrefix  string
	only      *regexp.Regexp
	// onlySizes, when set, replaces the sizes (--size).
	onlySizes []int
}

// sizes are the audience sizes each figure is measured at: two, to show
// how cost grows with the work.
func (o options) sizes() []int {
	if len(o.onlySizes) > 0 {
		return o.onlySizes
	}
	if o.quick {
		// One size: the quick run checks that every scenario runs and
		// reports; how cost grows with the work is the full run's job.
		return []int{20_000}
	}
	return []int{100_000, 1_000_000}
}

// wants reports whether the figure named name is to be measured.
func (o options) wants(name string) bool { return o.only == nil || o.only.MatchString(name) }

// interruptible is the suite's context: cancelled by SIGINT or SIGTERM,
// so a run that is stopped still drops its databases (suite.close).
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// run measures every scenario at every size and prints the table.
func run(ctx context.Context, o options) error {
	return runScenarios(ctx, o, scenarios, (*suite).build)
}

// runScenarios runs list after prepare (which builds what the scenarios
// need), logs each scenario's wall time and the CPU of the suite's own
// processes, and prints the table. Every database the run made is dropped
// before it returns, whether it ends well, fails or is cancelled.
func runScenarios(ctx context.Context, o options, list []scenario, prepare func(*suite, context.Context) error) error {
	start := time.Now()
	logf("candor bench: %d CPUs, %s, sizes %v", runtime.NumCPU(), runtime.Version(), o.sizes())
	s, err := newSuite(ctx, o)
	if err != nil {
		return err
	}
	defer s.close()
	logf("this run's databases: %s_*", s.dbs.prefix)
	cpu0 := childrenCPU()
	if err := prepare(s, ctx); err != nil {
		return err
	}
	steps := []string{fmt.Sprintf("%-34s %6.1f s wall %6.1f s CPU", "build", time.Since(start).Seconds(), (childrenCPU() - cpu0).Seconds())}
	var figures []Figure
	sizes := o.sizes()
	for i, size := range sizes {
		for _, sc := range list {
			if !o.wants(sc.name) || (sc.once && i < len(sizes)-1) {
				continue
			}
			logf("== %s at %d", sc.name, size)
			t0, c0 := time.Now(), childrenCPU()
			fs, err := sc.run(ctx, s, size)
			if err != nil {
				return fmt.Errorf("%s at %d: %w", sc.name, size, err)
			}
			steps = append(steps, fmt.Sprintf("%-34s %6.1f s wall %6.1f s CPU", fmt.Sprintf("%s at %d", sc.name, size),
				time.Since(t0).Seconds(), (childrenCPU()-c0).Seconds()))
			figures = append(figures, fs...)
		}
	}
	fmt.Println()
	if err := WriteTable(os.Stdout, figures); err != nil {
		return err
	}
	logf("where the time went (CPU: the suite's own processes, not PostgreSQL's or Redis's):\n  %s", strings.Join(steps, "\n  "))
	logf("done in %s", time.Since(start).Round(time.Second))
	return nil
}

// logf reports progress on stderr, so stdout holds only the table.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05")+" "+format+"\n", args...)
}
