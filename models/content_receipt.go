package models

import (
	"context"
	"time"
)

// ContentReceipt says whether a customer already received a content item,
// whatever version: GET /v1/customers/{id}/content/{content_id} and the
// preference center's "you already received this".
type ContentReceipt struct {
	ContentID int64 `json:"content_id"`
	// Version is the version the customer received, or the current
	// approved version when they received none.
	Version    int        `json:"version"`
	ReceivedAt *time.Time `json:"received_at,omitempty"`
	Channel    Channel    `json:"channel,omitempty"`
	// CorrectedSince names an approved correction of this content that
	// was approved after the customer received it.
	CorrectedSince *Correction `json:"corrected_since,omitempty"`
	// Pending is a delivery of the content to the customer that is
	// planned, queued or being sent (a request or a campaign): the
	// preference center says it is on its way. Not part of the API answer.
	Pending *PendingSend `json:"-"`
}

// Correction is an approved correction of a content item: what changed.
type Correction struct {
	ContentID  int64     `json:"content_id"`
	Title      string    `json:"title"`
	Summary    string    `json:"summary"`
	ApprovedAt time.Time `json:"approved_at"`
}

// ContentOffer is an approved, unexpired content item the preference
// center offers to read, with whether the customer already received it.
type ContentOffer struct {
	ContentID int64
	Version   int
	Topic     string
	Title     string
	Summary   string
	Receipt   ContentReceipt
}

// MaxContentOffers bounds the items the preference center lists.
const MaxContentOffers = 50

// ContentReceiptService answers "did this customer already get this?".
type ContentReceiptService interface {
	// ContentReceipt reports whether the live customer received the
	// content (a sent delivery of any version) and any correction
	// approved since. ENOTFOUND for an unknown customer, or content that
	// has no approved version.
	ContentReceipt(ctx context.Context, externalID string, contentID int64) (*ContentReceipt, error)
	// ContentOffers lists approved, unretired content whose approved
	// version is on one of topics and unexpired at now, newest first (at
	// most MaxContentOffers), each with the customer's receipt.
	ContentOffers(ctx context.Context, customerID int64, topics []string, now time.Time) ([]*ContentOffer, error)
}
