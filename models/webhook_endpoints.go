package models

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WebhookEndpoint is an integration's URL that receives the outbox events
// of the types it subscribed to, signed with Standard Webhooks. Its secret
// is never part of it: it is shown once, when the endpoint is created,
// and stored sealed.
type WebhookEndpoint struct {
	ID          int64          `json:"id"`
	URL         string         `json:"url"`
	Description string         `json:"description"`
	Events      []EventType    `json:"events"`
	Status      EndpointStatus `json:"status"`
	// DisabledReason says why a disabled endpoint is disabled: through
	// the API, or the run of failures that disabled it.
	DisabledReason string `json:"disabled_reason,omitempty"`
	// ConsecutiveFailures counts the failed attempts since the last
	// success; FailingSince dates the first of them.
	ConsecutiveFailures int        `json:"consecutive_failures"`
	FailingSince        *time.Time `json:"failing_since,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// EndpointStatus says whether an endpoint receives events.
type EndpointStatus string

// Endpoint statuses. A disabled endpoint receives nothing: events written
// meanwhile are not queued for it (a replay since a time catches up) and
// its queued messages wait until it is enabled again.
const (
	EndpointEnabled  EndpointStatus = "enabled"
	EndpointDisabled EndpointStatus = "disabled"
)

// EventWildcard subscribes an endpoint to every event type, including
// types added later.
const EventWildcard EventType = "*"

// OutboundEventTypes lists the event types an endpoint may subscribe to,
// in documentation order: every type the events table holds, except the
// test event, which goes only to the endpoint it tests.
var OutboundEventTypes = []EventType{
	EventCustomerCreated, EventCustomerUpdated, EventCustomerErased, EventCustomerSuppressed,
	EventConsentChanged, EventContentApproved, EventContentRetired, EventCampaignState,
	EventDeliverySent, EventDeliveryFailed, EventDeliverySkipped, EventDeliveryExpired, EventDeliveryUnknown,
	EventChannelComplained, EventLedgerBroken, EventWebhookEndpointDisabled,
}

// Limits of an endpoint's fields.
const (
	MaxEndpointURLLength         = 2000
	MaxEndpointDescriptionLength = 500
)

// WebhookEndpointInput is the body of POST /v1/webhook-endpoints.
type WebhookEndpointInput struct {
	URL         string      `json:"url"`
	Events      []EventType `json:"events"`
	Description string      `json:"description"`
}

// Validate checks the fields' form: an absolute http(s) URL without
// credentials or fragment, 1 or more known event types (or "*") without
// repeats, a description of at most 500 characters. Whether the URL may
// be used (https, a public address) is the webhooks package's decision.
// EINVALID naming each field and rule.
func (in *WebhookEndpointInput) Validate() error {
	var p Problems
	validateEndpointURL(&p, in.URL)
	validateEndpointEvents(&p, in.Events)
	validateEndpointDescription(&p, in.Description)
	return p.Err()
}

func validateEndpointURL(p *Problems, raw string) {
	if raw == "" {
		p.Add("/url", "required", "is required")
		return
	}
	if !checkText(p, "/url", raw) {
		return
	}
	if len(raw) > MaxEndpointURLLength {
		p.Add("/url", "max_length", "must be at most %d bytes", MaxEndpointURLLength)
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "":
		p.Add("/url", "url", "must be an absolute URL such as https://crm.example.com/hooks/candor")
	case u.Scheme != "https" && u.Scheme != "http":
		p.Add("/url", "scheme", "must use https, got %q", u.Scheme)
	case u.User != nil:
		p.Add("/url", "no_credentials", "must not carry a user or password (the signature authenticates the request)")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		p.Add("/url", "no_fragment", "must not have a #fragment")
	}
}

func validateEndpointEvents(p *Problems, events []EventType) {
	if len(events) == 0 {
		p.Add("/events", "required", `must list at least one event type, or "*" for all`)
		return
	}
	seen := map[EventType]bool{}
	for i, e := range events {
		field := "/events/" + itoa(i)
		switch {
		case seen[e]:
			p.Add(field, "unique", "%q is listed twice", e)
		case e != EventWildcard && !slices.Contains(OutboundEventTypes, e):
			p.Add(field, "event_type", "unknown event type %q (docs/webhooks.md lists them)", e)
		}
		seen[e] = true
	}
}

func validateEndpointDescription(p *Problems, d string) {
	if checkText(p, "/description", d) && utf8.RuneCountInString(d) > MaxEndpointDescriptionLength {
		p.Add("/description", "max_length", "must be at most %d characters", MaxEndpointDescriptionLength)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// WebhookEndpointPatch is the body of PATCH /v1/webhook-endpoints/{id}:
// the fields to change. Setting status to "enabled" also clears the run
// of failures, so a repaired endpoint gets its full allowance again.
type WebhookEndpointPatch struct {
	URL         *string         `json:"url"`
	Events      []EventType     `json:"events"`
	Description *string         `json:"description"`
	Status      *EndpointStatus `json:"status"`
}

// Validate checks the fields present like WebhookEndpointInput does, and
// that status is enabled or disabled. EINVALID.
func (in *WebhookEndpointPatch) Validate() error {
	var p Problems
	if in.URL != nil {
		validateEndpointURL(&p, *in.URL)
	}
	if in.Events != nil {
		validateEndpointEvents(&p, in.Events)
	}
	if in.Description != nil {
		validateEndpointDescription(&p, *in.Description)
	}
	if in.Status != nil && *in.Status != EndpointEnabled && *in.Status != EndpointDisabled {
		p.Add("/status", "enum", "must be enabled or disabled, got %q", *in.Status)
	}
	return p.Err()
}

// Subscribed reports whether an endpoint listening to events receives an
// event of type t.
func Subscribed(events []EventType, t EventType) bool {
	return slices.Contains(events, EventWildcard) || slices.Contains(events, t)
}

// ReplayInput is the body of POST /v1/webhook-endpoints/{id}/replay: one
// event again (event_id), or every subscribed event written since a time.
type ReplayInput struct {
	EventID *int64     `json:"event_id"`
	Since   *time.Time `json:"since"`
}

// MaxReplayAge bounds how far back a replay since a time may reach.
const MaxReplayAge = 30 * 24 * time.Hour

// Validate checks that exactly one of event_id and since is set, since
// within MaxReplayAge of now and not in the future. EINVALID.
func (in *ReplayInput) Validate(now time.Time) error {
	var p Problems
	switch {
	case (in.EventID == nil) == (in.Since == nil):
		p.Add("/", "one_of", "give exactly one of event_id and since")
	case in.EventID != nil && *in.EventID <= 0:
		p.Add("/event_id", "range", "must be a positive event id")
	case in.Since != nil && (in.Since.Before(now.Add(-MaxReplayAge)) || in.Since.After(now)):
		p.Add("/since", "range", "must be within the last 30 days (RFC 3339 time)")
	}
	return p.Err()
}

// ReplayResult answers a replay: how many messages were queued again.
type ReplayResult struct {
	Replayed int `json:"replayed"`
}

// WebhookID is the Standard Webhooks webhook-id of an event: the same for
// every endpoint, attempt and replay, so receivers deduplicate by it.
func WebhookID(eventID int64) string { return "evt_" + strconv.FormatInt(eventID, 10) }

// TestMessage answers POST /v1/webhook-endpoints/{id}/test: the test
// event queued for the endpoint alone.
type TestMessage struct {
	EventID   int64  `json:"event_id"`
	WebhookID string `json:"webhook_id"`
}

// WebhookMessage is one event queued for one endpoint, with what the
// worker needs to send it.
type WebhookMessage struct {
	ID         int64
	EndpointID int64
	EventID    int64
	CustomerID *int64
	Attempts   int // made so far
	Type       EventType
	Data       json.RawMessage
	CreatedAt  time.Time // the event's
}

// WebhookTarget is where and how an endpoint's messages are sent.
type WebhookTarget struct {
	URL    string
	Secret string
}

// WebhookAttempt is one request made to an endpoint, as the attempt log
// keeps it: no bodies, the HTTP status (0 when there was no answer) and a
// short error.
type WebhookAttempt struct {
	ID          int64     `json:"id"`
	EndpointID  int64     `json:"endpoint_id"`
	EventID     int64     `json:"event_id"`
	WebhookID   string    `json:"webhook_id"`
	Attempt     int       `json:"attempt"`
	OK          bool      `json:"ok"`
	StatusCode  int       `json:"status_code"`
	Error       string    `json:"error,omitempty"`
	DurationMS  int       `json:"duration_ms"`
	AttemptedAt time.Time `json:"attempted_at"`
}

// WebhookOutcome is the result of one attempt to deliver a message. Next
// is when to try again after a failure; zero means give up (the message
// fails for good).
type WebhookOutcome struct {
	MessageID  int64
	EndpointID int64
	EventID    int64
	OK         bool
	StatusCode int
	Error      string
	Took       time.Duration
	At         time.Time
	Next       time.Time
}

// DisablePolicy is when an endpoint is disabled automatically: after a
// run of at least Failures failed attempts that began at least After ago.
type DisablePolicy struct {
	Failures int
	After    time.Duration
}

// DisabledEndpoint names an endpoint that a round of outcomes disabled.
type DisabledEndpoint struct {
	ID     int64
	Reason string
}
