package models

import "time"

// DefaultConfirmationExpiry is how long a double opt-in stays pending
// when CANDOR_DOUBLE_OPT_IN_EXPIRY is not set.
const DefaultConfirmationExpiry = 7 * 24 * time.Hour

// DoubleOptInFormVersion is recorded as the form version of a consent
// confirmed through a double opt-in link; change it with the page's text.
const DoubleOptInFormVersion = "double-opt-in-v1"

// ConfirmationStatus is where a double opt-in confirmation stands: its
// message planned -> sending -> sent | failed | unknown, or skipped; then
// confirmed (the customer used the link) or expired (they did not in
// time, or their consent changed otherwise).
type ConfirmationStatus string

// Confirmation statuses.
const (
	ConfirmationPlanned   ConfirmationStatus = "planned"
	ConfirmationSending   ConfirmationStatus = "sending"
	ConfirmationSent      ConfirmationStatus = "sent"
	ConfirmationFailed    ConfirmationStatus = "failed"
	ConfirmationSkipped   ConfirmationStatus = "skipped"
	ConfirmationUnknown   ConfirmationStatus = "unknown"
	ConfirmationConfirmed ConfirmationStatus = "confirmed"
	ConfirmationExpired   ConfirmationStatus = "expired"
)

// Confirmation is the message asking a customer to confirm a pending
// consent (double opt-in). ConsentSeq is the seq of the pending ledger
// event it confirms.
type Confirmation struct {
	ID          int64
	CustomerID  int64
	Topic       string
	ConsentSeq  int64
	Status      ConfirmationStatus
	Reason      Reason
	Channel     Channel
	ScheduledAt time.Time
	ExpiresAt   time.Time
	SentAt      *time.Time
	Attempts    int
}

// MessageID is the id a confirmation's message carries on its channel
// (the idempotency key of SMS and webhooks, the email Message-ID, the
// outbox row): the negative of its id, so it never collides with a
// delivery's.
func (c *Confirmation) MessageID() int64 { return -c.ID }

// ClaimedConfirmation is a confirmation claimed for sending, under a
// lease, with what rendering and sending it needs. Customer holds PII.
type ClaimedConfirmation struct {
	Confirmation *Confirmation
	Customer     *Customer
	Topic        *Topic
	// Decision is the send-time check that allowed it, with the address.
	Decision SendDecision
}

// ConfirmationChecker takes the send-time decision for a confirmation:
// the customer's channel (configured, address known, never another one)
// and window, as for a delivery, without cadence (the customer asked for
// it) and without consent (it is pending by design).
type ConfirmationChecker interface {
	CheckConfirmation(c *Customer, conf *Confirmation, now time.Time) SendDecision
}

// ConfirmationOutcome is what one confirmation send came to.
type ConfirmationOutcome struct {
	ID int64
	// Status is sent, failed, unknown, or planned again at RetryAt for a
	// transient failure.
	Status     ConfirmationStatus
	Reason     Reason
	ProviderID string
	RetryAt    time.Time
}

// PendingConfirmation is a pending consent the customer may confirm.
type PendingConfirmation struct {
	Topic      *Topic
	ConsentSeq int64
	ExpiresAt  time.Time
	// Confirmed is set once the customer confirmed it (a link used
	// again answers that it is done).
	Confirmed bool
}
