package worker

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/candor/candor/campaigns/delivery"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/web"
)

// ConfirmationStore is what sending double opt-in confirmations needs
// from storage (store.Store implements it).
type ConfirmationStore interface {
	ExpireConfirmations(ctx context.Context, limit int) (int, error)
	ClaimConfirmations(ctx context.Context, limit int, worker string, lease time.Duration,
		checker models.ConfirmationChecker) ([]*models.ClaimedConfirmation, error)
	RecordConfirmations(ctx context.Context, outcomes []models.ConfirmationOutcome) error
}

// ConfirmLinks returns the link a confirmation message carries: the
// customer's preference center, the topic and a code signed for the
// pending consent's ledger seq.
type ConfirmLinks func(c *models.Customer, topic string, seq int64) string

// NewConfirmLinks builds confirmation links under base (CANDOR_PUBLIC_URL).
func NewConfirmLinks(keys *secrets.Keys, base string) ConfirmLinks {
	prefs := CustomerLinks(keys, base)
	return func(c *models.Customer, topic string, seq int64) string {
		_, p := prefs(c)
		return p + "/confirm/" + url.PathEscape(topic) + "?code=" + keys.ConfirmationCode(c.ID, topic, seq)
	}
}

// ConfirmerOptions configure a Confirmer.
type ConfirmerOptions struct {
	Store     ConfirmationStore
	Checker   models.ConfirmationChecker
	Messenger delivery.Messenger
	Limiter   delivery.Limiter // nil: no pacing
	Links     delivery.Links
	Confirm   ConfirmLinks
	Worker    string
	// Lease is how long a claim holds a confirmation; SendTimeout bounds
	// one send (zero: 10 s, so a round stays well inside the scheduler's
	// lease).
	Lease, SendTimeout time.Duration
	Logger             *slog.Logger
}

// Confirmer sends double opt-in confirmations: the scheduler runs it on
// each tick in the one process holding the scheduler lease. Confirmations
// are few (one per opt-in of a double opt-in topic), so a round sends at
// most confirmationRound of them, in parallel, each bounded by its send
// timeout.
type Confirmer struct{ o ConfirmerOptions }

// confirmationRound bounds the confirmations one tick claims.
const confirmationRound = 20

// confirmationAttempts is how many transient failures a confirmation
// survives before it fails.
const confirmationAttempts = 5

// NewConfirmer returns a confirmer; zero options get defaults.
func NewConfirmer(o ConfirmerOptions) *Confirmer {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Confirmer{o: o}
}

// Run lets lapsed confirmations expire, then claims the due ones, sends
// them and records their outcomes. It returns the store's errors.
func (c *Confirmer) Run(ctx context.Context) error {
	if _, err := c.o.Store.ExpireConfirmations(ctx, confirmationRound); err != nil {
		return err
	}
	claimed, err := c.o.Store.ClaimConfirmations(ctx, confirmationRound, c.o.Worker, c.o.Lease, c.o.Checker)
	if err != nil || len(claimed) == 0 {
		return err
	}
	outcomes := make([]models.ConfirmationOutcome, len(claimed))
	var wg sync.WaitGroup
	for i, cc := range claimed {
		wg.Go(func() { outcomes[i] = c.send(ctx, cc) })
	}
	wg.Wait()
	// A send that happened must be recorded even when the tick is ending.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.Lease)
	defer cancel()
	return c.o.Store.RecordConfirmations(rctx, outcomes)
}

// send renders and sends one claimed confirmation.
func (c *Confirmer) send(ctx context.Context, cc *models.ClaimedConfirmation) models.ConfirmationOutcome {
	conf := cc.Confirmation
	out := models.ConfirmationOutcome{ID: conf.ID}
	if c.o.Limiter != nil {
		if err := c.o.Limiter.Wait(ctx, cc.Decision.Channel); err != nil {
			out.Status, out.RetryAt = models.ConfirmationPlanned, time.Now().Add(time.Second)
			return out
		}
	}
	sctx, cancel := context.WithTimeout(ctx, c.o.SendTimeout)
	defer cancel()
	provider, err := c.o.Messenger.Send(sctx, c.message(cc))
	var f delivery.Failure
	isFailure := errors.As(err, &f)
	switch {
	case err == nil:
		out.Status, out.ProviderID = models.ConfirmationSent, provider
		return out
	case isFailure && f.Permanent():
		out.Status, out.Reason = models.ConfirmationFailed, models.ReasonRejected
	case isFailure && f.MaybeSent() && !c.o.Messenger.Idempotent(cc.Decision.Channel):
		out.Status = models.ConfirmationUnknown
	case conf.Attempts >= confirmationAttempts:
		out.Status, out.Reason = models.ConfirmationFailed, models.ReasonRetriesExhausted
	default:
		delay := time.Duration(1<<min(conf.Attempts, 8)) * time.Second
		if isFailure {
			delay = max(delay, f.RetryAfter())
		}
		out.Status, out.RetryAt = models.ConfirmationPlanned, time.Now().Add(delay)
	}
	// The error text never holds the address or the body.
	c.o.Logger.Warn("confirmation send failed", "confirmation_id", conf.ID, "channel", string(cc.Decision.Channel),
		"outcome", string(out.Status), "error", err.Error())
	return out
}

// message renders a confirmation for its channel, in the customer's
// language (web.ConfirmationMessage: the catalogue of the page its link
// opens).
func (c *Confirmer) message(cc *models.ClaimedConfirmation) *delivery.Message {
	conf := cc.Confirmation
	link := c.o.Confirm(cc.Customer, cc.Topic.Key, conf.ConsentSeq)
	unsub, prefs := c.o.Links(cc.Customer)
	m := web.ConfirmationMessage(cc.Customer.Locale, cc.Topic, link, conf.ExpiresAt, cc.Decision.Channel == models.ChannelSMS)
	return &delivery.Message{DeliveryID: conf.MessageID(), Channel: cc.Decision.Channel, To: cc.Decision.Address,
		Subject: m.Subject, Text: m.Text, Locale: m.Language,
		UnsubscribeURL: unsub, PreferencesURL: prefs}
}
