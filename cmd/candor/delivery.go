package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/delivery"
	"github.com/candor/candor/channels"
	"github.com/candor/candor/configs"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
	"github.com/candor/candor/worker"
)

// sending is the delivery worker's wiring: the channels, the send engine
// and the periodic dispatch and reconciliation.
type sending struct {
	set       *channels.Set
	engine    *delivery.Engine
	enqueuer  *worker.Enqueuer
	scheduler *worker.Scheduler
}

// taskTimeout bounds one send task; the claim lease is longer, so a stuck
// task is given up before the reconciler takes its deliveries back.
const (
	taskTimeout = 4 * time.Minute
	claimLease  = 5 * time.Minute
)

// newSending builds the channels from the config (in embedded mode every
// channel without settings of its own writes to the outbox), the engine
// and the scheduler.
func (a *app) newSending(opt asynq.RedisConnOpt) (*sending, error) {
	set, err := channels.New(channelOptions(a.cfg), outboxStore{a.store}, a.cfg.Embedded())
	if err != nil {
		return nil, &configError{lines: strings.Split(err.Error(), "\n")}
	}
	name := workerName()
	perSecond := map[models.Channel]float64{}
	for _, ch := range models.Channels {
		perSecond[ch] = float64(a.cfg.Rate(ch))
	}
	m := messenger{set}
	engine := delivery.New(delivery.Options{
		Store: a.store, Planner: campaigns.NewPlanner(planSettings(a.cfg)), Messenger: m,
		Limiter: worker.NewLimiter(a.redis, perSecond), Links: links(a.keys, a.cfg.PublicURL),
		Worker: name, Lease: claimLease, Logger: a.log.With("component", "delivery"),
	})
	enq := worker.NewEnqueuer(opt, taskTimeout)
	sched := worker.NewScheduler(worker.SchedulerOptions{Store: a.store, Redis: opt, Enqueuer: enq, Worker: name,
		Idempotent: m.Idempotent, Logger: a.log.With("component", "scheduler")})
	for _, ch := range models.Channels {
		a.log.Info("channel transport", "channel", string(ch), "transport", string(set.Transport(ch)))
	}
	return &sending{set: set, engine: engine, enqueuer: enq, scheduler: sched}, nil
}

// Close closes the channels and the queue clients.
func (s *sending) Close() error {
	return errors.Join(s.scheduler.Close(), s.enqueuer.Close(), s.set.Close())
}

// workerName names this process in leases and delivery events.
func workerName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// links builds a customer's signed one-click unsubscribe and preference
// center URLs.
func links(keys *secrets.Keys, base string) delivery.Links {
	base = strings.TrimRight(base, "/")
	return func(id int64) (string, string) {
		return base + "/u/" + keys.CustomerToken(secrets.PurposeUnsubscribe, id),
			base + "/p/" + keys.CustomerToken(secrets.PurposePreferences, id)
	}
}

// channelOptions turns the config into the channels' settings; a channel
// without settings of its own gets none.
func channelOptions(cfg *configs.Config) channels.Options {
	var o channels.Options
	if cfg.SMTP.Host != "" {
		o.Email = &channels.EmailOptions{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username,
			Password: cfg.SMTP.Password, From: cfg.SMTP.From, TLS: channels.TLSMode(cfg.SMTP.TLS)}
	}
	if cfg.SMS.URL != "" {
		o.SMS = &channels.SMSOptions{BaseURL: cfg.SMS.URL, AccountSID: cfg.SMS.AccountSID, AuthToken: cfg.SMS.Token, From: cfg.SMS.From}
	}
	if cfg.WebhookChannelURL != "" {
		o.Webhook = &channels.WebhookOptions{URL: cfg.WebhookChannelURL, Secret: cfg.WebhookChannelSecret,
			AllowPrivate: cfg.WebhookAllowPrivate}
	}
	return o
}

// messenger adapts the channels to the engine's Messenger.
type messenger struct{ set *channels.Set }

func (m messenger) Send(ctx context.Context, msg *delivery.Message) (string, error) {
	res, err := m.set.Send(ctx, &channels.Message{DeliveryID: msg.DeliveryID, Channel: msg.Channel, To: msg.To,
		Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, Locale: msg.Locale, UnsubscribeURL: msg.UnsubscribeURL,
		PreferencesURL: msg.PreferencesURL, CampaignID: msg.CampaignID, ContentID: msg.ContentID, ContentVersion: msg.ContentVersion})
	var se *channels.SendError
	if errors.As(err, &se) {
		return "", failure{se}
	}
	return res.ProviderID, err
}

func (m messenger) Idempotent(ch models.Channel) bool {
	s, ok := m.set.Sender(ch)
	return ok && s.Idempotent()
}

// failure presents a channels.SendError as the engine's delivery.Failure.
type failure struct{ e *channels.SendError }

func (f failure) Error() string             { return f.e.Error() }
func (f failure) Unwrap() error             { return f.e }
func (f failure) Permanent() bool           { return f.e.Permanent }
func (f failure) MaybeSent() bool           { return f.e.MaybeSent }
func (f failure) RetryAfter() time.Duration { return f.e.RetryAfter }

// outboxStore adapts the store to the channels' outbox.
type outboxStore struct{ s *store.Store }

func (o outboxStore) AddOutboxMessage(ctx context.Context, m *channels.OutboxMessage) error {
	return o.s.AddOutboxMessage(ctx, &models.OutboxMessage{DeliveryID: m.DeliveryID, CampaignID: m.CampaignID,
		Channel: m.Channel, Recipient: m.CustomerExternalID, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		Headers: m.Headers, Raw: string(m.Raw)})
}
