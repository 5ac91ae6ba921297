package channels

import (
	"context"
	"strconv"
	"time"

	"github.com/candor/candor/models"
)

// DefaultOutboxFrom is the sender of outbox email when no email settings
// name one.
const DefaultOutboxFrom = "Candor <candor@localhost>"

// OutboxMessage is one message stored by the outbox transport, as its
// channel would have sent it.
type OutboxMessage struct {
	DeliveryID int64
	CampaignID int64
	// CustomerExternalID holds Message.To: the email address, phone number
	// or external id the channel addresses. It is PII.
	CustomerExternalID string
	Channel            models.Channel
	Subject            string
	Text               string
	HTML               string
	// Headers are the transport headers that matter to a reader: for
	// email Message-ID and List-Unsubscribe(-Post), for sms the
	// idempotency token, for webhook the webhook-id.
	Headers map[string]string
	// Raw is the exact payload: the RFC 5322 message (ComposeEmail), the
	// webhook JSON body (WebhookBody), or the SMS text.
	Raw       []byte
	CreatedAt time.Time
}

// OutboxStore keeps outbox messages. Storage holds one message per
// delivery id: adding one that exists again must succeed without a change.
type OutboxStore interface {
	AddOutboxMessage(ctx context.Context, m *OutboxMessage) error
}

// Outbox is the transport for development and tests: it stores each message
// instead of sending it, and keeps the message's channel.
type Outbox struct {
	store OutboxStore
	from  string
	now   func() time.Time
}

// NewOutbox returns an Outbox writing to store. from is the sender of email
// ("" means DefaultOutboxFrom); now is the clock (nil means time.Now).
func NewOutbox(store OutboxStore, from string, now func() time.Time) *Outbox {
	if from == "" {
		from = DefaultOutboxFrom
	}
	if now == nil {
		now = time.Now
	}
	return &Outbox{store: store, from: from, now: now}
}

// Send renders m as m.Channel would and stores it. ProviderID is
// "outbox:<delivery id>". Errors are *SendError: permanent when the message
// cannot be rendered for its channel (see ComposeEmail), transient when the
// store fails.
func (o *Outbox) Send(ctx context.Context, m *Message) (Result, error) {
	now := o.now()
	key := deliveryKey(m)
	om := &OutboxMessage{
		DeliveryID: m.DeliveryID, CampaignID: m.CampaignID, CustomerExternalID: m.To,
		Channel: m.Channel, Subject: m.Subject, Text: m.Text, HTML: m.HTML, CreatedAt: now,
	}
	switch m.Channel {
	case models.ChannelEmail:
		raw, err := ComposeEmail(o.from, m, now)
		if err != nil {
			return Result{}, err
		}
		id, _ := EmailMessageID(o.from, m.DeliveryID)
		unsubscribe, oneClick, _ := unsubscribeHeader(m.UnsubscribeURL)
		om.Raw = raw
		om.Headers = map[string]string{"Message-ID": "<" + id + ">", "List-Unsubscribe": unsubscribe}
		if oneClick {
			om.Headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
		}
	case models.ChannelSMS:
		if m.To == "" || m.Text == "" {
			return Result{}, permanent(m.Channel, "invalid address or empty body", nil)
		}
		om.Raw = []byte(m.Text)
		om.Headers = map[string]string{"I-Twilio-Idempotency-Token": key}
	case models.ChannelWebhook:
		if m.To == "" {
			return Result{}, permanent(m.Channel, "invalid address: empty external id", nil)
		}
		body, err := WebhookBody(m)
		if err != nil {
			return Result{}, permanent(m.Channel, "encoding body", nil)
		}
		om.Raw = body
		om.Headers = map[string]string{"webhook-id": key, "Content-Type": "application/json"}
	default:
		return Result{}, permanent(m.Channel, "unknown channel", nil)
	}
	if err := o.store.AddOutboxMessage(ctx, om); err != nil {
		e := transient(m.Channel, "outbox store failed", err)
		if ctx.Err() != nil {
			e.Reason = "outbox store cancelled"
		}
		return Result{}, e
	}
	return Result{ProviderID: "outbox:" + strconv.FormatInt(m.DeliveryID, 10)}, nil
}

// Idempotent reports true: the store keeps one message per delivery id.
func (o *Outbox) Idempotent() bool { return true }

// Close does nothing and returns nil; the store belongs to the caller.
func (o *Outbox) Close() error { return nil }
