package api

import (
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/store"
)

// pgBackends returns a function that sums the CPU time (user + system,
// from /proc/PID/stat) used so far by the PostgreSQL backends of a's
// database, or nil when a is not on PostgreSQL or there is no /proc. A
// server on another machine reads as 0. The API, the HTTP
// clients and PostgreSQL share the benchmark machine's cores, so what
// the database spends per request limits throughput as much as what
// this process spends. A backend that exits between two readings takes
// its CPU with it; the pool keeps its connections for the whole run.
func pgBackends(tb testing.TB, a *testAPI) func() time.Duration {
	if _, err := os.Stat("/proc/self/stat"); err != nil || a.store.Dialect() != store.DialectPostgres {
		return nil
	}
	hz := 100.0 // USER_HZ: the unit of /proc/PID/stat's times on Linux
	return func() time.Duration {
		var pids []int
		if err := a.store.DB().Raw(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`).Scan(&pids).Error; err != nil {
			tb.Logf("pg cpu: %v", err)
			return 0
		}
		var sum time.Duration
		for _, pid := range pids {
			raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if err != nil {
				continue
			}
			// Fields after the command's closing parenthesis: utime is
			// the 12th, stime the 13th (1-based: fields 14 and 15).
			f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
			u, _ := strconv.ParseFloat(f[11], 64)
			s, _ := strconv.ParseFloat(f[12], 64)
			d := time.Duration((u + s) / hz * float64(time.Second))
			sum += d
		}
		return sum
	}
}

// profileRegion writes a CPU profile of the measured part of a benchmark
// (not its set-up) to the file named by CANDOR_BENCH_CPUPROFILE, with
// the benchmark's name appended; the returned function stops it.
func profileRegion(b *testing.B) func() {
	dir := os.Getenv("CANDOR_BENCH_CPUPROFILE")
	if dir == "" || b.N < 2 {
		return func() {}
	}
	f, err := os.Create(dir + "." + strings.NewReplacer("/", "_").Replace(b.Name()))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
