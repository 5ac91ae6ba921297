package models

import (
	"encoding/json"
	"time"
)

// Event types written to the events table (transactional outbox) in the
// same transaction as the change they describe.
const (
	EventCustomerCreated    = "customer.created"
	EventCustomerUpdated    = "customer.updated"
	EventCustomerErased     = "customer.erased"
	EventCustomerSuppressed = "customer.suppressed"
	EventConsentChanged     = "consent.changed"
)

// Event is one entry of the outbox. Data never holds PII: integrations
// get ids, topics and statuses, and fetch profiles through the API.
type Event struct {
	ID         int64           `json:"id"`
	Type       string          `json:"type"`
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
