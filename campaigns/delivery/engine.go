// Package delivery is the send engine: it claims a batch of due
// deliveries (the send-time check runs inside the claim), renders each
// message, waits for the channel's shared send rate, sends it with no
// transaction or lock held, and records every outcome. It depends on
// small interfaces it declares itself (Store, Messenger, Limiter); the
// worker wires real ones in and turns Retry into the queue's retry.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

// Store is what sending needs from storage.
type Store interface {
	// ClaimDeliveries claims the due planned (or queued) deliveries
	// among ids under a lease, deciding each with planner's CheckSend.
	ClaimDeliveries(ctx context.Context, ids []int64, worker string, lease time.Duration, planner models.Planner) ([]*models.ClaimedSend, error)
	// RecordOutcomes records what each send came to.
	RecordOutcomes(ctx context.Context, worker string, outcomes []models.SendOutcome) error
}

// Message is one rendered message for a Messenger. To is PII.
type Message struct {
	DeliveryID                     int64
	Channel                        models.Channel
	To                             string
	Subject, Text, HTML, Locale    string
	UnsubscribeURL, PreferencesURL string
	CampaignID, ContentID          int64
	ContentVersion                 int
}

// Failure describes a failed send: Permanent failures are never retried;
// MaybeSent ones may have reached the customer.
type Failure interface {
	error
	Permanent() bool
	MaybeSent() bool
	RetryAfter() time.Duration
}

// Messenger sends messages on their channel.
type Messenger interface {
	// Send sends m and returns the provider's message id; its errors
	// implement Failure (any other error counts as transient).
	Send(ctx context.Context, m *Message) (providerID string, err error)
	// Idempotent reports whether re-sending a delivery on ch after a crash
	// is safe (the provider de-duplicates by delivery id).
	Idempotent(ch models.Channel) bool
}

// Limiter paces sends per channel, shared by every worker process.
type Limiter interface {
	// Wait blocks until one send on ch is allowed or ctx ends.
	Wait(ctx context.Context, ch models.Channel) error
}

// Links returns a customer's one-click unsubscribe and preference URLs.
// They are signed for the customer's id and token epoch, so links
// revoked since the claim read the customer are never put in a message.
type Links func(c *models.Customer) (unsubscribe, preferences string)

// Options configure an Engine.
type Options struct {
	Store     Store
	Planner   models.Planner
	Messenger Messenger
	Limiter   Limiter // nil: no pacing
	Links     Links
	// Worker names this process in leases and delivery events.
	Worker string
	// Lease is how long a claim holds a delivery before the reconciler
	// may take it back (a send must finish well within it).
	Lease time.Duration
	// SendTimeout bounds one send.
	SendTimeout time.Duration
	// Parallel is how many deliveries of a batch are claimed and sent at
	// once when the batch's channel is not known (zero: 32). The worker
	// derives it from the slowest channel's rate (worker.RoundSize).
	Parallel int
	// Rounds is, per channel, how many deliveries of a batch handed on
	// for that channel are claimed and sent at once (SendChannelBatch);
	// a channel missing here gets Parallel. The worker derives each from
	// the channel's own rate (worker.RoundSizes), so a slow channel's
	// pace never shrinks the rounds of a fast one.
	Rounds map[models.Channel]int
	// Fanout is how many sends of one round run at once (zero: 64, the
	// HTTP channels' connections per host): a round's other deliveries
	// wait, not yet rendered.
	Fanout int
	// MaxAttempts is how many sends of a delivery are tried before a
	// transient failure becomes failed (retries_exhausted).
	MaxAttempts int
	// RecordBackoff is the first pause before recording a round's
	// outcomes again when the store refused them (zero: 250ms); it
	// doubles up to 5s, and the engine keeps trying for one Lease.
	RecordBackoff time.Duration
	// Observe, when set, is told each send's outcome on its channel and
	// how long the channel took (zero when nothing was sent): the
	// worker's Prometheus counters.
	Observe func(ch models.Channel, status models.DeliveryStatus, took time.Duration)
	// ObserveLateness, when set, is told how long after its scheduled
	// time each message went out (issue 13's send latency histogram).
	ObserveLateness func(ch models.Channel, late time.Duration)
	Logger          *slog.Logger
}

// DefaultMaxAttempts is how many sends of a delivery are tried when
// Options.MaxAttempts is not set.
const DefaultMaxAttempts = 5

// Engine sends batches of deliveries.
type Engine struct{ o Options }

// New returns an engine; zero options get defaults.
func New(o Options) *Engine {
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 30 * time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 32
	}
	if o.Fanout <= 0 {
		o.Fanout = 64
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.RecordBackoff <= 0 {
		o.RecordBackoff = 250 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Engine{o: o}
}

// Idempotent reports whether ch's transport is safe to re-send after a
// crash.
func (e *Engine) Idempotent(ch models.Channel) bool { return e.o.Messenger.Idempotent(ch) }

// Retry asks the queue to run a batch again after Delay: some of its
// deliveries failed transiently and are queued again.
type Retry struct {
	Delay time.Duration
	Count int
}

func (r *Retry) Error() string {
	return fmt.Sprintf("delivery: %d sends failed transiently; retry in %s", r.Count, r.Delay)
}

// SendBatch claims and sends the queued deliveries among ids and records
// their outcomes. It claims at most Parallel deliveries at a time and
// sends them before claiming more, so a claim never waits on the channel's
// rate for long: a pause, a cancel or a changed wish takes effect within
// one round of sends, and the send-time check is never minutes old. It
// returns a *Retry when some are to be tried again, and the store's errors
// (nothing is sent when a claim fails).
func (e *Engine) SendBatch(ctx context.Context, ids []int64) error {
	return e.sendRounds(ctx, e.o.Parallel, ids)
}

// SendChannelBatch is SendBatch for a batch handed on for channel ch: its
// rounds are ch's (Options.Rounds). The channel only sizes the rounds;
// each delivery is still sent on the channel its claim decides, paced by
// that channel's rate. An empty ch is a batch of no known channel.
func (e *Engine) SendChannelBatch(ctx context.Context, ch models.Channel, ids []int64) error {
	size := e.o.Rounds[ch]
	if size <= 0 {
		size = e.o.Parallel
	}
	return e.sendRounds(ctx, size, ids)
}

// sendRounds sends ids in rounds of size.
func (e *Engine) sendRounds(ctx context.Context, size int, ids []int64) error {
	retry := &Retry{}
	for start := 0; start < len(ids); start += size {
		if err := ctx.Err(); err != nil {
			return err // the rest stays queued; the task runs again
		}
		if err := e.sendRound(ctx, ids[start:min(start+size, len(ids))], retry); err != nil {
			return err
		}
	}
	if retry.Count > 0 {
		return retry
	}
	return nil
}

// sendRound claims the queued deliveries among ids, sends them (at most
// Fanout at once), records their outcomes and adds the transient failures
// to retry.
func (e *Engine) sendRound(ctx context.Context, ids []int64, retry *Retry) error {
	claimed, err := e.o.Store.ClaimDeliveries(ctx, ids, e.o.Worker, e.o.Lease, e.o.Planner)
	if err != nil || len(claimed) == 0 {
		return err
	}
	outcomes := make([]models.SendOutcome, len(claimed))
	asked := make([]time.Duration, len(claimed))
	took := make([]time.Duration, len(claimed))
	// At most Fanout sends of the round at once, each rendering its
	// message when its turn comes: one goroutine and one rendered message
	// per claimed delivery held about 190 MB in a worker running 16
	// rounds of 300 (docs/benchmarks.md, "Session 10").
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(claimed), e.o.Fanout) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(claimed); i = int(next.Add(1) - 1) {
				if ctx.Err() != nil {
					// The task's time ran out (or the worker is stopping)
					// before this send's turn: nothing reached the channel,
					// so it is queued again with its attempt given back,
					// instead of spending one on a send that fails at once.
					outcomes[i] = models.SendOutcome{DeliveryID: claimed[i].Delivery.ID, Status: models.DeliveryQueued, NotAttempted: true}
					continue
				}
				outcomes[i], asked[i], took[i] = e.sendGuarded(ctx, claimed[i])
			}
		})
	}
	wg.Wait()
	for i := range outcomes {
		if outcomes[i].Status == models.DeliveryQueued {
			// Each row records its own back-off (the reconciler
			// leaves it alone until then); the task retries them all
			// after the longest of the round (Retry).
			outcomes[i].RetryIn = retryDelay(claimed[i].Delivery.Attempts, asked[i])
		}
	}
	if err := e.record(ctx, outcomes); err != nil {
		return err
	}
	for i, o := range outcomes {
		if e.o.Observe != nil {
			e.o.Observe(claimed[i].Delivery.Channel, o.Status, took[i])
		}
		if e.o.ObserveLateness != nil && o.Status == models.DeliverySent {
			e.o.ObserveLateness(claimed[i].Delivery.Channel, time.Since(claimed[i].Delivery.ScheduledAt))
		}
		if o.Status == models.DeliveryQueued {
			retry.Count++
			retry.Delay = max(retry.Delay, o.RetryIn)
		}
	}
	return nil
}

// record records a round's outcomes, trying again with back-off while
// the store refuses them, for up to one lease: the messages of a round
// have gone out, and an outcome given up is a sent message the
// reconciler can only call unknown (or, on an idempotent channel, send
// again with the same key). They are recorded even when the task is
// being stopped: a send that happened must not be forgotten. A late sent
// outcome still counts after the lease ran out (RecordOutcomes).
func (e *Engine) record(ctx context.Context, outcomes []models.SendOutcome) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.o.Lease)
	defer cancel()
	pause := e.o.RecordBackoff
	for attempt := 1; ; attempt++ {
		err := e.o.Store.RecordOutcomes(ctx, e.o.Worker, outcomes)
		if err == nil {
			return nil
		}
		e.o.Logger.Warn("recording outcomes failed; trying again", "deliveries", len(outcomes), "attempt", attempt,
			"retry_in", pause.String(), "error", err.Error())
		select {
		case <-ctx.Done():
			e.o.Logger.Error("outcomes not recorded within the lease; the reconciler settles them", "deliveries", len(outcomes))
			return err
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// sendGuarded is sendOne, with a panic turned into a failed delivery: a
// defect in rendering or a transport must not take the process (and every
// claim it holds) down, nor leave the delivery to be claimed and crash
// again for ever.
func (e *Engine) sendGuarded(ctx context.Context, c *models.ClaimedSend) (out models.SendOutcome, asked, took time.Duration) {
	defer func() {
		if r := recover(); r != nil {
			e.o.Logger.Error("send panicked", "delivery_id", c.Delivery.ID, "panic", fmt.Sprint(r))
			out = models.SendOutcome{DeliveryID: c.Delivery.ID, Status: models.DeliveryFailed, Reason: models.ReasonRejected}
		}
	}()
	return e.sendOne(ctx, c)
}

// sendOne renders and sends one claimed delivery and says what came of it,
// with the delay the provider asked for before a retry and how long the
// channel took.
func (e *Engine) sendOne(ctx context.Context, c *models.ClaimedSend) (models.SendOutcome, time.Duration, time.Duration) {
	d := c.Delivery
	out := models.SendOutcome{DeliveryID: d.ID}
	msg, err := e.render(c)
	if err != nil {
		// Approved content always rendered at approval; failing now is a
		// defect, never worth a retry.
		e.o.Logger.Error("render failed", "delivery_id", d.ID, "error", err.Error())
		out.Status, out.Reason = models.DeliveryFailed, models.ReasonRejected
		return out, 0, 0
	}
	if e.o.Limiter != nil {
		if err := e.o.Limiter.Wait(ctx, d.Channel); err != nil {
			// Nothing reached the channel: the attempt is given back.
			out.Status, out.NotAttempted = models.DeliveryQueued, true
			return out, 0, 0
		}
	}
	sctx, cancel := context.WithTimeout(ctx, e.o.SendTimeout)
	defer cancel()
	start := time.Now()
	provider, err := e.o.Messenger.Send(sctx, msg)
	took := time.Since(start)
	out, asked := e.classify(c, provider, err)
	return out, asked, took
}

// classify turns a send's result into an outcome and the delay the
// provider asked for.
func (e *Engine) classify(c *models.ClaimedSend, provider string, err error) (models.SendOutcome, time.Duration) {
	d := c.Delivery
	out := models.SendOutcome{DeliveryID: d.ID}
	var (
		f     Failure
		asked time.Duration
	)
	isFailure := errors.As(err, &f)
	switch {
	case err == nil:
		out.Status, out.ProviderID = models.DeliverySent, provider
	case isFailure && f.Permanent():
		out.Status, out.Reason = models.DeliveryFailed, models.ReasonRejected
	case isFailure && f.MaybeSent() && !e.o.Messenger.Idempotent(d.Channel):
		// A duplicate hurts trust more than a missing message: never
		// retried without an admin.
		out.Status = models.DeliveryUnknown
	case d.Attempts >= e.o.MaxAttempts:
		out.Status, out.Reason = models.DeliveryFailed, models.ReasonRetriesExhausted
	default:
		out.Status = models.DeliveryQueued
		if isFailure {
			asked = f.RetryAfter()
		}
	}
	if err != nil {
		// The error text never holds the address or the body.
		e.o.Logger.Warn("send failed", "delivery_id", d.ID, "channel", string(d.Channel), "attempt", d.Attempts,
			"outcome", string(out.Status), "error", err.Error())
	}
	return out, asked
}

// retryDelay is the back-off before the next try: exponential in the
// attempts so far, at least what the provider asked for (Retry-After).
func retryDelay(attempts int, asked time.Duration) time.Duration {
	return max(time.Duration(1<<min(attempts, 8))*time.Second, asked)
}

// render renders the claimed delivery's variant for its customer.
func (e *Engine) render(c *models.ClaimedSend) (*Message, error) {
	d, in := c.Delivery, &c.Version.ContentInput
	v, ok := content.PickVariant(in, d.Channel, d.Locale)
	if !ok {
		return nil, models.Errorf(models.EINTERNAL, "content %d version %d has no %s variant in %s", d.ContentID, d.ContentVersion, d.Channel, d.Locale)
	}
	unsub, prefs := e.o.Links(c.Customer)
	m, err := content.Render(in, v, content.RenderInput{Name: c.Customer.Name, Attributes: c.Customer.Attributes,
		PreferencesURL: prefs, UnsubscribeURL: unsub})
	if err != nil {
		return nil, err
	}
	return &Message{DeliveryID: d.ID, Channel: d.Channel, To: c.Decision.Address, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		Locale: v.Locale, UnsubscribeURL: unsub, PreferencesURL: prefs, CampaignID: d.CampaignID, ContentID: d.ContentID,
		ContentVersion: d.ContentVersion}, nil
}
