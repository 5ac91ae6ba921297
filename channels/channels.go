// Package channels holds the transports that carry a rendered message to a
// customer: email over SMTP, sms through a Twilio-compatible HTTP API, the
// webhook channel (a signed JSON POST to the CRM), and the outbox, a
// transport for development and tests that stores the message as its channel
// would have sent it.
//
// Every transport implements Sender. A Set maps each models.Channel to its
// Sender: a channel with settings of its own gets its real transport, and in
// embedded mode a channel without settings writes to the outbox while the
// delivery keeps the customer's channel. Explicit channel settings always
// win, and no channel ever falls back to another channel.
//
// Errors are *SendError values whose text is safe to log: it never holds an
// address, a message body, a URL or a secret.
//
// The package imports models and its transport libraries only: no storage,
// HTTP router or queue.
package channels

import (
	"context"
	"strconv"

	"github.com/candor/candor/models"
)

// Message is one rendered message ready for its channel.
type Message struct {
	// DeliveryID is the idempotency key everywhere: the SMS provider's
	// idempotency header, the webhook-id and the email Message-ID.
	DeliveryID int64
	Channel    models.Channel
	// To is the email address, the E.164 phone number or, for the webhook
	// channel, the customer's external id. It is PII: never log it.
	To      string
	Subject string
	Text    string
	// HTML is the HTML alternative of an email; empty means text only.
	HTML   string
	Locale string
	// UnsubscribeURL is the https URL of /u/{token}, carried in the RFC
	// 8058 List-Unsubscribe headers of an email and in the webhook body.
	UnsubscribeURL string
	PreferencesURL string
	CampaignID     int64
	ContentID      int64
	ContentVersion int
}

// Result is the outcome of a successful send.
type Result struct {
	// ProviderID is the provider's id of the message: the SMS provider's
	// sid, the id a webhook receiver answered with (else the delivery id),
	// or for email the Message-ID Candor set.
	ProviderID string
}

// Sender carries messages over one transport. Implementations are safe for
// concurrent use.
type Sender interface {
	// Send delivers m. On failure it returns a *SendError that says
	// whether a retry may succeed (see IsPermanent, RetryAfter and
	// MaybeSent).
	Send(ctx context.Context, m *Message) (Result, error)
	// Idempotent reports whether re-sending the same DeliveryID after a
	// crash is safe because the receiver de-duplicates by that key: sms,
	// webhook and outbox yes, SMTP no.
	Idempotent() bool
	// Close releases connections; Send must not be called afterwards.
	Close() error
}

// deliveryKey is the decimal delivery id used as idempotency key.
func deliveryKey(m *Message) string { return strconv.FormatInt(m.DeliveryID, 10) }
