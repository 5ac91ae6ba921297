package worker

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor/candor/internal/opsmetrics"
	"github.com/candor/candor/models"
	"github.com/candor/candor/webhooks"
)

// InboxStore is what applying the inbox needs from storage.
type InboxStore interface {
	webhooks.ApplyStore
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	PendingInboxEvents(ctx context.Context, limit int) ([]*models.InboxEvent, error)
	FinishInboxEvents(ctx context.Context, outcomes []models.InboxOutcome, maxAttempts int) error
}

// InboxOptions configure the inbox loop.
type InboxOptions struct {
	Store InboxStore
	// Worker names this process (lease owner).
	Worker string
	// Tick is how often an idle loop looks for new events (zero: 250ms).
	Tick time.Duration
	// Round is how many events one round reads (zero: 500); Parallel how
	// many customers' events are applied at once (zero: 8).
	Round, Parallel int
	// Lease is how long the lease holder keeps the inbox after its last
	// round: another process takes over that long after it died (zero:
	// 30s). A round must take less.
	Lease time.Duration
	// MaxAttempts is how many transient failures an event survives before
	// it fails for good (zero: 20).
	MaxAttempts int
	Logger      *slog.Logger
	// Metrics receives candor_inbound_events_total (nil: counted
	// nowhere; opsmetrics.InboundEvents).
	Metrics prometheus.Registerer
}

// Inbox applies the events CRMs posted to POST /v1/inbound/{source}.
//
// It is a loop polling the inbox table under a database lease, not an
// asynq task: the table is already a durable queue written before the
// 2xx, so a copy in Redis would add a second place to lose work and a
// reconciler to find it again; and one lease holder applying each
// customer's events in one goroutine is what keeps the per-customer
// order (docs/webhooks.md).
type Inbox struct {
	o      InboxOptions
	apply  webhooks.Applier
	events *prometheus.CounterVec
}

// inboxLease is the database lease of the inbox loop.
const inboxLease = "inbox"

// NewInbox returns the inbox loop; zero options get defaults.
func NewInbox(o InboxOptions) *Inbox {
	if o.Tick <= 0 {
		o.Tick = 250 * time.Millisecond
	}
	if o.Round <= 0 {
		o.Round = 500
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 20
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	events, err := opsmetrics.InboundEvents(o.Metrics)
	if err != nil {
		// Another metric of the name: count into one nobody scrapes
		// rather than fail the worker.
		o.Logger.Error("inbox metrics not registered", "error", err)
		events, _ = opsmetrics.InboundEvents(nil)
	}
	return &Inbox{o: o, apply: webhooks.Applier{Store: o.Store}, events: events}
}

// Run applies events until ctx ends, in the process that holds the
// lease. A full round is followed by the next one at once.
func (in *Inbox) Run(ctx context.Context) {
	runRounds(ctx, "inbox", in.o.Tick, in.o.Logger, in.Round, func(n int) bool { return n >= in.o.Round })
}

// Round applies up to Round pending events if this process holds (or
// takes) the lease, and returns how many it read.
func (in *Inbox) Round(ctx context.Context) (int, error) {
	held, err := in.o.Store.AcquireLease(ctx, inboxLease, in.o.Worker, in.o.Lease)
	if err != nil || !held {
		return 0, err
	}
	events, err := in.o.Store.PendingInboxEvents(ctx, in.o.Round)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	outcomes := in.applyAll(ctx, events)
	if err := in.o.Store.FinishInboxEvents(ctx, outcomes, in.o.MaxAttempts); err != nil {
		return 0, err
	}
	failed := 0
	for _, o := range outcomes {
		if o.Status == models.InboxFailed {
			failed++
		}
		in.events.WithLabelValues(inboundOutcomes[o.Status]).Inc()
	}
	if failed > 0 {
		in.o.Logger.Info("inbox events failed", "failed", failed, "of", len(outcomes))
	}
	return len(events), nil
}

// inboundOutcomes names the metric status of each outcome: a pending one
// met a transient error and is tried again (FinishInboxEvents fails it
// for good once its attempts are used up).
var inboundOutcomes = map[models.InboxStatus]string{
	models.InboxApplied: opsmetrics.InboundApplied, models.InboxSuperseded: opsmetrics.InboundSuperseded,
	models.InboxFailed: opsmetrics.InboundFailed, models.InboxPending: opsmetrics.InboundRetried,
}

// applyAll applies events in parallel across customers and in id order
// within each customer (events without a customer are each their own
// group). An erasure is a barrier: everything received before it is
// applied first and everything after it waits for it, because it changes
// what other customers' events may do (a re-imported address of the
// erased customer is suppressed).
func (in *Inbox) applyAll(ctx context.Context, events []*models.InboxEvent) []models.InboxOutcome {
	outcomes := make([]models.InboxOutcome, len(events))
	start := 0
	for i, ev := range events {
		if ev.Type == models.InboundCustomerDeleted {
			in.applyGroups(ctx, events, outcomes, start, i)
			outcomes[i] = in.apply.Apply(ctx, ev)
			start = i + 1
		}
	}
	in.applyGroups(ctx, events, outcomes, start, len(events))
	return outcomes
}

// applyGroups applies events[from:to], each customer's in order, up to
// Parallel customers at once.
func (in *Inbox) applyGroups(ctx context.Context, events []*models.InboxEvent, outcomes []models.InboxOutcome, from, to int) {
	groups := map[string][]int{}
	var order []string
	for i := from; i < to; i++ {
		k := "customer:" + events[i].ExternalID
		if events[i].ExternalID == "" {
			k = "event:" + strconv.Itoa(i)
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	work := make(chan []int)
	var wg sync.WaitGroup
	for range min(in.o.Parallel, len(order)) {
		wg.Go(func() {
			for idx := range work {
				for _, i := range idx {
					outcomes[i] = in.apply.Apply(ctx, events[i])
				}
			}
		})
	}
	for _, k := range order {
		work <- groups[k]
	}
	close(work)
	wg.Wait()
}
