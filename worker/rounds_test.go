package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
)

func TestRoundSizes(t *testing.T) {
	const lease = 5 * time.Minute // a task's timeout: 4 minutes
	tests := []struct {
		name        string
		perSecond   map[models.Channel]float64
		concurrency int
		lease       time.Duration
		want        map[models.Channel]int
		unknown     int
	}{
		{name: "at the default rates each channel's round is one second of its own rate",
			perSecond:   map[models.Channel]float64{models.ChannelEmail: 50, models.ChannelSMS: 10, models.ChannelWebhook: 50},
			concurrency: 20, lease: lease,
			want: map[models.Channel]int{models.ChannelEmail: 50, models.ChannelSMS: 10, models.ChannelWebhook: 50}, unknown: 10},
		{name: "a fast channel's round is a whole task",
			perSecond:   map[models.Channel]float64{models.ChannelSMS: 10, models.ChannelWebhook: 100000},
			concurrency: 16, lease: lease,
			want: map[models.Channel]int{models.ChannelEmail: 300, models.ChannelSMS: 10, models.ChannelWebhook: 300}, unknown: 10},
		{name: "a rate under one a second still sends one at a time",
			perSecond: map[models.Channel]float64{models.ChannelEmail: 0.5}, concurrency: 1, lease: lease,
			want: map[models.Channel]int{models.ChannelEmail: 1, models.ChannelSMS: 300, models.ChannelWebhook: 300}, unknown: 1},
		{name: "with a short lease every task's round still ends in a quarter of its timeout",
			perSecond:   map[models.Channel]float64{models.ChannelEmail: 100, models.ChannelSMS: 10, models.ChannelWebhook: 100},
			concurrency: 4, lease: 5 * time.Second,
			want: map[models.Channel]int{models.ChannelEmail: 25, models.ChannelSMS: 2, models.ChannelWebhook: 25}, unknown: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := tt.lease * 4 / 5
			if diff := cmp.Diff(tt.want, worker.RoundSizes(tt.perSecond, tt.concurrency, timeout)); diff != "" {
				t.Errorf("RoundSizes (-want +got):\n%s", diff)
			}
			if got := worker.RoundSize(tt.perSecond, tt.concurrency, timeout); got != tt.unknown {
				t.Errorf("RoundSize = %d, want %d (a task of no known channel: the slowest channel's)", got, tt.unknown)
			}
		})
	}
}

// claimCounter is the store with the sizes of its claims counted.
type claimCounter struct {
	worker.PipelineStore
	mu    sync.Mutex
	sizes []int
}

func (c *claimCounter) ClaimDeliveries(ctx context.Context, ids []int64, w string, lease time.Duration, p models.Planner) ([]*models.ClaimedSend, error) {
	c.mu.Lock()
	c.sizes = append(c.sizes, len(ids))
	c.mu.Unlock()
	return c.PipelineStore.ClaimDeliveries(ctx, ids, w, lease, p)
}

// TestTasksAreHandedOnPerChannelAndClaimedInTheirChannelsRounds: with sms
// paced at its default 10/s and the webhook channel not paced, a campaign
// over all three channels goes to the queue in one task per channel, each
// naming its channel, and the webhook task is claimed whole. Before, every
// task was claimed ten at a time, whatever its channel: the deployed
// worker sent webhooks at a fifth of the benchmark's pace
// (docs/benchmarks.md, "Session 10").
func TestTasksAreHandedOnPerChannelAndClaimedInTheirChannelsRounds(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 0)
		want := map[models.Channel]int{models.ChannelWebhook: 40, models.ChannelSMS: 12, models.ChannelEmail: 3}
		for ch, n := range want {
			for i := range n {
				h.customer(fmt.Sprintf("rounds-%s-%02d", ch, i), "rounds", ch, "Asia/Kathmandu", nil)
			}
		}
		camp := h.launch(h.content("Guide for rounds", nil), "rounds")
		counter := &claimCounter{PipelineStore: h.s}
		pipe, err := worker.NewPipeline(worker.PipelineOptions{Store: counter, Planner: h.planner, Channels: h.pipe.Channels,
			Redis: h.redis, RedisClient: h.rdb, Links: worker.CustomerLinks(h.keys, h.base), Worker: "rounds",
			PerSecond: map[models.Channel]float64{models.ChannelSMS: 10}, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pipe.Close() })
		if err := pipe.Scheduler.Dispatch(context.Background()); err != nil {
			t.Fatal(err)
		}

		t.Run("each task carries one channel's deliveries and names it", func(t *testing.T) {
			byID := map[int64]models.Channel{}
			for _, d := range h.deliveries(camp.ID) {
				byID[d.ID] = d.Channel
			}
			got := map[models.Channel]int{}
			for _, p := range h.waitingPayloads() {
				for _, id := range p.IDs {
					if byID[id] != p.Channel {
						t.Errorf("a task for %q carries delivery %d on %q", p.Channel, id, byID[id])
					}
				}
				got[p.Channel] += len(p.IDs)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("deliveries handed on per task channel (-want +got):\n%s", diff)
			}
		})

		w := worker.New(worker.Options{Redis: h.redis, Concurrency: 1, ShutdownTimeout: 5 * time.Second, Logger: quiet()})
		w.HandleSend(pipe.Engine)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Shutdown)
		eventually(t, "every delivery was sent", func() bool { return h.count(camp.ID)[models.DeliverySent] == 55 })

		t.Run("the webhook task is claimed whole, sms ten at a time", func(t *testing.T) {
			counter.mu.Lock()
			defer counter.mu.Unlock()
			hist := map[int]int{}
			for _, n := range counter.sizes {
				hist[n]++
			}
			// webhook 40, email 3, sms 10 + 2
			if diff := cmp.Diff(map[int]int{40: 1, 3: 1, 10: 1, 2: 1}, hist); diff != "" {
				t.Errorf("claims by size (-want +got):\n%s", diff)
			}
		})
	})
}
