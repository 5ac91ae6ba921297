// Package worker runs Candor's background work on asynq (Redis): it owns
// the asynq server, its task handlers and their retry policy. Handlers
// decode a task, call into the domain and translate the outcome into
// asynq's retry semantics; they hold no business rules themselves.
//
// The send task (send.go) carries a batch of queued deliveries to the
// delivery engine; dispatch and reconciliation (scheduler.go) run in the
// one process holding their database lease.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// Options configures a Worker.
type Options struct {
	// Redis is where tasks live (asynq.ParseRedisURI of CANDOR_REDIS_URL,
	// or the embedded miniredis).
	Redis asynq.RedisConnOpt
	// Concurrency is the number of tasks processed at once. Sends are I/O
	// bound, so it is far above asynq's default of one per CPU.
	Concurrency int
	// ShutdownTimeout is how long in-flight tasks may run after a stop
	// signal before asynq gives up on them (and re-queues them).
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Worker processes asynq tasks until stopped.
type Worker struct {
	srv *asynq.Server
	mux *asynq.ServeMux
	log *slog.Logger
}

// New builds a worker; nothing connects until Start.
func New(opts Options) *Worker {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 20
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 20 * time.Second
	}
	srv := asynq.NewServer(opts.Redis, asynq.Config{
		Concurrency:     opts.Concurrency,
		ShutdownTimeout: opts.ShutdownTimeout,
		Queues:          map[string]int{QueueSend: 6, "default": 1},
		RetryDelayFunc:  retryDelay,
		Logger:          asynqLogger{log.With("component", "asynq")},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, task *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			retried, _ := asynq.GetRetryCount(ctx)
			// Only the task type and id: payloads may carry customer data.
			log.Warn("task failed", "task_type", task.Type(), "task_id", id, "retried", retried, "error", err.Error())
		}),
	})
	mux := asynq.NewServeMux()
	mux.Use(traceTasks)
	return &Worker{srv: srv, mux: mux, log: log}
}

// Handle registers the handler for a task type.
func (w *Worker) Handle(taskType string, h asynq.Handler) { w.mux.Handle(taskType, h) }

// Start begins processing in the background. It fails if Redis cannot be
// reached.
func (w *Worker) Start() error {
	if err := w.srv.Start(w.mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	w.log.Info("worker started")
	return nil
}

// Shutdown stops fetching tasks, waits for in-flight tasks up to the
// shutdown timeout, and returns unfinished ones to the queue.
func (w *Worker) Shutdown() {
	w.srv.Shutdown()
	w.log.Info("worker stopped")
}

// asynqLogger routes asynq's own logging into slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
