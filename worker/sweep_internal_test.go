package worker

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/candor/candor/models"
)

// dueStore is a Store of n planned deliveries, all due, that stay
// planned (as while their tasks wait or their sends are in flight); it
// counts the sweeps, i.e. the reads from the first due delivery.
type dueStore struct {
	due    []models.DueDelivery
	sweeps int
	// read counts the rows of every read.
	read int
}

func (f *dueStore) AcquireLease(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}

func (f *dueStore) DuePage(_ context.Context, after models.DueCursor, _ time.Time, limit int) (models.DuePage, error) {
	if after == (models.DueCursor{}) {
		f.sweeps++
	}
	var out models.DuePage
	for _, d := range f.due {
		if out.Read < limit && (d.ScheduledAt.After(after.ScheduledAt) || d.ScheduledAt.Equal(after.ScheduledAt) && d.ID > after.ID) {
			out.Deliveries = append(out.Deliveries, d)
			out.Read++
			out.Last = models.DueCursor{ScheduledAt: d.ScheduledAt, ID: d.ID}
		}
	}
	f.read += out.Read
	return out, nil
}

func (f *dueStore) StartCampaigns(context.Context, []int64) error { return nil }

func (f *dueStore) ExpireLeases(context.Context, int, int, string, func(models.Channel) bool, int) ([]models.SendBatch, error) {
	return nil, nil
}

func (f *dueStore) StaleQueued(context.Context, time.Time, int) ([]models.SendBatch, error) {
	return nil, nil
}

func (f *dueStore) CompleteCampaigns(context.Context) (int, error) { return 0, nil }

// TestTicksSweepAtMostAtTheSweepRate: every tenth tick reconciles, but a
// sweep (which reads every due delivery from the first, most of them the
// ones waiting in the queue) runs again only once the rows the last one
// read have passed at SweepRate; Reconcile called directly always sweeps.
// Without the bound, each of the ten reconciling ticks below swept.
func TestTicksSweepAtMostAtTheSweepRate(t *testing.T) {
	mr := miniredis.RunT(t)
	opt := asynq.RedisClientOpt{Addr: mr.Addr()}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	store := &dueStore{}
	for i := range 5000 {
		store.due = append(store.due, models.DueDelivery{ID: int64(i + 1), CampaignID: 1, ScheduledAt: at})
	}
	now := at
	enq := NewEnqueuer(opt, time.Minute)
	t.Cleanup(func() { _ = enq.Close() })
	// Each sweep reads its first page, 1,000 rows, before the queue is full:
	// at 300 rows a second the next is due 3.3 s later.
	s := NewScheduler(SchedulerOptions{Store: store, Redis: opt, Enqueuer: enq, Worker: "sweeper", BatchSize: 10,
		MaxQueuedTasks: 50, StaleAfter: time.Hour, SweepRate: 300, Now: func() time.Time { return now }})
	t.Cleanup(func() { _ = s.Close() })
	inspector := asynq.NewInspector(opt)
	t.Cleanup(func() { _ = inspector.Close() })
	ctx := context.Background()
	for range 10 {
		if err := s.tick(ctx, true); err != nil {
			t.Fatal(err)
		}
		// The workers take every task; the deliveries stay planned.
		if _, err := inspector.DeleteAllPendingTasks(QueueSend); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	// Ticks at 0, 1, ... 9 s: sweeps at 0, 4 and 8 s.
	if store.sweeps != 3 {
		t.Errorf("ten reconciling ticks a second apart swept %d times, want 3", store.sweeps)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if store.sweeps != 4 {
		t.Errorf("Reconcile did not sweep: %d sweeps, want 4", store.sweeps)
	}
}

// TestDispatchReadsEachDueDeliveryOnce: the dispatcher reads from its
// position what the queue has room for. It read at least 1,000 rows a
// page and moved its position only past what it handed on, so with room
// for 30 deliveries a tick each due delivery was read about 33 times
// (three times at the benchmark's pace).
func TestDispatchReadsEachDueDeliveryOnce(t *testing.T) {
	mr := miniredis.RunT(t)
	opt := asynq.RedisClientOpt{Addr: mr.Addr()}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	store := &dueStore{}
	for i := range 3000 {
		store.due = append(store.due, models.DueDelivery{ID: int64(i + 1), CampaignID: 1, ScheduledAt: at})
	}
	enq := NewEnqueuer(opt, time.Minute)
	t.Cleanup(func() { _ = enq.Close() })
	s := NewScheduler(SchedulerOptions{Store: store, Redis: opt, Enqueuer: enq, Worker: "dispatcher", BatchSize: 10,
		MaxQueuedTasks: 3, StaleAfter: time.Hour, Now: func() time.Time { return at }})
	t.Cleanup(func() { _ = s.Close() })
	inspector := asynq.NewInspector(opt)
	t.Cleanup(func() { _ = inspector.Close() })
	ctx := context.Background()
	for range 100 {
		if err := s.Dispatch(ctx); err != nil {
			t.Fatal(err)
		}
		// The workers take every task; the deliveries stay planned.
		if _, err := inspector.DeleteAllPendingTasks(QueueSend); err != nil {
			t.Fatal(err)
		}
	}
	if s.cursor.ID != 3000 {
		t.Fatalf("100 dispatches with room for 30 reached delivery %d, want all 3,000 handed on", s.cursor.ID)
	}
	// Each page of 30 ends where the next begins; the last read finds none.
	if store.read > 3000 {
		t.Errorf("dispatching 3,000 due deliveries read %d rows, want each once", store.read)
	}
}
