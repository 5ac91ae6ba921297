package channels_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/channels"
	"github.com/candor/candor/models"
)

// memOutbox is an OutboxStore keeping one message per delivery id.
type memOutbox struct {
	mu   sync.Mutex
	byID map[int64]*channels.OutboxMessage
	fail error
}

func (o *memOutbox) AddOutboxMessage(_ context.Context, m *channels.OutboxMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return o.fail
	}
	if o.byID == nil {
		o.byID = map[int64]*channels.OutboxMessage{}
	}
	if _, ok := o.byID[m.DeliveryID]; !ok {
		o.byID[m.DeliveryID] = m
	}
	return nil
}

func (o *memOutbox) get(id int64) *channels.OutboxMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.byID[id]
}

func TestOutboxStoresWhatTheChannelWouldSend(t *testing.T) {
	store := &memOutbox{}
	ob := channels.NewOutbox(store, "Candor <news@candor.example>", func() time.Time { return fixedNow })
	sms := smsMsg(2, "+14155550123")
	tests := []struct {
		name    string
		m       *channels.Message
		wantRaw func() []byte
		header  [2]string
	}{
		{"email is stored as the bytes SMTP would carry", emailMsg(1, "ada@example.com"), func() []byte {
			raw, _ := channels.ComposeEmail("Candor <news@candor.example>", emailMsg(1, "ada@example.com"), fixedNow)
			return raw
		}, [2]string{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}},
		{"sms is stored as its text with the idempotency token", sms, func() []byte { return []byte(sms.Text) }, [2]string{"I-Twilio-Idempotency-Token", "2"}},
		{"a webhook message is stored as the JSON body it would post", webhookMsg(3), func() []byte {
			body, _ := channels.WebhookBody(webhookMsg(3))
			return body
		}, [2]string{"webhook-id", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ob.Send(context.Background(), tt.m)
			if err != nil {
				t.Fatal(err)
			}
			got := store.get(tt.m.DeliveryID)
			if got == nil || got.Channel != tt.m.Channel || got.CustomerExternalID != tt.m.To || got.CampaignID != tt.m.CampaignID {
				t.Fatalf("stored %+v", got)
			}
			if !bytes.Equal(got.Raw, tt.wantRaw()) {
				t.Errorf("raw:\n%s\nwant:\n%s", got.Raw, tt.wantRaw())
			}
			if got.Headers[tt.header[0]] != tt.header[1] {
				t.Errorf("header %s = %q, want %q", tt.header[0], got.Headers[tt.header[0]], tt.header[1])
			}
			if res.ProviderID == "" || !got.CreatedAt.Equal(fixedNow) {
				t.Errorf("provider id %q, created %v", res.ProviderID, got.CreatedAt)
			}
		})
	}
	t.Run("a failing store is a transient error that hides the store's text", func(t *testing.T) {
		ob := channels.NewOutbox(&memOutbox{fail: errors.New("insert ada@example.com failed")}, "", nil)
		_, err := ob.Send(context.Background(), emailMsg(5, "ada@example.com"))
		if err == nil || channels.IsPermanent(err) || strings.Contains(err.Error(), "ada@") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("an email the channel would refuse is refused the same way", func(t *testing.T) {
		m := emailMsg(6, "ada@example.com")
		m.UnsubscribeURL = ""
		if _, err := ob.Send(context.Background(), m); !channels.IsPermanent(err) {
			t.Errorf("got %v, want permanent", err)
		}
	})
}

func TestSetPicksEachChannelsTransport(t *testing.T) {
	_, crm := startCRM(t, status(204, nil, ""))
	webhookOpts := &channels.WebhookOptions{URL: crm.URL, Secret: testSecret, AllowPrivate: true}
	tests := []struct {
		name     string
		opts     channels.Options
		fallback bool
		want     map[models.Channel]channels.Transport
	}{
		{"explicit settings win over the outbox in embedded mode", channels.Options{Webhook: webhookOpts}, true,
			map[models.Channel]channels.Transport{models.ChannelEmail: channels.TransportOutbox, models.ChannelSMS: channels.TransportOutbox, models.ChannelWebhook: channels.TransportWebhook}},
		{"without the fallback a channel without settings has no transport", channels.Options{Webhook: webhookOpts}, false,
			map[models.Channel]channels.Transport{models.ChannelEmail: channels.TransportNone, models.ChannelSMS: channels.TransportNone, models.ChannelWebhook: channels.TransportWebhook}},
		{"every configured channel gets its real transport", channels.Options{
			Email:   &channels.EmailOptions{Host: "127.0.0.1", From: "news@candor.example"},
			SMS:     &channels.SMSOptions{AccountSID: "AC1", AuthToken: "t", From: "+15005550006"},
			Webhook: webhookOpts}, true,
			map[models.Channel]channels.Transport{models.ChannelEmail: channels.TransportSMTP, models.ChannelSMS: channels.TransportSMSAPI, models.ChannelWebhook: channels.TransportWebhook}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &memOutbox{}
			set, err := channels.New(tt.opts, store, tt.fallback)
			if err != nil {
				t.Fatal(err)
			}
			defer set.Close()
			for ch, want := range tt.want {
				if got := set.Transport(ch); got != want {
					t.Errorf("%s: transport %q, want %q", ch, got, want)
				}
			}
		})
	}
	t.Run("a message goes through its own channel's transport and keeps its channel", func(t *testing.T) {
		store := &memOutbox{}
		set, err := channels.New(channels.Options{Webhook: webhookOpts}, store, true)
		if err != nil {
			t.Fatal(err)
		}
		defer set.Close()
		if _, err := set.Send(context.Background(), smsMsg(8, "+14155550123")); err != nil {
			t.Fatal(err)
		}
		if got := store.get(8); got == nil || got.Channel != models.ChannelSMS {
			t.Errorf("outbox holds %+v, want the sms message", got)
		}
	})
	t.Run("a channel with no transport fails permanently and names no other channel", func(t *testing.T) {
		set, err := channels.New(channels.Options{}, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = set.Send(context.Background(), emailMsg(9, "ada@example.com"))
		if !channels.IsPermanent(err) || !errors.Is(err, channels.ErrNoTransport) {
			t.Errorf("got %v, want permanent ErrNoTransport", err)
		}
	})
	t.Run("every invalid setting is reported, without secret values", func(t *testing.T) {
		_, err := channels.New(channels.Options{
			Email: &channels.EmailOptions{From: "news@candor.example", Password: "pw-secret"},
			SMS:   &channels.SMSOptions{AccountSID: "AC1", AuthToken: "tok-secret"},
		}, nil, false)
		if err == nil || !strings.Contains(err.Error(), "SMTP host") || !strings.Contains(err.Error(), "sms: from") {
			t.Errorf("got %v, want both problems", err)
		}
		if err != nil && (strings.Contains(err.Error(), "pw-secret") || strings.Contains(err.Error(), "tok-secret")) {
			t.Errorf("error %q shows a secret", err)
		}
	})
	t.Run("the outbox fallback without a store is refused", func(t *testing.T) {
		if _, err := channels.New(channels.Options{}, nil, true); err == nil {
			t.Error("accepted")
		}
	})
}
