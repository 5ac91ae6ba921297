package worker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
)

// TestDispatchHandsEachGenerationOnOnce drives one dispatcher by hand with
// a clock of its own: it hands each planned delivery to the queue once
// (nothing in the database changes), re-creates the work Redis lost once
// it is StaleAfter old, and hands a re-planned delivery on again in its
// new generation, even behind its position.
func TestDispatchHandsEachGenerationOnOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		camp := h.crowd("dispatch", 3)
		now := time.Now()
		const stale = time.Minute
		sched := worker.NewScheduler(worker.SchedulerOptions{Store: h.s, Redis: h.redis, Enqueuer: h.pipe.Enqueuer, Worker: "dispatcher",
			Idempotent: func(models.Channel) bool { return true }, StaleAfter: stale, Now: func() time.Time { return now }, Logger: quiet()})
		t.Cleanup(func() { _ = sched.Close() })
		ctx := context.Background()
		inspector := asynq.NewInspector(h.redis)
		t.Cleanup(func() { inspector.Close() })
		step := func(what string, run func(context.Context) error, want int) {
			t.Helper()
			if err := run(ctx); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if got := h.waitingIDs(); got != want {
				t.Errorf("after %s the queue carries %d deliveries, want %d", what, got, want)
			}
		}

		step("the first dispatch", sched.Dispatch, 3)
		t.Run("the deliveries stay planned, with no event, and their campaign runs", func(t *testing.T) {
			for ext, d := range h.deliveries(camp.ID) {
				if d.Status != models.DeliveryPlanned || len(d.Events) != 0 {
					t.Errorf("%s: %s with events %+v", ext, d.Status, d.Events)
				}
			}
			if s := h.campaignState(camp.ID); s != models.CampaignRunning {
				t.Errorf("campaign is %s, want running", s)
			}
		})
		step("a second dispatch", sched.Dispatch, 3)
		step("a sweep", sched.Reconcile, 3)

		if _, err := inspector.DeleteAllPendingTasks(worker.QueueSend); err != nil {
			t.Fatal(err)
		}
		step("a sweep right after Redis lost the task", sched.Reconcile, 0)
		now = now.Add(stale)
		step("a sweep once the work is StaleAfter old", sched.Reconcile, 3)
		step("another sweep", sched.Reconcile, 3)

		var d *models.Delivery
		for _, d = range h.deliveries(camp.ID) {
			break
		}
		if err := h.s.DB().Exec("UPDATE deliveries SET generation = 2 WHERE id = ?", d.ID).Error; err != nil {
			t.Fatal(err)
		}
		step("a dispatch past the re-planned delivery", sched.Dispatch, 3)
		step("a sweep", sched.Reconcile, 4)
	})
}

// TestTwoTasksCarryingTheSameDeliveriesSendEachOnce hands the same planned
// deliveries to the queue in two tasks (as two dispatchers, or a sweep
// beside a task still waiting, may) and runs them on two worker servers:
// each message goes out once.
func TestTwoTasksCarryingTheSameDeliveriesSendEachOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		const n = 40
		h := newHarness(t, 500)
		camp := h.crowd("twice", n)
		var ids []int64
		for _, d := range h.deliveries(camp.ID) {
			ids = append(ids, d.ID)
		}
		ctx := context.Background()
		for i := range 2 {
			b := models.SendBatch{TaskID: fmt.Sprintf("twice-%d", i), IDs: ids, ProcessAt: time.Now()}
			if err := h.pipe.Enqueuer.Enqueue(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		h.startWorker()
		h.startWorker()
		eventually(t, "every delivery was sent", func() bool { return h.count(camp.ID)[models.DeliverySent] == n })
		eventually(t, "both tasks ran", h.queueIdle)
		onceEach(t, h.email, n)
	})
}
