package worker

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/candor/candor/campaigns/delivery"
	"github.com/candor/candor/channels"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// PipelineStore is what the sending pipeline needs from storage: the
// engine's claim and outcomes, and the scheduler's dispatch and
// reconciliation (store.Store implements both).
type PipelineStore interface {
	delivery.Store
	Store
	InboxStore
	ConfirmationStore
	OutboundStore
}

// PipelineOptions configure the sending pipeline of one process.
type PipelineOptions struct {
	Store    PipelineStore
	Planner  models.Planner
	Channels *channels.Set
	// Redis is the queue's Redis; RedisClient the same Redis for the
	// shared send rates.
	Redis       asynq.RedisConnOpt
	RedisClient *redis.Client
	// PerSecond is each channel's send rate (zero or missing: unlimited).
	PerSecond map[models.Channel]float64
	// Concurrency is how many send tasks this process runs at once
	// (CANDOR_WORKER_CONCURRENCY; zero: one): a round of a paced channel
	// is small enough for all of them to finish theirs in time
	// (RoundSizes).
	Concurrency int
	Links       delivery.Links
	// Confirm builds double opt-in confirmation links (NewConfirmLinks);
	// nil sends no confirmations. Planner must then also be a
	// models.ConfirmationChecker (campaigns.Planner is).
	Confirm ConfirmLinks
	// Worker names this process in leases and delivery events.
	Worker string
	// Lease is how long a claim holds its deliveries; a task is given up
	// before it (TaskTimeout is four fifths of it), so a stuck task never
	// outlives its claim. Zero: 5 minutes.
	Lease time.Duration
	// Tick is the scheduler's dispatch interval (zero: its default).
	Tick time.Duration
	// Metrics, when set, receives the send path's Prometheus series
	// (candor_send_outcomes_total, candor_send_duration_seconds).
	Metrics prometheus.Registerer
	Logger  *slog.Logger
	// Outbound configures the outbound webhook loop; its Store, Worker,
	// Metrics and Logger are filled in from these options, and a zero
	// Lease becomes Lease, at most a minute.
	Outbound OutboundOptions
}

// Pipeline is the sending side of one worker process: the channels, the
// send engine the send task calls, and the periodic dispatch and
// reconciliation. cmd/candor and the end-to-end tests build it alike.
type Pipeline struct {
	Channels  *channels.Set
	Engine    *delivery.Engine
	Enqueuer  *Enqueuer
	Scheduler *Scheduler
	Inbox     *Inbox    // applies inbound CRM webhooks (worker/inbox.go)
	Outbound  *Outbound // delivers the outbox to webhook endpoints (worker/outbound.go)
}

// DefaultLease is the claim lease when none is configured.
const DefaultLease = 5 * time.Minute

// NewPipeline wires the engine and the scheduler to o's store, channels
// and Redis. Nothing connects until used. It fails only when o.Metrics
// refuses the send series.
func NewPipeline(o PipelineOptions) (*Pipeline, error) {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	m := Messenger{o.Channels}
	metrics, err := newSendMetrics(o.Metrics)
	if err != nil {
		return nil, err
	}
	var observe func(models.Channel, models.DeliveryStatus, time.Duration)
	var lateness func(models.Channel, time.Duration)
	if metrics != nil {
		observe, lateness = metrics.observe, metrics.observeLateness
	}
	engine := delivery.New(delivery.Options{
		Store: o.Store, Planner: o.Planner, Messenger: m, Parallel: RoundSize(o.PerSecond, o.Concurrency, taskTimeout(o.Lease)), Rounds: RoundSizes(o.PerSecond, o.Concurrency, taskTimeout(o.Lease)),
		Limiter: NewLimiter(o.RedisClient, o.PerSecond), Links: o.Links,
		Worker: o.Worker, Lease: o.Lease, Observe: observe, ObserveLateness: lateness, Logger: o.Logger.With("component", "delivery"),
	})
	enq := NewEnqueuer(o.Redis, taskTimeout(o.Lease))
	sched := NewScheduler(SchedulerOptions{Store: o.Store, Redis: o.Redis, Enqueuer: enq, Worker: o.Worker,
		Idempotent: m.Idempotent, Tick: o.Tick, StaleAfter: min(o.Lease, 2*time.Minute),
		Confirmations: newPipelineConfirmer(o, m), Logger: o.Logger.With("component", "scheduler")})
	inbox := NewInbox(InboxOptions{Store: o.Store, Worker: o.Worker, Lease: min(o.Lease, 30*time.Second),
		Logger: o.Logger.With("component", "inbox"), Metrics: o.Metrics})
	ob := o.Outbound
	ob.Store, ob.Worker, ob.Metrics, ob.Logger = o.Store, o.Worker, o.Metrics, o.Logger.With("component", "outbound")
	if ob.Lease <= 0 {
		// Like the inbox: a dead holder's work moves on within the
		// claim lease (CANDOR_WORKER_LEASE), at most a minute.
		ob.Lease = min(o.Lease, time.Minute)
	}
	outbound, err := NewOutbound(ob)
	if err != nil {
		return nil, err
	}
	return &Pipeline{Channels: o.Channels, Engine: engine, Enqueuer: enq, Scheduler: sched, Inbox: inbox, Outbound: outbound}, nil
}

// newPipelineConfirmer returns the confirmation sender of o, or nil (an
// untyped nil interface) when o sends no confirmations.
func newPipelineConfirmer(o PipelineOptions, m Messenger) interface{ Run(context.Context) error } {
	checker, ok := o.Planner.(models.ConfirmationChecker)
	if o.Confirm == nil || !ok {
		return nil
	}
	return NewConfirmer(ConfirmerOptions{Store: o.Store, Checker: checker, Messenger: m,
		Limiter: NewLimiter(o.RedisClient, o.PerSecond), Links: o.Links, Confirm: o.Confirm, Worker: o.Worker,
		Lease: o.Lease, Logger: o.Logger.With("component", "confirmations")})
}

// RoundSizes is, per channel, how many deliveries of a send task handed
// on for that channel the engine claims (and sends) at once: about one
// second of the channel's rate, so a pause, a cancel or a changed wish
// takes effect within about a round and a claim's check is never much
// older (docs/benchmarks.md, "Sending (issue 10)"); at most a whole task
// (defaultBatchSize), one claim and one outcome transaction. Each channel
// has its own: with one size for all, the default sms rate of 10/s made
// every webhook and email task claim ten deliveries at a time
// (docs/benchmarks.md, "Session 10"). A round must also end well inside
// its task's timeout even when all concurrency tasks of the process wait
// on the one rate (shared through Redis with every other process): a
// round that cannot finish before the timeout is retried for ever (the
// chaos test's 100/s with 4 tasks and a 4 s timeout did), so concurrency
// rounds take at most a quarter of timeout at the rate.
func RoundSizes(perSecond map[models.Channel]float64, concurrency int, timeout time.Duration) map[models.Channel]int {
	out := make(map[models.Channel]int, len(models.Channels))
	for _, ch := range models.Channels {
		out[ch] = roundSize(perSecond[ch], concurrency, timeout)
	}
	return out
}

// RoundSize is the round of a task whose channel is not known (one
// handed on before tasks named their channel): the slowest channel's.
func RoundSize(perSecond map[models.Channel]float64, concurrency int, timeout time.Duration) int {
	n := defaultBatchSize
	for _, r := range perSecond {
		n = min(n, roundSize(r, concurrency, timeout))
	}
	return n
}

// roundSize is one second of rate r (messages per second; zero or less is
// not paced), at most what concurrency tasks send at r in a quarter of
// timeout, between 1 and defaultBatchSize.
func roundSize(r float64, concurrency int, timeout time.Duration) int {
	if r <= 0 {
		return defaultBatchSize
	}
	n := math.Ceil(r)
	if timeout > 0 {
		n = min(n, math.Floor(r*timeout.Seconds()/(4*float64(max(1, concurrency)))))
	}
	return min(defaultBatchSize, max(1, int(n)))
}

// taskTimeout bounds one send task's run: four fifths of the lease, so a
// stuck task is given up before its deliveries are taken back.
func taskTimeout(lease time.Duration) time.Duration { return lease * 4 / 5 }

// Close closes the channels and the queue clients.
func (p *Pipeline) Close() error {
	return errors.Join(p.Scheduler.Close(), p.Enqueuer.Close(), p.Channels.Close())
}

// CustomerLinks builds a customer's signed one-click unsubscribe and
// preference center URLs under base (CANDOR_PUBLIC_URL).
func CustomerLinks(keys *secrets.Keys, base string) delivery.Links {
	base = strings.TrimRight(base, "/")
	return func(c *models.Customer) (string, string) {
		return base + "/u/" + keys.CustomerToken(secrets.PurposeUnsubscribe, c.ID, c.TokenEpoch),
			base + "/p/" + keys.CustomerToken(secrets.PurposePreferences, c.ID, c.TokenEpoch)
	}
}

// Messenger adapts the channels to the engine's delivery.Messenger: it
// sends each message on its own channel's transport and presents the
// channels' errors as delivery.Failure.
type Messenger struct{ Set *channels.Set }

// Send sends msg through the transport of its channel.
func (m Messenger) Send(ctx context.Context, msg *delivery.Message) (string, error) {
	res, err := m.Set.Send(ctx, &channels.Message{DeliveryID: msg.DeliveryID, Channel: msg.Channel, To: msg.To,
		Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, Locale: msg.Locale, UnsubscribeURL: msg.UnsubscribeURL,
		PreferencesURL: msg.PreferencesURL, CampaignID: msg.CampaignID, ContentID: msg.ContentID, ContentVersion: msg.ContentVersion})
	var se *channels.SendError
	if errors.As(err, &se) {
		return "", failure{se}
	}
	return res.ProviderID, err
}

// Idempotent reports whether ch's transport de-duplicates a re-send.
func (m Messenger) Idempotent(ch models.Channel) bool {
	s, ok := m.Set.Sender(ch)
	return ok && s.Idempotent()
}

// failure presents a channels.SendError as the engine's delivery.Failure.
type failure struct{ e *channels.SendError }

func (f failure) Error() string             { return f.e.Error() }
func (f failure) Unwrap() error             { return f.e }
func (f failure) Permanent() bool           { return f.e.Permanent }
func (f failure) MaybeSent() bool           { return f.e.MaybeSent }
func (f failure) RetryAfter() time.Duration { return f.e.RetryAfter }
