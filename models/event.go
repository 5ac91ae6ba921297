package models

import (
	"encoding/json"
	"time"
)

// EventType names what an outbox event describes. Its values are part of
// the external contract (integrations filter on them) and never change.
type EventType string

// Event types written to the events table (transactional outbox) in the
// same transaction as the change they describe. Every event type is
// declared here, and each one's Data is a JSON object holding only the
// fields listed (never PII).
const (
	// EventCustomerCreated: a customer was created. Data: external_id,
	// preference_version.
	EventCustomerCreated EventType = "customer.created"
	// EventCustomerUpdated: a customer's profile changed. Data:
	// external_id, preference_version.
	EventCustomerUpdated EventType = "customer.updated"
	// EventCustomerErased: a customer's PII was erased. Data: external_id,
	// the keyed pseudonym ("erased-...") that replaced the external id in
	// every earlier event of the customer (the id itself is freed and
	// kept nowhere).
	EventCustomerErased EventType = "customer.erased"
	// EventCustomerSuppressed: a customer's new address matched an erased
	// customer's fingerprint. Data: external_id.
	EventCustomerSuppressed EventType = "customer.suppressed"
	// EventConsentChanged: a consent status changed. Data: external_id,
	// topic, status, source.
	EventConsentChanged EventType = "consent.changed"
	// EventContentApproved: content was approved as a new version. Data:
	// content_id, version.
	EventContentApproved EventType = "content.approved"
	// EventContentRetired: content was retired. Data: content_id.
	EventContentRetired EventType = "content.retired"
	// EventCampaignState: a campaign changed state. Data: campaign_id,
	// from and to (the old and the new state); a launch adds
	// planned_by_channel, the deliveries it planned per channel.
	EventCampaignState EventType = "campaign.state_changed"
	// EventDeliverySent: a message went out. Data: delivery_id,
	// campaign_id, external_id, channel, provider_id.
	EventDeliverySent EventType = "delivery.sent"
	// EventDeliveryFailed: the channel refused a message for good, or
	// every retry failed. Data: delivery_id, campaign_id, external_id,
	// channel, reason.
	EventDeliveryFailed EventType = "delivery.failed"
	// EventDeliverySkipped: the send-time check refused a delivery (the
	// customer's wishes changed). Data: delivery_id, campaign_id,
	// external_id, channel, reason.
	EventDeliverySkipped EventType = "delivery.skipped"
	// EventDeliveryExpired: no window was left before the campaign's end.
	// Data: delivery_id, campaign_id, external_id, channel, reason.
	EventDeliveryExpired EventType = "delivery.expired"
	// EventLedgerBroken: a verification of the consent ledger found a
	// break (a rewritten, added or removed event, or a consent row that
	// disagrees with it; docs/ledger.md). Data: broken (how many
	// problems), head_seq, problems (up to 20 of {customer_id, seq,
	// global_seq, reason}, internal ids only).
	EventLedgerBroken EventType = "ledger.broken"
	// EventDeliveryUnknown: a worker died mid-send on a channel that
	// cannot be retried safely; the message may or may not have gone out.
	// Data: delivery_id, campaign_id, external_id, channel.
	EventDeliveryUnknown EventType = "delivery.unknown"
	// EventContentRequested: a customer asked, on the preference center,
	// for a content item to be sent to them; a delivery was planned.
	// Data: content_id, campaign_id, delivery_id, external_id, channel.
	EventContentRequested EventType = "content.requested"
	// EventConfirmation: a double opt-in confirmation message reached an
	// outcome. Data: confirmation_id, external_id, topic, channel, status
	// (sent, failed, unknown, skipped, confirmed, expired), reason.
	EventConfirmation EventType = "consent.confirmation"
	// EventWebhookEndpointDisabled: an outbound webhook endpoint was
	// disabled after a run of failed attempts. Data: endpoint_id,
	// failures, failing_since, reason.
	EventWebhookEndpointDisabled EventType = "webhook_endpoint.disabled"
	// EventWebhookTest: POST /v1/webhook-endpoints/{id}/test; delivered
	// to that endpoint only. Data: endpoint_id.
	EventWebhookTest EventType = "webhook_endpoint.test"
)

// Event is one entry of the outbox. Data never holds PII: integrations
// get ids, topics and statuses, and fetch profiles through the API.
type Event struct {
	ID         int64           `json:"id"`
	Type       EventType       `json:"type"`
	CustomerID *int64          `json:"-"`
	Data       json.RawMessage `json:"data"`
	CreatedAt  time.Time       `json:"created_at"`
}

// CustomerExport is everything Candor holds about one customer (the
// answer to a data subject access request).
type CustomerExport struct {
	Customer *Customer      `json:"customer"`
	Consents *ConsentLedger `json:"consents"`
	Events   []Event        `json:"events"`
	// Deliveries are every message planned for or sent to the customer.
	Deliveries []*Delivery `json:"deliveries"`
}

// Page asks for one page of a list: at most Limit items after Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// Page size bounds.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)
