package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
)

// TestReconcileRecoversTheDeliveriesOfATaskWhoseWorkerHangs: a send task
// asynq shows as active while its deliveries stay planned past StaleAfter
// lost its worker (here: a handler that never returns); the reconciler
// hands them to a recovery task at once instead of waiting for asynq's own
// recovery, a minute or more later.
func TestReconcileRecoversTheDeliveriesOfATaskWhoseWorkerHangs(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		h.customer("hung", "all", models.ChannelWebhook, "Europe/London", nil)
		camp := h.launch(h.content("Pay by transfer", nil), "all")

		release := make(chan struct{})
		w := worker.New(worker.Options{Redis: h.redis, Concurrency: 1, ShutdownTimeout: time.Second, Logger: quiet()})
		w.Handle(worker.TaskSend, asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
			select { // a worker that hangs: it never claims
			case <-release:
			case <-ctx.Done():
			}
			return nil
		}))
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { close(release); w.Shutdown() })

		sched := worker.NewScheduler(worker.SchedulerOptions{Store: h.s, Redis: h.redis, Enqueuer: h.pipe.Enqueuer,
			Worker: "reconciler", Idempotent: func(models.Channel) bool { return true }, StaleAfter: 300 * time.Millisecond, Logger: quiet()})
		t.Cleanup(func() { _ = sched.Close() })
		ctx := context.Background()
		if err := sched.Dispatch(ctx); err != nil {
			t.Fatal(err)
		}
		inspector := asynq.NewInspector(h.redis)
		t.Cleanup(func() { inspector.Close() })
		var taskID string
		eventually(t, "the task is active in the hung worker", func() bool {
			active, err := inspector.ListActiveTasks(worker.QueueSend)
			if err != nil || len(active) != 1 {
				return false
			}
			taskID = active[0].ID
			return true
		})
		time.Sleep(400 * time.Millisecond) // the deliveries become stale
		if err := sched.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		info, err := inspector.GetTaskInfo(worker.QueueSend, "recover-"+taskID)
		if err != nil {
			t.Fatalf("no recovery task for %s: %v", taskID, err)
		}
		if info.Type != worker.TaskSend {
			t.Errorf("recovery task type %q", info.Type)
		}
		if d := h.deliveries(camp.ID)["hung"]; d.Status != models.DeliveryPlanned {
			t.Errorf("delivery is %s, want still planned (nothing claimed it)", d.Status)
		}
		t.Run("a later sweep leaves the recovery task alone while it waits", func(t *testing.T) {
			if err := sched.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			pending, err := inspector.ListPendingTasks(worker.QueueSend)
			if err != nil || len(pending) != 1 || pending[0].ID != "recover-"+taskID {
				t.Errorf("pending tasks %+v (%v), want only the recovery task", pending, err)
			}
		})
	})
}
