package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/channels"
	"github.com/candor/candor/configs"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
	"github.com/candor/candor/worker"
)

// newSending builds the channels from the config (in embedded mode every
// channel without settings of its own writes to the outbox) and the
// sending pipeline (engine, dispatch and reconciliation) on them.
func (a *app) newSending(opt asynq.RedisConnOpt) (*worker.Pipeline, error) {
	set, err := channels.New(channelOptions(a.cfg), outboxStore{a.store}, a.cfg.Embedded())
	if err != nil {
		return nil, &configError{lines: strings.Split(err.Error(), "\n")}
	}
	perSecond := map[models.Channel]float64{}
	for _, ch := range models.Channels {
		perSecond[ch] = float64(a.cfg.Rate(ch))
	}
	p, err := worker.NewPipeline(worker.PipelineOptions{
		Store: a.store, Planner: campaigns.NewPlanner(planSettings(a.cfg)), Channels: set,
		Redis: opt, RedisClient: a.redis, PerSecond: perSecond, Concurrency: a.cfg.WorkerConcurrency, Links: worker.CustomerLinks(a.keys, a.linkBase()),
		Confirm: worker.NewConfirmLinks(a.keys, a.linkBase()), Worker: workerName(), Lease: a.cfg.WorkerLease, Metrics: a.metrics, Logger: a.log,
		Outbound: worker.OutboundOptions{AllowPrivate: a.cfg.WebhookAllowPrivate,
			Disable: models.DisablePolicy{Failures: a.cfg.WebhookDisableAfter, After: 24 * time.Hour}},
	})
	if err != nil {
		_ = set.Close()
		return nil, err
	}
	for _, ch := range models.Channels {
		a.log.Info("channel transport", "channel", string(ch), "transport", string(set.Transport(ch)))
	}
	return p, nil
}

// workerName names this process in leases and delivery events.
func workerName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
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

// outboxStore adapts the store to the channels' outbox.
type outboxStore struct{ s *store.Store }

func (o outboxStore) AddOutboxMessage(ctx context.Context, m *channels.OutboxMessage) error {
	return o.s.AddOutboxMessage(ctx, &models.OutboxMessage{DeliveryID: m.DeliveryID, CampaignID: m.CampaignID,
		Channel: m.Channel, Recipient: m.CustomerExternalID, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		Headers: m.Headers, Raw: string(m.Raw)})
}
