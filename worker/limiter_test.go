package worker_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
)

// countScripts counts the Lua scripts a client runs: each is one request
// to the shared budget. A script Redis did not know yet (NOSCRIPT, the
// first EVALSHA on a fresh server) is run again as EVAL: that pair counts
// once.
type countScripts struct{ n atomic.Int64 }

func (c *countScripts) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *countScripts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (c *countScripts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if strings.HasPrefix(cmd.Name(), "eval") && !redis.HasErrorPrefix(err, "NOSCRIPT") {
			c.n.Add(1)
		}
		return err
	}
}

// TestTheLimiterSpendsTheSharedBudgetOnlyOnSends: sends of one process
// waiting at once ask Redis one at a time, so a chunk of the budget one of
// them was granted serves the others instead of being thrown away when
// the next grant arrives. Throwing grants away spent the channel's shared
// rate on nothing (every process's sends then waited for budget nobody
// used) and cost a Redis script per waiting send: 4 % of the machine in
// the deployed worker's profile (docs/benchmarks.md, "Session 11").
func TestTheLimiterSpendsTheSharedBudgetOnlyOnSends(t *testing.T) {
	opt, err := redis.ParseURL(redisenv.URL(t, redisenv.DBWorker))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	scripts := &countScripts{}
	rdb.AddHook(scripts)
	// 100,000/s: a request asks for 5,000 sends at once (a twentieth of a
	// second's rate); the burst is a second's rate.
	l := worker.NewLimiter(rdb, map[models.Channel]float64{models.ChannelWebhook: 100000})

	const goroutines, each = 64, 300
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := make(chan struct{})
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range goroutines {
		wg.Go(func() {
			<-start
			for range each {
				if err := l.Wait(ctx, models.ChannelWebhook); err != nil {
					failed.Add(1)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d senders failed to get budget within the burst", n)
	}
	// 19,200 sends are four requests of 5,000; allow one more for a
	// grant that went stale on a slow machine.
	if n := scripts.n.Load(); n > 5 {
		t.Errorf("%d requests to the shared budget for %d sends, want at most 5", n, goroutines*each)
	}
}
