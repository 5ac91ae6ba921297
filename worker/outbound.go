package worker

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor/candor/models"
	"github.com/candor/candor/webhooks"
)

// OutboundStore is what delivering outbound webhooks needs from storage
// (store.Store implements it).
type OutboundStore interface {
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	FanOutWebhookEvents(ctx context.Context, limit int) (int, error)
	DueWebhookMessages(ctx context.Context, now time.Time, limit int) ([]*models.WebhookMessage, error)
	WebhookTargets(ctx context.Context, ids []int64) (map[int64]models.WebhookTarget, error)
	RecordWebhookOutcomes(ctx context.Context, outcomes []models.WebhookOutcome, policy models.DisablePolicy) ([]models.DisabledEndpoint, error)
}

// OutboundOptions configure the outbound webhook loop; zero values get
// the defaults named.
type OutboundOptions struct {
	Store OutboundStore
	// Worker names this process (lease owner).
	Worker string
	// AllowPrivate (CANDOR_WEBHOOK_ALLOW_PRIVATE) permits plain http and
	// private, loopback and link-local addresses: tests, local
	// development and the demo only.
	AllowPrivate bool
	// Timeout bounds one request, connection included (10s).
	Timeout time.Duration
	// Tick is how often an idle loop looks for work (200ms).
	Tick time.Duration
	// Round is how many messages one round sends at most (500);
	// Parallel how many requests are in flight at once (64), at most
	// PerEndpoint of them to one endpoint (16).
	Round, Parallel, PerEndpoint int
	// Lease is how long the lease holder keeps delivery after its last
	// round began (60s). A round is cut at half of it, so a process that
	// lost the lease has stopped sending before another one starts.
	Lease time.Duration
	// Disable is when an endpoint is disabled (8 failed attempts in a row
	// over at least 24 hours).
	Disable models.DisablePolicy
	// Sender replaces the guarded sender built from the options (tests).
	Sender  *webhooks.Sender
	Metrics prometheus.Registerer
	Logger  *slog.Logger
	// Now is the clock of due times and the attempt log (time.Now);
	// webhook-timestamp is always the wall clock, which receivers check.
	Now func() time.Time
}

// Outbound delivers the events table to the webhook endpoints that
// subscribe to it.
//
// Like the inbox it is a loop polling the database under a lease, not an
// asynq task: webhook_messages is the durable queue (a message stays
// pending until its outcome is recorded, so a crash loses nothing and the
// next lease holder sends it again with the same webhook-id), and one
// lease holder sending each customer's messages one after another is
// what keeps the per-customer order.
type Outbound struct {
	o       OutboundOptions
	metrics *outboundMetrics
}

// outboundLease is the database lease of the outbound loop.
const outboundLease = "outbound"

// fanOutBatch is how many events one round fans out at most.
const fanOutBatch = 2000

// NewOutbound returns the outbound loop. It fails only when o.Metrics
// refuses the series.
func NewOutbound(o OutboundOptions) (*Outbound, error) {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Tick <= 0 {
		o.Tick = 200 * time.Millisecond
	}
	if o.Round <= 0 {
		o.Round = 500
	}
	if o.Parallel <= 0 {
		o.Parallel = 64
	}
	if o.PerEndpoint <= 0 {
		o.PerEndpoint = 16
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Disable == (models.DisablePolicy{}) {
		o.Disable = models.DisablePolicy{Failures: 8, After: 24 * time.Hour}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Sender == nil {
		o.Sender = &webhooks.Sender{Client: webhooks.NewClient(o.Timeout, o.AllowPrivate), AllowPrivate: o.AllowPrivate}
	}
	m, err := newOutboundMetrics(o.Metrics)
	if err != nil {
		return nil, err
	}
	return &Outbound{o: o, metrics: m}, nil
}

// Run delivers until ctx ends, in the process that holds the lease. A
// full round is followed by the next one at once.
func (ob *Outbound) Run(ctx context.Context) {
	runRounds(ctx, "outbound webhook", ob.o.Tick, ob.o.Logger, ob.Round, func(n int) bool { return n > 0 })
}

// Round fans out new events and sends up to Round due messages if this
// process holds (or takes) the lease; it returns how many events and
// messages it handled. The fan-out runs beside the sends (events it
// queues are sent from the next round on), so a burst of new events does
// not hold up messages already queued.
func (ob *Outbound) Round(ctx context.Context) (int, error) {
	held, err := ob.o.Store.AcquireLease(ctx, outboundLease, ob.o.Worker, ob.o.Lease)
	if err != nil || !held {
		return 0, err
	}
	rctx, cancel := context.WithTimeout(ctx, ob.o.Lease/2)
	defer cancel()
	var fanned int
	var fanErr error
	fanDone := make(chan struct{})
	go func() {
		defer close(fanDone)
		fanned, fanErr = ob.o.Store.FanOutWebhookEvents(rctx, fanOutBatch)
		ob.metrics.fannedOut(fanned)
	}()
	sent, err := ob.sendDue(ctx, rctx)
	<-fanDone
	return fanned + sent, errors.Join(fanErr, err)
}

// sendDue sends up to Round due messages within rctx and records their
// outcomes (even when ctx, the worker's, is ending: each one recorded is
// one message not sent again).
func (ob *Outbound) sendDue(ctx, rctx context.Context) (int, error) {
	msgs, err := ob.o.Store.DueWebhookMessages(rctx, ob.o.Now(), ob.o.Round)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	ids := map[int64]bool{}
	var endpointIDs []int64
	for _, m := range msgs {
		if !ids[m.EndpointID] {
			ids[m.EndpointID] = true
			endpointIDs = append(endpointIDs, m.EndpointID)
		}
	}
	targets, err := ob.o.Store.WebhookTargets(rctx, endpointIDs)
	if err != nil {
		return 0, err
	}
	outcomes := ob.deliver(rctx, msgs, targets)
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer wcancel()
	disabled, err := ob.o.Store.RecordWebhookOutcomes(wctx, outcomes, ob.o.Disable)
	if err != nil {
		return 0, err
	}
	for _, d := range disabled {
		ob.o.Logger.Warn("webhook endpoint disabled after failed attempts", "endpoint_id", d.ID, "reason", d.Reason)
	}
	ob.metrics.observe(outcomes, len(disabled))
	return len(msgs), nil
}

// deliver sends msgs: each customer's messages for an endpoint one after
// another in event order, stopping at the first failure (the rest wait
// for it), and different customers' in parallel, at most PerEndpoint
// requests to one endpoint at once.
func (ob *Outbound) deliver(ctx context.Context, msgs []*models.WebhookMessage, targets map[int64]models.WebhookTarget) []models.WebhookOutcome {
	groups := map[string][]*models.WebhookMessage{}
	var order []string
	for _, m := range msgs {
		k := strconv.FormatInt(m.EndpointID, 10) + "/message:" + strconv.FormatInt(m.ID, 10)
		if m.CustomerID != nil {
			k = strconv.FormatInt(m.EndpointID, 10) + "/customer:" + strconv.FormatInt(*m.CustomerID, 10)
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], m)
	}
	slots := map[int64]chan struct{}{}
	for id := range targets {
		slots[id] = make(chan struct{}, ob.o.PerEndpoint)
	}
	var mu sync.Mutex
	var outcomes []models.WebhookOutcome
	work := make(chan []*models.WebhookMessage)
	var wg sync.WaitGroup
	for range min(ob.o.Parallel, len(order)) {
		wg.Go(func() {
			for group := range work {
				for _, m := range group {
					t, ok := targets[m.EndpointID]
					if !ok || ctx.Err() != nil {
						break // endpoint deleted, or the round is over
					}
					slots[m.EndpointID] <- struct{}{}
					o := ob.attempt(ctx, t, m)
					<-slots[m.EndpointID]
					if !o.OK && ctx.Err() != nil {
						// Cut by the end of the round, not the endpoint's
						// fault: no outcome, the message stays due and is
						// sent again (same webhook-id) next round.
						break
					}
					mu.Lock()
					outcomes = append(outcomes, o)
					mu.Unlock()
					if !o.OK {
						break
					}
				}
			}
		})
	}
	for _, k := range order {
		work <- groups[k]
	}
	close(work)
	wg.Wait()
	return outcomes
}

// attempt sends one message and says what to do next.
func (ob *Outbound) attempt(ctx context.Context, t models.WebhookTarget, m *models.WebhookMessage) models.WebhookOutcome {
	at := ob.o.Now()
	r := ob.o.Sender.Send(ctx, t, m)
	o := models.WebhookOutcome{MessageID: m.ID, EndpointID: m.EndpointID, EventID: m.EventID, OK: r.OK,
		StatusCode: r.StatusCode, Error: r.Error, Took: r.Took, At: at}
	if !r.OK {
		if d, ok := webhooks.RetryDelay(m.Attempts + 1); ok {
			o.Next = at.Add(d)
		}
	}
	return o
}
