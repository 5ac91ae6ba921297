package models

import "time"

// CampaignKind says why a campaign exists: operators launch campaigns;
// a customer's request from the preference center is a campaign of kind
// request with one delivery, so it is dispatched, checked at send time,
// sent and recorded exactly as a campaign's.
type CampaignKind string

// Campaign kinds.
const (
	CampaignKindCampaign CampaignKind = "campaign"
	CampaignKindRequest  CampaignKind = "request"
)

// RequestValidity is how long after a request its send may take place:
// the request's campaign window is [now, now+RequestValidity). A customer
// whose windows have no room in it is told so instead of waiting.
const RequestValidity = 14 * 24 * time.Hour

// MaxOpenRequests bounds the requested items one customer may have
// waiting to be sent at once: a request is exempt from the customer's
// cadence, so a leaked link must not queue every item on the page.
const MaxOpenRequests = 3

// ContentRequestInput asks for one content item to be sent to a customer
// through their preferred channel.
type ContentRequestInput struct {
	CustomerID int64
	ContentID  int64
	// Key makes the request idempotent: a second request with the same key
	// (the same form submitted twice, a reload) answers with the first
	// one's outcome and plans nothing.
	Key string
}

// ContentRequestOutcome is what asking for content came to.
type ContentRequestOutcome string

// Content request outcomes.
const (
	// RequestPlanned: a delivery was planned in the customer's next
	// window (Delivery says when and how).
	RequestPlanned ContentRequestOutcome = "planned"
	// RequestAlreadyReceived: the customer received this content (any
	// version); nothing is sent again.
	RequestAlreadyReceived ContentRequestOutcome = "already_received"
	// RequestOnItsWay: a delivery of this content to the customer is
	// already planned (by an earlier request or a campaign).
	RequestOnItsWay ContentRequestOutcome = "on_its_way"
	// RequestRefused: the send-time rules leave no way to send it
	// (Reason says which); nothing is planned.
	RequestRefused ContentRequestOutcome = "refused"
	// RequestTooMany: MaxOpenRequests items already wait to be sent.
	RequestTooMany ContentRequestOutcome = "too_many"
)

// OfferedItem is an item the preference center offers, rendered for
// reading in the browser, with the customer's receipt and the page state
// a request form for it carries (PreferencePage.State).
type OfferedItem struct {
	Message *SentMessageCopy
	Receipt *ContentReceipt
	State   string
}

// ContentRequest is the answer to a content request.
type ContentRequest struct {
	ContentID int64
	// Title is the item's title, for the answer page.
	Title   string
	Outcome ContentRequestOutcome
	// Reason is the planning reason of a refused request.
	Reason Reason
	// Delivery is the planned (or already planned) delivery; nil when
	// nothing is on its way.
	Delivery *Delivery
	// Receipt says whether and when the customer already received it.
	Receipt ContentReceipt
	// Repeated is set when the same request (its Key) was made before:
	// the answer is the first one's, and nothing new was planned.
	Repeated bool
}

// PendingSend is a delivery of a content item to a customer that is
// planned, queued or being sent.
type PendingSend struct {
	DeliveryID  int64
	ScheduledAt time.Time
	Channel     Channel
}
