package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
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
	return func() time.Duration {
		var pids []int
		if err := a.store.DB().Raw(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`).Scan(&pids).Error; err != nil {
			tb.Logf("pg cpu: %v", err)
			return 0
		}
		var sum time.Duration
		for _, pid := range pids {
			sum += procCPU(pid)
		}
		return sum
	}
}

// procCPU returns the user + system CPU time process pid has used, or 0
// when /proc does not show it.
func procCPU(pid int) time.Duration {
	const hz = 100.0 // USER_HZ: the unit of /proc/PID/stat's times on Linux
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command's closing parenthesis: utime is the 12th,
	// stime the 13th (1-based: fields 14 and 15).
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return time.Duration((u + s) / hz * float64(time.Second))
}

// benchRateLimit returns a per-key limit on the test Redis that never
// refuses, and a function that reads the Redis server's CPU time (from
// INFO's process_id; nil for miniredis, whose CPU is this process's).
func benchRateLimit(b *testing.B) (*RateLimit, func() time.Duration) {
	opt, err := redis.ParseURL(redisenv.URL(b, redisenv.DBAPI))
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	b.Cleanup(func() { rdb.Close() })
	rl := &RateLimit{Redis: rdb, Requests: 1_000_000_000, Period: time.Second}
	info, _ := rdb.Info(context.Background(), "server").Result() // miniredis may not answer
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			if pid, err := strconv.Atoi(v); err == nil && pid != os.Getpid() && procCPU(pid) > 0 {
				return rl, func() time.Duration { return procCPU(pid) }
			}
		}
	}
	return rl, nil
}

// newBenchEngine builds a second API engine over a's store (its keys
// work there too) with the rate limit rl.
func newBenchEngine(b *testing.B, a *testAPI, rl *RateLimit) *gin.Engine {
	st := a.store
	e, err := newEngine(Options{Store: st, Keys: a.keys, PublicURL: "https://candor.example", Logger: slog.New(slog.NewJSONHandler(a.logs, nil)),
		Version: "test", Campaigns: campaigns.NewService(st, campaigns.NewPlanner(models.PlanSettings{})), Deliveries: st,
		Preferences: testPreferences(st, a.keys), Reports: report.NewService(st, models.PlanSettings{}), RateLimit: rl})
	if err != nil {
		b.Fatal(err)
	}
	return e
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

// nameMark stands for the customer name a bodyTemplate fills in.
const nameMark = "\x00name\x00"

// bodyTemplate is a JSON body encoded once, with every customer name
// left open: the load generator shares the machine's cores with the API
// and PostgreSQL, so it must not spend them encoding the same maps anew
// for each request.
type bodyTemplate [][]byte

// newBodyTemplate encodes v, whose names are nameMark, as a template.
func newBodyTemplate(tb testing.TB, v any) bodyTemplate {
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	mark, _ := json.Marshal(nameMark)
	return bytes.Split(raw, mark)
}

// fill appends to buf the body with every name "Name <round>".
func (t bodyTemplate) fill(buf []byte, round int64) []byte {
	for i, part := range t {
		if i > 0 {
			buf = append(buf, `"Name `...)
			buf = strconv.AppendInt(buf, round, 10)
			buf = append(buf, '"')
		}
		buf = append(buf, part...)
	}
	return buf
}
