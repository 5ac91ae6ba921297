package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// WebhookSource is a CRM (or a channel provider) that posts signed events
// to POST /v1/inbound/{id}. Its secret is never part of it: it is shown
// once, when created or rotated, and stored sealed.
type WebhookSource struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// PreviousSecretUntil is set during a rotation: until then the
	// previous secret still verifies, so the CRM can switch at its pace.
	PreviousSecretUntil *time.Time `json:"previous_secret_until,omitempty"`
	RotatedAt           *time.Time `json:"rotated_at,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// WebhookSourceInput is the body of POST /v1/webhook-sources.
type WebhookSourceInput struct {
	Name string `json:"name"`
}

// Validate checks a source name: 1-100 characters of text. EINVALID.
func (in *WebhookSourceInput) Validate() error {
	var p Problems
	if in.Name == "" {
		p.Add("/name", "required", "is required")
	} else if checkText(&p, "/name", in.Name) && utf8.RuneCountInString(in.Name) > 100 {
		p.Add("/name", "max_length", "must be at most 100 characters")
	}
	return p.Err()
}

// Rotation overlap bounds: how long the previous secret keeps verifying.
const (
	DefaultSecretOverlap = 24 * time.Hour
	MaxSecretOverlap     = 7 * 24 * time.Hour
)

// RotateSecretInput is the body of POST /v1/webhook-sources/{id}/rotate.
type RotateSecretInput struct {
	// OverlapSeconds is how long the previous secret keeps verifying; nil
	// means DefaultSecretOverlap, 0 ends it at once (a leaked secret).
	OverlapSeconds *int64 `json:"overlap_seconds"`
}

// Overlap validates the input and returns the overlap. EINVALID.
func (in *RotateSecretInput) Overlap() (time.Duration, error) {
	if in.OverlapSeconds == nil {
		return DefaultSecretOverlap, nil
	}
	d := time.Duration(*in.OverlapSeconds) * time.Second
	if *in.OverlapSeconds < 0 || d > MaxSecretOverlap {
		var p Problems
		p.Add("/overlap_seconds", "range", "must be 0 to %d seconds (7 days), got %d", int64(MaxSecretOverlap/time.Second), *in.OverlapSeconds)
		return 0, p.Err()
	}
	return d, nil
}

// InboundMessage is one signed request to POST /v1/inbound/{source}: the
// three Standard Webhooks headers and the raw body they sign.
type InboundMessage struct {
	ID        string
	Timestamp string
	Signature string
	Body      []byte
}

// InboundEventType names an event a source may send. The values are part
// of the external contract.
type InboundEventType string

// Inbound event types (docs/webhooks.md describes each one's data).
const (
	InboundCustomerUpserted   InboundEventType = "customer.upserted"
	InboundCustomerDeleted    InboundEventType = "customer.deleted"
	InboundConsentUpdated     InboundEventType = "consent.updated"
	InboundPreferencesUpdated InboundEventType = "preferences.updated"
	InboundChannelBounced     InboundEventType = "channel.bounced"
	InboundChannelComplained  InboundEventType = "channel.complained"
	InboundChannelStop        InboundEventType = "channel.stop"
)

// InboundEventTypes lists every accepted type, in documentation order.
var InboundEventTypes = []InboundEventType{
	InboundCustomerUpserted, InboundCustomerDeleted, InboundConsentUpdated, InboundPreferencesUpdated,
	InboundChannelBounced, InboundChannelComplained, InboundChannelStop,
}

// MaxInboundBatch is the most events one request may carry.
const MaxInboundBatch = 1000

// MaxWebhookIDLength bounds the webhook-id header.
const MaxWebhookIDLength = 200

// InboxStatus is where an inbox event is in its processing.
type InboxStatus string

// Inbox statuses. Pending events wait for the worker; applied ones
// changed (or confirmed) Candor's data; superseded ones were older than
// data already applied (ordering, last writer wins); failed ones carry
// the precise error and are never retried.
const (
	InboxPending    InboxStatus = "pending"
	InboxApplied    InboxStatus = "applied"
	InboxSuperseded InboxStatus = "superseded"
	InboxFailed     InboxStatus = "failed"
)

// ParseInboxStatus checks a ?status= filter. EINVALID.
func ParseInboxStatus(s string) (InboxStatus, error) {
	switch st := InboxStatus(s); st {
	case "", InboxPending, InboxApplied, InboxSuperseded, InboxFailed:
		return st, nil
	}
	var p Problems
	p.Add("/status", "enum", "must be pending, applied, superseded or failed, got %q", s)
	return "", p.Err()
}

// InboxEvent is one inbound event as the inbox keeps it. Payload (the
// event as received) is kept while the event is pending or failed and
// cleared once it is applied or superseded, and when its customer is
// erased: it may hold PII.
type InboxEvent struct {
	ID          int64            `json:"id"`
	SourceID    int64            `json:"source_id"`
	WebhookID   string           `json:"webhook_id"`
	Position    int              `json:"position"`
	Type        InboundEventType `json:"type"`
	ExternalID  string           `json:"external_id,omitempty"`
	OccurredAt  *time.Time       `json:"occurred_at,omitempty"`
	Status      InboxStatus      `json:"status"`
	Error       string           `json:"error,omitempty"`
	Attempts    int              `json:"attempts"`
	ReceivedAt  time.Time        `json:"received_at"`
	ProcessedAt *time.Time       `json:"processed_at,omitempty"`
	Payload     json.RawMessage  `json:"payload,omitempty"`
}

// InboundEvent is the envelope of one event: {type, occurred_at, data}.
type InboundEvent struct {
	Type       InboundEventType `json:"type"`
	OccurredAt time.Time        `json:"occurred_at"`
	Data       json.RawMessage  `json:"data"`
}

// ParsedEvent is one event of a body, parsed as far as it goes: Err is
// the precise reason it cannot be applied (the event is then stored as
// failed), else Event and ExternalID are set.
type ParsedEvent struct {
	Raw        json.RawMessage
	Event      InboundEvent
	ExternalID string
	Err        string
}

// ParseInboundBody splits a verified body into its events: one event
// object, or {"events": [...]} with 1 to MaxInboundBatch of them. It
// fails (EMALFORMED, EINVALID) only when the body as a whole is unusable;
// a bad event is returned with its Err so it cannot block the others.
func ParseInboundBody(body []byte) ([]ParsedEvent, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, Errorf(EMALFORMED, "The body is not a JSON object: %s", jsonReason(err))
	}
	raws := []json.RawMessage{body}
	if batch, ok := top["events"]; ok {
		if len(top) != 1 {
			return nil, fieldError("/", "batch_only", `a batch body holds only "events"`)
		}
		raws = nil
		if err := json.Unmarshal(batch, &raws); err != nil {
			return nil, fieldError("/events", "type", "must be an array of events")
		}
		if len(raws) == 0 || len(raws) > MaxInboundBatch {
			return nil, fieldError("/events", "count", fmt.Sprintf("must hold 1 to %d events, got %d", MaxInboundBatch, len(raws)))
		}
	}
	out := make([]ParsedEvent, len(raws))
	for i, raw := range raws {
		out[i] = parseEvent(raw)
	}
	return out, nil
}

func fieldError(field, rule, detail string) error {
	var p Problems
	p.Add(field, rule, "%s", detail)
	return p.Err()
}

// parseEvent checks one envelope: known type, occurred_at, a data object
// naming the customer (channel feedback may name a delivery instead).
func parseEvent(raw json.RawMessage) ParsedEvent {
	pe := ParsedEvent{Raw: raw}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pe.Event); err != nil {
		pe.Err = "event: " + jsonReason(err)
		return pe
	}
	known := false
	for _, t := range InboundEventTypes {
		known = known || t == pe.Event.Type
	}
	var target struct {
		ExternalID *string `json:"external_id"`
		DeliveryID *int64  `json:"delivery_id"`
		Address    *string `json:"address"`
	}
	dataOK := len(pe.Event.Data) > 0 && pe.Event.Data[0] == '{' && json.Unmarshal(pe.Event.Data, &target) == nil
	// The customer is named even on a failed event, so erasing them
	// clears its payload too.
	if target.ExternalID != nil && ValidText(*target.ExternalID) && len(*target.ExternalID) <= 200 {
		pe.ExternalID = *target.ExternalID
	}
	switch {
	case pe.Event.Type == "":
		pe.Err = "/type: is required"
	case !known:
		pe.Err = fmt.Sprintf("/type: unknown event type %q", pe.Event.Type)
	case pe.Event.OccurredAt.IsZero():
		pe.Err = "/occurred_at: is required (RFC 3339 time)"
	case !dataOK:
		pe.Err = "/data: must be an object with the fields of the event type"
	case target.ExternalID != nil:
		if pe.ExternalID == "" {
			pe.Err = "/data/external_id: must be 1-200 characters of text"
		}
	case strings.HasPrefix(string(pe.Event.Type), "channel.") && (target.DeliveryID != nil || target.Address != nil):
	default:
		pe.Err = "/data/external_id: is required"
	}
	return pe
}

// jsonReason is a client-safe description of a JSON decoding error.
func jsonReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be a JSON %s", "/"+typ.Field, typ.Type.String())
	}
	return err.Error()
}

// InboundEventResult is what the inbox did with one event of a request.
type InboundEventResult struct {
	Position int         `json:"position"`
	ID       int64       `json:"id"`
	Status   InboxStatus `json:"status"`
	Error    string      `json:"error,omitempty"`
}

// InboundResult answers POST /v1/inbound/{source}: every event is in the
// inbox (pending, or failed with its reason) before it is sent.
// Duplicate is true for a redelivered webhook-id: nothing was stored
// again, the results are those of the first delivery.
type InboundResult struct {
	WebhookID string               `json:"webhook_id"`
	Duplicate bool                 `json:"duplicate"`
	Events    []InboundEventResult `json:"events"`
}

// InboxOutcome is the result of applying one inbox event.
type InboxOutcome struct {
	ID     int64
	Status InboxStatus // InboxPending: a transient error, try again
	Error  string
}

// FeedbackKind is what a channel provider reported.
type FeedbackKind string

// Feedback kinds, as stored for trust reporting.
const (
	FeedbackHardBounce FeedbackKind = "hard_bounce"
	FeedbackSoftBounce FeedbackKind = "soft_bounce"
	FeedbackComplaint  FeedbackKind = "complaint"
	FeedbackStop       FeedbackKind = "stop"
)

// ChannelFeedback is one report of a channel provider. It names the
// message (DeliveryID), the customer (ExternalID, with Channel) or the
// address (Channel and Address); the first one set wins.
type ChannelFeedback struct {
	Kind       FeedbackKind
	Channel    Channel
	ExternalID string
	DeliveryID int64
	Address    string
	OccurredAt time.Time
}
