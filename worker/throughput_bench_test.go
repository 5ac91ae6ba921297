package worker_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/channels"
	"github.com/candor/candor/internal/benchdata"
	"github.com/candor/candor/internal/testsinks"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
	"github.com/candor/candor/worker"
)

// BenchmarkSendWebhook sends a campaign through the whole pipeline (dispatch
// into asynq, claim with every send-time check, signed webhook POSTs to a
// local sink, outcomes and events recorded) with windows open now, and
// reports messages per second beside the sink's own ceiling measured in the
// same run (the same signed POSTs, straight from the webhook sender, with no
// Candor in front), the peak Redis memory and the process's peak RSS.
//
//	CANDOR_BENCH_DATABASE_URL='postgres://postgres@127.0.0.1:5432/candor_bench_send?sslmode=disable' \
//	CANDOR_BENCH_REDIS_URL='redis://127.0.0.1:6379/11' CANDOR_BENCH_SEND_N=100000 \
//	  go test ./worker -run '^$' -bench SendWebhook -benchtime 1x
//
// Without the variables: embedded SQLite and miniredis, 5,000 messages.
func BenchmarkSendWebhook(b *testing.B) {
	benchmarkSend(b, models.ChannelWebhook)
}

// BenchmarkSendEmail is BenchmarkSendWebhook over SMTP to an in-process
// SMTP sink.
func BenchmarkSendEmail(b *testing.B) {
	benchmarkSend(b, models.ChannelEmail)
}

func benchmarkSend(b *testing.B, ch models.Channel) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("CANDOR_BENCH_SEND_N")); err == nil && v > 0 {
		n = v
	}
	s, redisURL := benchBackends(b)
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		b.Fatal(err)
	}
	rdbOpt, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(rdbOpt)
	b.Cleanup(func() { rdb.Close() })
	keys, _ := secrets.New("candor-worker-bench-fixed-secret-0123456789abcdef", "")
	var sink *testsinks.Sink
	var chOpts channels.Options
	switch ch {
	case models.ChannelWebhook:
		var url string
		sink, url = testsinks.StartWebhook(b, hookSecret)
		chOpts.Webhook = &channels.WebhookOptions{URL: url, Secret: hookSecret, AllowPrivate: true}
	default:
		var port int
		sink, port = testsinks.StartSMTP(b)
		chOpts.Email = &channels.EmailOptions{Host: "127.0.0.1", Port: port, From: emailFrom, TLS: channels.TLSNone, PoolSize: 16}
	}
	set, err := channels.New(chOpts, nil, false)
	if err != nil {
		b.Fatal(err)
	}
	ceiling := sinkCeiling(b, set, ch, 20000)
	planner := campaigns.NewPlanner(models.PlanSettings{Channels: models.Channels})
	for b.Loop() {
		b.StopTimer()
		rdb.FlushDB(context.Background())
		camp := benchdata.SendCampaign(b, s, n, ch, planner)
		before := sink.Count()
		pipe, err := worker.NewPipeline(worker.PipelineOptions{Store: s, Planner: planner, Channels: set, Redis: opt, RedisClient: rdb,
			Links: worker.CustomerLinks(keys, publicURL), Worker: "bench", Tick: 100 * time.Millisecond,
			Metrics: prometheus.NewRegistry(), Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		w := worker.New(worker.Options{Redis: opt, Concurrency: 16, ShutdownTimeout: 10 * time.Second, Logger: quiet()})
		w.HandleSend(pipe.Engine)
		ctx, cancel := context.WithCancel(context.Background())
		var peakRedis atomic.Int64
		var wg sync.WaitGroup
		b.StartTimer()
		start := time.Now()
		if err := w.Start(); err != nil {
			b.Fatal(err)
		}
		wg.Go(func() { pipe.Scheduler.Run(ctx) })
		wg.Go(func() { sampleRedisMemory(ctx, rdb, &peakRedis) })
		for sink.Count()-before < n {
			if time.Since(start) > 10*time.Minute {
				b.Fatalf("only %d of %d messages arrived in 10 minutes", sink.Count()-before, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		cancel()
		wg.Wait()
		w.Shutdown()
		var sent int64
		if err := s.DB().Raw("SELECT COUNT(*) FROM deliveries WHERE campaign_id = ? AND status = 'sent'", camp.ID).Scan(&sent).Error; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(ceiling, "sink-ceiling-msgs/s")
		b.ReportMetric(float64(peakRedis.Load())/(1<<20), "peak-redis-MB")
		b.ReportMetric(peakRSS(), "peak-RSS-MB")
		b.Logf("%d messages in %s (%d recorded sent so far); the sink alone took %.0f msgs/s", n, elapsed.Round(time.Millisecond), sent, ceiling)
		b.StartTimer()
	}
}

// benchBackends opens the benchmark's store (CANDOR_BENCH_DATABASE_URL, or
// a temporary SQLite file) and returns it with the Redis URL to use
// (CANDOR_BENCH_REDIS_URL, or a miniredis).
func benchBackends(b *testing.B) (*store.Store, string) {
	b.Helper()
	keys, _ := secrets.New("candor-worker-bench-fixed-secret-0123456789abcdef", "")
	s, err := store.Open(context.Background(), store.Options{DatabaseURL: os.Getenv("CANDOR_BENCH_DATABASE_URL"),
		SQLitePath: b.TempDir() + "/bench.db", Keys: keys, Rules: segment.Language{}, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	url := os.Getenv("CANDOR_BENCH_REDIS_URL")
	if url == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(mr.Close)
		url = "redis://" + mr.Addr()
	}
	return s, url
}

// sinkCeiling sends count messages straight through the channel's sender
// with 64 goroutines: what the sink and the transport take with no Candor
// in front. The sink counts them too; the caller measures arrivals after.
func sinkCeiling(b *testing.B, set *channels.Set, ch models.Channel, count int) float64 {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 64 {
		wg.Go(func() {
			for {
				id := next.Add(1)
				if id > int64(count) {
					return
				}
				m := &channels.Message{DeliveryID: -id, Channel: ch, To: "ceiling@example.com", Subject: "s", Text: "t",
					UnsubscribeURL: publicURL + "/u/x", PreferencesURL: publicURL + "/p/x"}
				if ch == models.ChannelWebhook {
					m.To = fmt.Sprintf("ceiling-%d", id)
				}
				if _, err := set.Send(context.Background(), m); err != nil {
					b.Errorf("ceiling send: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(count) / time.Since(start).Seconds()
}

// sampleRedisMemory keeps the highest used_memory Redis reports until ctx
// ends.
func sampleRedisMemory(ctx context.Context, rdb *redis.Client, peak *atomic.Int64) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		info, err := rdb.Info(ctx, "memory").Result()
		if err == nil {
			for _, line := range strings.Split(info, "\r\n") {
				if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
					if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > peak.Load() {
						peak.Store(n)
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

// peakRSS is the process's peak resident set (VmHWM) in MB.
func peakRSS() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
