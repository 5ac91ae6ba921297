package models

import "time"

// SendBatch is a batch of due deliveries handed to the queue as one task
// (planned ones the dispatcher found due, or queued ones a retry hands on
// again): one task per recipient would cap throughput at the queue's own
// task rate.
type SendBatch struct {
	// TaskID is derived from the work (the batch's deliveries and their
	// generations), so enqueueing the same batch again is harmless.
	TaskID string
	IDs    []int64
	// Channel is the channel every delivery of the batch was handed on
	// for ("" when they differ or it is not known): the worker sizes the
	// batch's rounds of claims by its rate.
	Channel Channel
	// ProcessAt is the latest scheduled time of the batch: no delivery is
	// handed to a sender before its time.
	ProcessAt time.Time
}

// DueDelivery is a planned delivery the dispatcher found due: what it
// needs to hand it on and to know it again (its generation changes when
// it is re-planned).
type DueDelivery struct {
	ID          int64
	CampaignID  int64
	ScheduledAt time.Time
	Generation  int
	Attempts    int
	// Channel is the channel it is planned on: the dispatcher hands each
	// channel's deliveries on in tasks of their own.
	Channel Channel
}

// DueCursor is a position in the dispatcher's order of due deliveries
// (scheduled time, then id); the zero cursor is before the first.
type DueCursor struct {
	ScheduledAt time.Time
	ID          int64
}

// DuePage is one read of the dispatcher: the due deliveries it may hand
// on (those of scheduled and running campaigns), how many planned due
// deliveries it read to find them (of any campaign) and the position of
// the last one read, where the next read starts. A page of a paused
// campaign's deliveries thus moves the dispatcher on; the sweep finds
// them again once the campaign resumes.
type DuePage struct {
	Deliveries []DueDelivery
	Read       int
	Last       DueCursor
}

// ClaimedSend is a delivery claimed for sending (status sending, under a
// lease), with what rendering and sending it needs. Customer holds PII:
// never log it.
type ClaimedSend struct {
	Delivery *Delivery
	Customer *Customer
	Version  *ContentVersion
	// Decision is the send-time check that allowed it, with the address.
	Decision SendDecision
}

// SendOutcome is what one send attempt came to.
type SendOutcome struct {
	DeliveryID int64
	// Status is sent, failed, unknown, or queued for a transient failure
	// that will be tried again.
	Status     DeliveryStatus
	Reason     Reason
	ProviderID string
	// NotAttempted marks a queued outcome whose message was never handed
	// to the channel (the task stopped while it waited for the send
	// rate): the attempt its claim counted is given back, so a worker
	// restarting often never exhausts a delivery's retries unsent.
	NotAttempted bool
	// RetryIn is, for a queued outcome, how long after it is recorded the
	// delivery may be tried again: the back-off and the provider's
	// Retry-After. The store starts the reconciler's clock there, so a
	// long wait is not mistaken for a lost task. Zero: at once.
	RetryIn time.Duration
}

// OutboxMessage is a message the outbox transport kept instead of sending
// it: exactly what its channel would have carried. Recipient is PII.
type OutboxMessage struct {
	ID         int64             `json:"id"`
	DeliveryID int64             `json:"delivery_id"`
	CampaignID int64             `json:"campaign_id"`
	ExternalID string            `json:"external_id"`
	Channel    Channel           `json:"channel"`
	Recipient  string            `json:"recipient"`
	Subject    string            `json:"subject,omitempty"`
	Text       string            `json:"text"`
	HTML       string            `json:"html,omitempty"`
	Headers    map[string]string `json:"headers"`
	// Raw is the payload as the channel would carry it (for email the
	// RFC 5322 message).
	Raw       string    `json:"raw"`
	CreatedAt time.Time `json:"created_at"`
}

// OutboxFilter selects outbox messages: by customer (external id) and
// campaign, either or both.
type OutboxFilter struct {
	ExternalID string
	CampaignID int64
}
