package worker

import (
	"context"
	"errors"
	"time"

	"github.com/candor/candor/campaigns/delivery"
	"github.com/candor/candor/channels"
	"github.com/candor/candor/models"
)

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
