package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/configs"
	"github.com/candor/candor/internal/benchdata"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// BenchmarkWorkerRSS sends a webhook campaign of CANDOR_BENCH_SEND_N
// deliveries (default 100,000) through ONE `candor worker` OS process and
// reports its throughput, the worker process's peak resident set (VmHWM,
// with VmRSS sampled beside it) and the peak Redis used_memory, sampled
// every 200 ms. Seeding the customers and the sink (which only counts
// requests) run in the benchmark process, so the worker's figure is the
// worker alone. CANDOR_BENCH_CANDOR_BIN names a built candor binary to run
// instead of building one; CANDOR_WORKER_CONCURRENCY, GOGC and GOMEMLIMIT,
// when set, are passed to the worker (experiments). machine-cpu-us/msg is
// the whole machine's busy CPU per message while the worker runs.
//
//	createdb -h 127.0.0.1 -U postgres candor_bench_rss
//	CANDOR_BENCH_DATABASE_URL='postgres://postgres@127.0.0.1:5432/candor_bench_rss?sslmode=disable' \
//	CANDOR_BENCH_REDIS_URL='redis://127.0.0.1:6379/12' CANDOR_BENCH_SEND_N=100000 \
//	  go test ./cmd/candor -run '^$' -bench WorkerRSS -benchtime 1x -timeout 60m
func BenchmarkWorkerRSS(b *testing.B) {
	dbURL, redisURL := os.Getenv("CANDOR_BENCH_DATABASE_URL"), os.Getenv("CANDOR_BENCH_REDIS_URL")
	if dbURL == "" || redisURL == "" {
		b.Skip("the worker RSS benchmark needs real PostgreSQL and Redis: set CANDOR_BENCH_DATABASE_URL and CANDOR_BENCH_REDIS_URL")
	}
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("CANDOR_BENCH_SEND_N")); err == nil && v > 0 {
		n = v
	}
	// The suite (bench/) passes the binary it built and times: the same
	// code, and no second link of it per figure.
	bin := os.Getenv("CANDOR_BENCH_CANDOR_BIN")
	if bin == "" {
		bin = buildCandor(b)
	}

	var hits atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(sink.Close)

	e := env{"CANDOR_DATABASE_URL": dbURL, "CANDOR_REDIS_URL": redisURL,
		"CANDOR_SECRET_KEY": strings.Repeat("r", 40), "CANDOR_HTTP_ADDR": "127.0.0.1:0", "CANDOR_LOG_LEVEL": "warn",
		"CANDOR_WEBHOOK_CHANNEL_URL": sink.URL, "CANDOR_WEBHOOK_CHANNEL_SECRET": chaosHookSecret, "CANDOR_WEBHOOK_ALLOW_PRIVATE": "true",
		"CANDOR_WEBHOOK_RATE": "100000/s", "CANDOR_WORKER_CONCURRENCY": "16"}
	// An experiment may set the worker's concurrency or GC from outside.
	for _, k := range []string{"CANDOR_WORKER_CONCURRENCY", "GOGC", "GOMEMLIMIT"} {
		if v := os.Getenv(k); v != "" {
			e[k] = v
		}
	}
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range e {
		environ = append(environ, k+"="+v)
	}
	migrate := exec.Command(bin, "migrate")
	migrate.Env = environ
	if out, err := migrate.CombinedOutput(); err != nil {
		b.Fatalf("candor migrate: %v\n%s", err, out)
	}
	cfg, err := loadConfig(e.get, configs.ModeReal)
	if err != nil {
		b.Fatal(err)
	}
	s := openChaosStore(b, dbURL, e["CANDOR_SECRET_KEY"])
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	b.Cleanup(func() { rdb.Close() })
	planner := campaigns.NewPlanner(planSettings(cfg))

	for b.Loop() {
		b.StopTimer()
		if err := rdb.FlushDB(context.Background()).Err(); err != nil {
			b.Fatal(err)
		}
		seeded := time.Now()
		camp := benchdata.SendCampaign(b, s, n, models.ChannelWebhook, planner)
		b.Logf("seeded and launched %d deliveries in %s", n, time.Since(seeded).Round(time.Millisecond))
		before := hits.Load()

		p := &procs{t: b, bin: bin, env: environ, dir: b.TempDir(), cmds: map[int]*exec.Cmd{}}
		b.StartTimer()
		start, busy0 := time.Now(), machineBusy(b)
		p.start(0)
		pid := p.cmds[0].Process.Pid
		ctx, cancel := context.WithCancel(context.Background())
		var peakRedis, peakHWM, peakRSS atomic.Int64
		var wg sync.WaitGroup
		wg.Go(func() { sampleMemory(ctx, rdb, pid, &peakRedis, &peakHWM, &peakRSS) })

		lastLog := start
		for {
			// The sink's count is cheap; the database is asked only once
			// every message has arrived, to see every delivery final.
			if hits.Load()-before < int64(n) && time.Since(lastLog) < time.Minute {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			open := openDeliveries(b, s, camp.ID)
			if open == 0 {
				break
			}
			if time.Since(start) > 50*time.Minute {
				p.stopAll()
				b.Fatalf("%d of %d deliveries still open after %s\n%s", open, n, time.Since(start).Round(time.Second), p.tail())
			}
			if syscall.Kill(pid, 0) == syscall.ESRCH {
				b.Fatalf("the worker exited\n%s", p.tail())
			}
			if time.Since(lastLog) > time.Minute {
				b.Logf("%s: %d requests, %d open, worker VmHWM %.0f MB, Redis peak %.2f MB", time.Since(start).Round(time.Second),
					hits.Load()-before, open, float64(peakHWM.Load())/1024, float64(peakRedis.Load())/(1<<20))
				lastLog = time.Now()
			}
			time.Sleep(100 * time.Millisecond)
		}
		elapsed, busy := time.Since(start), machineBusy(b)-busy0
		b.StopTimer()
		// One last sample of the live worker before it is stopped.
		readProcMemory(pid, &peakHWM, &peakRSS)
		cancel()
		wg.Wait()
		p.stopAll()

		var sent int
		if err := s.DB().Raw("SELECT count(*) FROM deliveries WHERE campaign_id = ? AND status = 'sent'", camp.ID).Scan(&sent).Error; err != nil {
			b.Fatal(err)
		}
		if sent != n {
			b.Errorf("%d of %d deliveries sent", sent, n)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(peakHWM.Load())/1024, "worker-peak-RSS-MB")
		b.ReportMetric(float64(peakRSS.Load())/1024, "worker-max-sampled-VmRSS-MB")
		b.ReportMetric(float64(peakRedis.Load())/(1<<20), "peak-redis-MB")
		// The machine's busy CPU (every process: the worker, PostgreSQL,
		// Redis, the sink) per message: on a machine the send saturates,
		// it moves less from run to run than msgs/s does.
		b.ReportMetric(busy.Seconds()*1e6/float64(n), "machine-cpu-us/msg")
		b.Logf("%d deliveries sent by one worker in %s; the sink counted %d requests", n, elapsed.Round(time.Millisecond), hits.Load()-before)
		b.StartTimer()
	}
}

// openDeliveries counts the campaign's deliveries that are not final yet.
func openDeliveries(b *testing.B, s *store.Store, id int64) int {
	b.Helper()
	var open int
	if err := s.DB().Raw("SELECT count(*) FROM deliveries WHERE campaign_id = ? AND status IN ('planned', 'queued', 'sending')", id).Scan(&open).Error; err != nil {
		b.Fatal(err)
	}
	return open
}

// sampleMemory keeps the worker's highest VmHWM and VmRSS (kB) and Redis's
// highest used_memory (bytes), every 200 ms, until ctx ends.
func sampleMemory(ctx context.Context, rdb *redis.Client, pid int, redisPeak, hwm, rss *atomic.Int64) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		readProcMemory(pid, hwm, rss)
		if info, err := rdb.Info(ctx, "memory").Result(); err == nil {
			for _, line := range strings.Split(info, "\r\n") {
				if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
					if n, err := strconv.ParseInt(v, 10, 64); err == nil {
						storeMax(redisPeak, n)
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readProcMemory raises hwm and rss to the process's VmHWM and VmRSS (kB).
func readProcMemory(pid int, hwm, rss *atomic.Int64) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(raw), "\n") {
		for prefix, peak := range map[string]*atomic.Int64{"VmHWM:": hwm, "VmRSS:": rss} {
			if v, ok := strings.CutPrefix(line, prefix); ok {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
					storeMax(peak, kb)
				}
			}
		}
	}
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// machineBusy is the CPU time all cores of the machine spent busy since
// boot (/proc/stat: user, nice, system, irq and softirq; not idle, iowait,
// or steal, the time the hypervisor gave to other machines).
func machineBusy(b *testing.B) time.Duration {
	b.Helper()
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	fields := strings.Fields(line) // "cpu" user nice system idle iowait irq softirq steal ...
	var busy int64
	for i, f := range fields[1:min(len(fields), 9)] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			b.Fatalf("/proc/stat: %q: %v", line, err)
		}
		if i != 3 && i != 4 && i != 7 {
			busy += v
		}
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}
