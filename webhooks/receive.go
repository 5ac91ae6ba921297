// Package webhooks verifies and applies the CRM webhooks Candor receives
// (Standard Webhooks, https://www.standardwebhooks.com). It holds no
// framework: the HTTP layer hands it the headers and body, storage is
// reached through the interfaces declared in models.
package webhooks

import (
	"context"
	"errors"
	"net/http"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/models"
)

// SourceStore is what receiving needs from storage.
type SourceStore interface {
	WebhookSourceSecrets(ctx context.Context, id int64) ([]string, error)
	AddInboxEvents(ctx context.Context, sourceID int64, webhookID string, events []models.ParsedEvent) (*models.InboundResult, error)
}

// Receiver implements models.InboundService: it verifies a request with
// the Standard Webhooks reference library (±5 minutes of timestamp
// tolerance, several signatures, constant-time comparison) against every
// secret of the source that verifies now, then writes its events to the
// inbox before the caller answers.
type Receiver struct{ Store SourceStore }

var _ models.InboundService = Receiver{}

// Receive implements models.InboundService.
func (r Receiver) Receive(ctx context.Context, sourceID int64, msg *models.InboundMessage) (*models.InboundResult, error) {
	if err := checkWebhookID(msg.ID); err != nil {
		return nil, err
	}
	keys, err := r.Store.WebhookSourceSecrets(ctx, sourceID)
	if models.ErrorCode(err) == models.ENOTFOUND {
		return nil, models.Errorf(models.EUNAUTHORIZED, "No webhook source has id %d.", sourceID)
	} else if err != nil {
		return nil, err
	}
	if err := verify(keys, msg); err != nil {
		return nil, err
	}
	events, err := models.ParseInboundBody(msg.Body)
	if err != nil {
		return nil, err
	}
	return r.Store.AddInboxEvents(ctx, sourceID, msg.ID, events)
}

// checkWebhookID accepts 1 to MaxWebhookIDLength printable ASCII
// characters (a missing header is left to verify, which names it).
func checkWebhookID(id string) error {
	if len(id) > models.MaxWebhookIDLength {
		return models.Errorf(models.EUNAUTHORIZED, "The webhook-id header is longer than %d characters.", models.MaxWebhookIDLength)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return models.Errorf(models.EUNAUTHORIZED, "The webhook-id header must be printable ASCII without spaces.")
		}
	}
	return nil
}

// verify checks msg against each secret in turn: any one verifying is
// enough (rotation overlap). The reason of the failure is returned as
// EUNAUTHORIZED; it names no secret and no expected signature.
func verify(secrets []string, msg *models.InboundMessage) error {
	h := http.Header{}
	h.Set(standardwebhooks.HeaderWebhookID, msg.ID)
	h.Set(standardwebhooks.HeaderWebhookTimestamp, msg.Timestamp)
	h.Set(standardwebhooks.HeaderWebhookSignature, msg.Signature)
	var last error
	for _, secret := range secrets {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			return err // a secret Candor made itself: an internal error
		}
		if last = wh.Verify(msg.Body, h); last == nil {
			return nil
		}
		if !errors.Is(last, standardwebhooks.ErrNoMatchingSignature) {
			break // the headers are at fault, whatever the secret
		}
	}
	return models.Errorf(models.EUNAUTHORIZED, "%s", reason(last))
}

// reason explains a verification failure to the sender.
func reason(err error) string {
	switch {
	case errors.Is(err, standardwebhooks.ErrRequiredHeaders):
		return "The webhook-id, webhook-timestamp and webhook-signature headers are all required."
	case errors.Is(err, standardwebhooks.ErrInvalidHeaders):
		return "The webhook-timestamp header must be a Unix time in seconds."
	case errors.Is(err, standardwebhooks.ErrMessageTooOld):
		return "The webhook-timestamp is more than 5 minutes in the past: the request is stale or replayed."
	case errors.Is(err, standardwebhooks.ErrMessageTooNew):
		return "The webhook-timestamp is more than 5 minutes in the future: check the sender's clock."
	}
	return `No signature in webhook-signature matches the source's secret ("v1,<base64 HMAC-SHA256 of id.timestamp.body>").`
}
