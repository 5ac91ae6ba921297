package worker_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/worker"
	"github.com/hibiken/asynq"
)

func startWorker(t *testing.T, handler asynq.HandlerFunc) (*asynq.Client, *worker.Worker) {
	t.Helper()
	opt, err := asynq.ParseRedisURI(redisenv.URL(t, redisenv.DBWorker))
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(worker.Options{Redis: opt, Concurrency: 4, ShutdownTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w.Handle("test:echo", handler)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	return client, w
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWorkerProcessesEnqueuedTasks(t *testing.T) {
	t.Logf("redis backend: %s", redisenv.Backend())
	var got atomic.Int32
	client, w := startWorker(t, func(ctx context.Context, task *asynq.Task) error {
		if string(task.Payload()) == "hello" {
			got.Add(1)
		}
		return nil
	})
	defer w.Shutdown()
	for range 3 {
		if _, err := client.Enqueue(asynq.NewTask("test:echo", []byte("hello"))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three tasks were processed", func() bool { return got.Load() == 3 })
}

func TestShutdownWaitsForTheTaskInFlight(t *testing.T) {
	started := make(chan struct{})
	var finished atomic.Bool
	client, w := startWorker(t, func(ctx context.Context, task *asynq.Task) error {
		close(started)
		time.Sleep(300 * time.Millisecond)
		finished.Store(true)
		return nil
	})
	if _, err := client.Enqueue(asynq.NewTask("test:echo", nil)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(15 * time.Second):
		t.Fatal("task never started")
	}
	w.Shutdown()
	if !finished.Load() {
		t.Error("Shutdown returned before the in-flight task finished")
	}
}
