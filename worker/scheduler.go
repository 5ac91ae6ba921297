package worker

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/candor/candor/campaigns/delivery"
	"github.com/candor/candor/models"
)

// Store is what the periodic work needs from storage.
type Store interface {
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	DuePage(ctx context.Context, after models.DueCursor, until time.Time, limit int) (models.DuePage, error)
	StartCampaigns(ctx context.Context, ids []int64) error
	ExpireLeases(ctx context.Context, limit, batchSize int, worker string, idempotent func(models.Channel) bool, maxAttempts int) ([]models.SendBatch, error)
	StaleQueued(ctx context.Context, olderThan time.Time, limit int) ([]models.SendBatch, error)
	CompleteCampaigns(ctx context.Context) (int, error)
}

// SchedulerOptions configure the periodic work.
type SchedulerOptions struct {
	Store    Store
	Redis    asynq.RedisConnOpt
	Enqueuer *Enqueuer
	// Worker names this process (lease owner, delivery events).
	Worker string
	// Idempotent reports which channels may be re-sent after a crash.
	Idempotent func(models.Channel) bool
	// MaxAttempts is how many claims a delivery gets before one that
	// dies with its worker every time is failed (zero: the engine's
	// default, delivery.DefaultMaxAttempts).
	MaxAttempts int
	// Tick is how often dispatch runs; Horizon how far ahead of now it
	// hands work to the queue (tasks wait in Redis for their time).
	Tick, Horizon time.Duration
	// BatchSize deliveries go in one task; at most MaxQueuedTasks tasks
	// wait in the queue, so Redis memory does not grow with audiences.
	BatchSize, MaxQueuedTasks int
	// StaleAfter is how long a handed-on delivery may wait, still planned
	// or queued, before the reconciler checks that its task still exists.
	StaleAfter time.Duration
	// SweepRate bounds the periodic sweep's reads to about this many due
	// deliveries per second on average (zero: DefaultSweepRate): a tick's
	// reconcile sweeps again only once the rows the last sweep read,
	// divided by SweepRate, have passed. Reconcile, called directly,
	// always sweeps.
	SweepRate float64
	// Confirmations, when set, sends the due double opt-in confirmations
	// after each dispatch (worker/confirmations.go).
	Confirmations interface {
		Run(ctx context.Context) error
	}
	Now    func() time.Time
	Logger *slog.Logger
}

// Scheduler runs dispatch and reconciliation in the one process that
// holds their database lease, whatever the number of worker processes.
type Scheduler struct {
	o         SchedulerOptions
	inspector *asynq.Inspector
	// cursor is how far Dispatch has read the due deliveries; handed
	// what it handed on lately (worker/dispatch.go). Only the goroutine
	// running the ticks uses them.
	cursor models.DueCursor
	handed *handed
	// holding says whether the last tick held the lease; recreated counts
	// the tasks the last sweep re-created.
	holding   bool
	recreated int
	// read counts the due deliveries pass read; lastSweep is when the
	// last sweep started and swept how many rows it read (sweepDue).
	read      int
	lastSweep time.Time
	swept     int
}

// DefaultSweepRate is SweepRate when none is set. A sweep reads every due
// delivery from the first, and most of them are the ones waiting in the
// queue (up to MaxQueuedTasks*BatchSize, 40,000 by default): swept every
// tenth tick of a 100 ms tick, that was about ten rows read per message
// sent, the third largest cost of PostgreSQL's send path
// (docs/benchmarks.md, "Session 7"). At this rate a full queue is swept
// every 8 s; with the default tick (1 s, a reconcile every 10 s) nothing
// changes. A sweep is a safety net (a lost task is recovered once
// StaleAfter old, two minutes by default), so a few seconds more are
// harmless.
const DefaultSweepRate = 5000

// NewScheduler returns a scheduler; zero options get defaults.
func NewScheduler(o SchedulerOptions) *Scheduler {
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = delivery.DefaultMaxAttempts
	}
	if o.Horizon <= 0 {
		o.Horizon = 30 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = defaultBatchSize
	}
	if o.MaxQueuedTasks <= 0 {
		o.MaxQueuedTasks = defaultMaxQueuedTasks
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 2 * time.Minute
	}
	if o.SweepRate <= 0 {
		o.SweepRate = DefaultSweepRate
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Scheduler{o: o, inspector: asynq.NewInspector(o.Redis), handed: newHanded(2 * o.MaxQueuedTasks * o.BatchSize)}
}

// defaultBatchSize is how many deliveries one send task carries. Each
// task costs a claim transaction of about nine statements and an outcome
// transaction of three, whatever its size, and most of their cost is per
// statement (planning, executor start, trigger setup, commit): at 300 the
// send path spends about a fifth less CPU a message than at 100
// (docs/benchmarks.md, "Session 9"; flat beyond 300). A task's round of
// sends is still about a second at the benchmark's pace with the default
// concurrency, so a pause takes effect within seconds.
const defaultBatchSize = 300

// defaultMaxQueuedTasks bounds the tasks waiting in the queue: with
// defaultBatchSize, 45,000 deliveries, ample for the dispatcher's tick
// at any pace this machine reaches, and a few MB of Redis whatever the
// audience.
const defaultMaxQueuedTasks = 150

// leaseName is the database lease of the periodic work.
const leaseName = "scheduler"

// Run ticks until ctx ends. Each tick in the lease holder dispatches what
// is due; every tenth tick also reconciles (sweeping at most at SweepRate).
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.o.Tick)
	defer t.Stop()
	for n := 0; ; n++ {
		if err := s.tick(ctx, n%10 == 0); err != nil && ctx.Err() == nil {
			s.o.Logger.Warn("scheduler tick failed", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// tick runs one round if this process holds (or takes) the lease.
func (s *Scheduler) tick(ctx context.Context, reconcile bool) error {
	held, err := s.o.Store.AcquireLease(ctx, leaseName, s.o.Worker, 10*s.o.Tick+5*time.Second)
	if err != nil || !held {
		s.holding = false
		return err
	}
	if !s.holding {
		// Another process dispatched meanwhile: read from the start.
		s.holding, s.cursor = true, models.DueCursor{}
	}
	if reconcile {
		if err := s.reconcile(ctx, s.sweepDue()); err != nil {
			return err
		}
	}
	if err := s.Dispatch(ctx); err != nil || s.o.Confirmations == nil {
		return err
	}
	return s.o.Confirmations.Run(ctx)
}

// room is how many more tasks the send queue may hold.
func (s *Scheduler) room() (int, error) {
	queues, err := s.inspector.Queues()
	if err != nil {
		return 0, err
	}
	if !slices.Contains(queues, QueueSend) {
		return s.o.MaxQueuedTasks, nil // no task was ever queued
	}
	info, err := s.inspector.GetQueueInfo(QueueSend)
	if err != nil {
		return 0, err
	}
	return s.o.MaxQueuedTasks - (info.Size - info.Archived - info.Completed), nil
}

func (s *Scheduler) enqueue(ctx context.Context, batches []models.SendBatch) error {
	for _, b := range batches {
		// A failure leaves the deliveries queued with their task id: the
		// reconciler re-creates the task.
		if err := s.o.Enqueuer.Enqueue(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// Reconcile takes back deliveries whose worker died mid-send, re-creates
// tasks Redis lost (of queued deliveries here, of planned ones by a sweep
// of Dispatch from the first due delivery, which also hands on what the
// dispatcher's position had passed), and completes campaigns with nothing
// left to send.
func (s *Scheduler) Reconcile(ctx context.Context) error {
	return s.reconcile(ctx, true)
}

// sweepDue reports whether a tick's reconcile sweeps: the first time, and
// then once the rows the last sweep read, at SweepRate, have passed.
func (s *Scheduler) sweepDue() bool {
	if s.lastSweep.IsZero() {
		return true
	}
	wait := time.Duration(float64(s.swept) / s.o.SweepRate * float64(time.Second))
	return s.o.Now().Sub(s.lastSweep) >= wait
}

// reconcile is Reconcile, with the sweep of planned deliveries only when
// sweep is set.
func (s *Scheduler) reconcile(ctx context.Context, sweep bool) error {
	retry, err := s.o.Store.ExpireLeases(ctx, 1000, s.o.BatchSize, s.o.Worker, s.o.Idempotent, s.o.MaxAttempts)
	if err != nil {
		return err
	}
	if err := s.enqueue(ctx, retry); err != nil {
		return err
	}
	stale, err := s.o.Store.StaleQueued(ctx, s.o.Now().Add(-s.o.StaleAfter), 10000)
	if err != nil {
		return err
	}
	recreated := 0
	for _, b := range stale {
		b, ok, err := s.replacement(b)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := s.o.Enqueuer.Enqueue(ctx, b); err != nil {
			return err
		}
		recreated++
	}
	s.recreated = 0
	if sweep {
		s.lastSweep, s.read = s.o.Now(), 0
		err := s.pass(ctx, true)
		s.swept = s.read
		if err != nil {
			return err
		}
	}
	recreated += s.recreated
	done, err := s.o.Store.CompleteCampaigns(ctx)
	if err != nil {
		return err
	}
	if len(retry) > 0 || recreated > 0 || done > 0 {
		s.o.Logger.Info("reconciled", "requeued_batches", len(retry), "recreated_tasks", recreated, "completed_campaigns", done)
	}
	return nil
}

// replacement returns the task that re-creates the work of b, whose
// deliveries waited longer than StaleAfter under b.TaskID, or false when
// that task is still waiting or retrying. A task Redis lost is re-created
// under its id; one given up on, or done while some of its deliveries
// were left, is deleted and re-created; one still "active" long after it
// was handed on most likely lost its worker (a live worker claims a
// task's deliveries within seconds, and asynq gives such a task back only
// after its own recovery, a minute or more later), so a recovery task
// takes its deliveries over now. Claims are exclusive: if the first task
// is alive after all, each delivery is still sent by one of them only.
func (s *Scheduler) replacement(b models.SendBatch) (models.SendBatch, bool, error) {
	info, err := s.inspector.GetTaskInfo(QueueSend, b.TaskID)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
	case err != nil:
		return b, false, err
	case info.State == asynq.TaskStateArchived || info.State == asynq.TaskStateCompleted:
		if err := s.inspector.DeleteTask(QueueSend, b.TaskID); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return b, false, err
		}
	case info.State == asynq.TaskStateActive:
		b.TaskID = "recover-" + b.TaskID
	default:
		return b, false, nil // still waiting or retrying
	}
	return b, true, nil
}

// Close releases the scheduler's Redis connections.
func (s *Scheduler) Close() error { return s.inspector.Close() }
