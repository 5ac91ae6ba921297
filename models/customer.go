package models

import (
	"time"
)

// Customer is a person Candor may contact, identified by the CRM's
// external id. Email, Phone and Name are PII: never log them.
type Customer struct {
	ID               int64          `json:"-"`
	ExternalID       string         `json:"external_id"`
	Email            string         `json:"email,omitempty"`
	Phone            string         `json:"phone,omitempty"`
	Name             string         `json:"name,omitempty"`
	Locale           string         `json:"locale,omitempty"`
	Timezone         string         `json:"timezone,omitempty"`
	PreferredChannel Channel        `json:"preferred_channel"`
	PreferredWindows []Window       `json:"preferred_windows"`
	Cadence          *Cadence       `json:"cadence"`
	Attributes       map[string]any `json:"attributes"`
	// PreferenceVersion increases whenever channel, windows, time zone or
	// cadence change, so a delivery can record which wishes it honoured.
	PreferenceVersion int `json:"preference_version"`
	// Suppressed is set when the customer's email or phone matched the
	// fingerprint of an erased customer: consent from an earlier life of
	// the address is not resurrected and bulk sources cannot opt them in.
	Suppressed bool       `json:"suppressed"`
	ErasedAt   *time.Time `json:"-"`
	// TokenEpoch is the generation of the customer's signed links:
	// revoking them increases it, and a link verifies only with the
	// epoch it was issued in.
	TokenEpoch uint32    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// CustomerInput is the writable part of a customer, as sent to
// PUT /v1/customers/{external_id} and the batch endpoint. A PUT replaces
// the whole profile: omitted fields are cleared.
type CustomerInput struct {
	ExternalID       string         `json:"external_id"`
	Email            string         `json:"email"`
	Phone            string         `json:"phone"`
	Name             string         `json:"name"`
	Locale           string         `json:"locale"`
	Timezone         string         `json:"timezone"`
	PreferredChannel Channel        `json:"preferred_channel"`
	PreferredWindows []Window       `json:"preferred_windows"`
	Cadence          *Cadence       `json:"cadence"`
	Attributes       map[string]any `json:"attributes"`
}

// CustomerPut is the outcome of one item of CustomerService.PutCustomers.
type CustomerPut struct {
	// ExternalID is the item's external id as normalized ("" for a nil
	// item), so a caller can name the customer of a failed item too.
	ExternalID string
	// Created is true for a new customer.
	Created bool
	// Changed is false for an item equal to the stored profile: like a
	// repeated PUT it wrote nothing, not even an outbox event.
	Changed bool
	// Err is this item's own failure (EINVALID, ECONFLICT); nil when the
	// item was written or found unchanged.
	Err error
}

// Address returns the customer's address for channel ch ("" if none or
// for an unknown channel), as the channel's spec reads it: the webhook
// channel addresses the customer by external id.
func (c *Customer) Address(ch Channel) string {
	if spec := lookupChannel(ch); spec != nil {
		return spec.Address(c)
	}
	return ""
}

// PreferencesDiffer reports whether a and b differ in anything that decides
// how and when a customer is contacted (channel, windows, zone, cadence).
func PreferencesDiffer(a *Customer, b *CustomerInput) bool {
	if a.PreferredChannel != b.PreferredChannel || a.Timezone != b.Timezone {
		return true
	}
	if !windowsEqual(a.PreferredWindows, b.PreferredWindows) {
		return true
	}
	switch {
	case a.Cadence == nil && b.Cadence == nil:
		return false
	case a.Cadence == nil || b.Cadence == nil:
		return true
	}
	return *a.Cadence != *b.Cadence
}

func windowsEqual(a, b []Window) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Start != b[i].Start || a[i].End != b[i].End || len(a[i].Days) != len(b[i].Days) {
			return false
		}
		for j := range a[i].Days {
			if a[i].Days[j] != b[i].Days[j] {
				return false
			}
		}
	}
	return true
}
