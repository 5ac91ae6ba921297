package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/candor/candor/models"
)

// ApplyStore is what applying inbox events needs: the same customer and
// consent services the REST API calls, so every validation and trust rule
// (suppression, the hash-chained ledger, the outbox events) applies to
// webhook events too, and the ordering watermarks.
type ApplyStore interface {
	Customer(ctx context.Context, externalID string) (*models.Customer, error)
	PutCustomer(ctx context.Context, in *models.CustomerInput) (*models.Customer, bool, error)
	EraseCustomer(ctx context.Context, externalID string) error
	SetConsent(ctx context.Context, externalID, topic string, in *models.ConsentInput) (*models.Consent, bool, error)
	InboxWatermark(ctx context.Context, key string) (time.Time, bool, error)
	AdvanceInboxWatermark(ctx context.Context, key string, at time.Time) error
	FeedbackStore
}

// Applier applies inbox events one at a time. Events that share an
// ordering key (see orderingKey) must not be applied concurrently: the
// worker applies each customer's events in one goroutine.
type Applier struct{ Store ApplyStore }

// Apply applies one pending event and says what became of it: applied,
// superseded (older than data already applied under its ordering key),
// failed with the precise reason (the event can never apply), or pending
// again with the reason (a transient error: the database is unreachable,
// say). Applying an event twice changes nothing the second time, so an
// event applied before a crash and applied again after it is applied once.
func (a Applier) Apply(ctx context.Context, ev *models.InboxEvent) models.InboxOutcome {
	out := models.InboxOutcome{ID: ev.ID}
	var env models.InboundEvent
	if len(ev.Payload) == 0 {
		out.Status, out.Error = models.InboxFailed, "The payload was erased with its customer before it was applied."
		return out
	}
	if err := json.Unmarshal(ev.Payload, &env); err != nil {
		out.Status, out.Error = models.InboxFailed, "event: "+err.Error()
		return out
	}
	key, err := orderingKey(&env)
	if err == nil && key != "" {
		err = a.ordered(ctx, key, env.OccurredAt)
	}
	if err == nil {
		err = a.apply(ctx, &env)
	}
	if err == nil && key != "" {
		err = a.Store.AdvanceInboxWatermark(ctx, key, env.OccurredAt)
	}
	return outcome(out, err)
}

// errSuperseded reports an event older than what was applied.
var errSuperseded = errors.New("webhooks: superseded")

// errNothing marks an event that applied as a no-op worth saying so.
type errNothing struct{ why string }

func (e errNothing) Error() string { return e.why }

func outcome(out models.InboxOutcome, err error) models.InboxOutcome {
	var nothing errNothing
	switch code := models.ErrorCode(err); {
	case err == nil:
		out.Status = models.InboxApplied
	case errors.Is(err, errSuperseded):
		out.Status, out.Error = models.InboxSuperseded, "Newer data of the same customer was applied already (last writer wins by occurred_at)."
	case errors.As(err, &nothing):
		out.Status, out.Error = models.InboxApplied, nothing.why
	case code == models.EINVALID || code == models.EMALFORMED || code == models.ENOTFOUND ||
		code == models.ECONFLICT || code == models.EFORBIDDEN:
		out.Status, out.Error = models.InboxFailed, describe(err)
	default:
		// Never the internal details: they may quote data.
		out.Status, out.Error = models.InboxPending, "Temporary failure ("+code+"); the event will be tried again."
	}
	return out
}

// describe is the client-safe message of a coded error with its fields.
func describe(err error) string {
	msg := models.ErrorMessage(err)
	for _, f := range models.ErrorFields(err) {
		msg += fmt.Sprintf(" %s: %s (%s);", f.Field, f.Detail, f.Rule)
	}
	return strings.TrimSuffix(msg, ";")
}

// orderingKey names what an event writes, for last-writer-wins ordering:
// the customer (profile and preferences, erasure included) or one consent
// (customer and topic). Channel feedback only ever takes consent or an
// address away, so it is not ordered.
func orderingKey(env *models.InboundEvent) (string, error) {
	var d struct {
		ExternalID string `json:"external_id"`
		Topic      string `json:"topic"`
	}
	if err := json.Unmarshal(env.Data, &d); err != nil {
		return "", models.Errorf(models.EINVALID, "/data: %v", err)
	}
	switch env.Type {
	case models.InboundCustomerUpserted, models.InboundCustomerDeleted, models.InboundPreferencesUpdated:
		return "customer:" + d.ExternalID, nil
	case models.InboundConsentUpdated:
		return "consent:" + d.ExternalID + ":" + d.Topic, nil
	}
	return "", nil
}

// ordered returns errSuperseded when key saw a newer event than at. An
// event of the same instant applies: the later arrival wins.
func (a Applier) ordered(ctx context.Context, key string, at time.Time) error {
	mark, ok, err := a.Store.InboxWatermark(ctx, key)
	if err != nil {
		return err
	}
	if ok && at.Before(mark) {
		return errSuperseded
	}
	return nil
}

// decodeData decodes an event's data strictly: an unknown field is an
// error naming it, so a CRM learns of a typo instead of losing the value.
func decodeData(raw json.RawMessage, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return models.Errorf(models.EINVALID, "/data: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}
