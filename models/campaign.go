package models

import (
	"time"
	"unicode/utf8"
)

// CampaignState is where a campaign stands (see the design's vocabulary).
type CampaignState string

// Campaign states: draft -> scheduled (launched and planned) -> running
// (first delivery due) -> completed (every delivery final); paused and
// cancelled on request.
const (
	CampaignDraft     CampaignState = "draft"
	CampaignScheduled CampaignState = "scheduled"
	CampaignRunning   CampaignState = "running"
	CampaignCompleted CampaignState = "completed"
	CampaignPaused    CampaignState = "paused"
	CampaignCancelled CampaignState = "cancelled"
)

// DeliveryStatus is where one planned message stands.
type DeliveryStatus string

// Delivery statuses: planned -> queued -> sending -> sent | failed |
// unknown; or skipped, expired, cancelled.
const (
	DeliveryPlanned   DeliveryStatus = "planned"
	DeliveryQueued    DeliveryStatus = "queued"
	DeliverySending   DeliveryStatus = "sending"
	DeliverySent      DeliveryStatus = "sent"
	DeliveryFailed    DeliveryStatus = "failed"
	DeliveryUnknown   DeliveryStatus = "unknown"
	DeliverySkipped   DeliveryStatus = "skipped"
	DeliveryExpired   DeliveryStatus = "expired"
	DeliveryCancelled DeliveryStatus = "cancelled"
)

// DeliveryStatuses lists every status in lifecycle order.
var DeliveryStatuses = []DeliveryStatus{DeliveryPlanned, DeliveryQueued, DeliverySending, DeliverySent,
	DeliveryFailed, DeliveryUnknown, DeliverySkipped, DeliveryExpired, DeliveryCancelled}

// Valid reports whether s is one of DeliveryStatuses.
func (s DeliveryStatus) Valid() bool {
	for _, known := range DeliveryStatuses {
		if s == known {
			return true
		}
	}
	return false
}

// Counts reports whether a delivery in status s may reach (or reached)
// the customer: it weighs on cadence and blocks sending the same content
// again. unknown counts because the message may well have gone out.
func (s DeliveryStatus) Counts() bool {
	switch s {
	case DeliveryPlanned, DeliveryQueued, DeliverySending, DeliverySent, DeliveryUnknown:
		return true
	}
	return false
}

// CampaignWindow is a campaign's outer limits in UTC: sends are planned at
// or after NotBefore and strictly before NotAfter.
type CampaignWindow struct {
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
}

// Audience targets a correction at everyone who received any version of
// the content RecipientsOf.
type Audience struct {
	RecipientsOf int64 `json:"recipients_of"`
}

// CampaignInput is the writable part of a campaign (POST and PUT
// /v1/campaigns). Exactly one of SegmentID and Audience is set.
type CampaignInput struct {
	Name      string         `json:"name"`
	ContentID int64          `json:"content_id"`
	SegmentID *int64         `json:"segment_id,omitempty"`
	Audience  *Audience      `json:"audience,omitempty"`
	Window    CampaignWindow `json:"window"`
	// Spread places sends inside each customer's window instead of at its
	// opening minute; nil means true.
	Spread *bool `json:"spread,omitempty"`
}

// MaxCampaignSpan bounds not_after - not_before, so planning and the
// capacity planner's memory stay bounded.
const MaxCampaignSpan = 366 * 24 * time.Hour

// Validate checks the input's own fields; the store checks that content
// and segment exist. EINVALID naming each bad field (rule "text" for a
// name that is not valid UTF-8 or holds NUL, "min" for a segment_id or
// recipients_of below 1, "range" for a window outside 2000-9000).
func (in *CampaignInput) Validate() error {
	var p Problems
	// NUL and invalid UTF-8 cannot be stored by PostgreSQL: refused here
	// as input, not left to fail inside SQL.
	if checkText(&p, "/name", in.Name) {
		if n := utf8.RuneCountInString(in.Name); n == 0 || n > 200 {
			p.Add("/name", "length", "is required and must be at most 200 characters")
		}
	}
	if in.ContentID <= 0 {
		p.Add("/content_id", "required", "is required")
	}
	switch {
	case in.SegmentID == nil && in.Audience == nil:
		p.Add("/segment_id", "required", "segment_id or audience is required")
	case in.SegmentID != nil && in.Audience != nil:
		p.Add("/audience", "exclusive", "give either segment_id or audience, not both")
	case in.SegmentID != nil && *in.SegmentID <= 0:
		// No id below 1 can exist: the value is wrong, not unknown.
		p.Add("/segment_id", "min", "must be a positive segment id")
	case in.Audience != nil && in.Audience.RecipientsOf < 0:
		p.Add("/audience/recipients_of", "min", "must be a positive content id")
	case in.Audience != nil && in.Audience.RecipientsOf == 0:
		// 0 is what an omitted recipients_of decodes to.
		p.Add("/audience/recipients_of", "required", "is required")
	}
	w := in.Window
	if w.NotBefore.IsZero() {
		p.Add("/window/not_before", "required", "is required")
	} else if !inCampaignEra(w.NotBefore) {
		p.Add("/window/not_before", "range", "must be between %s and %s", campaignEraStart.Format(time.RFC3339), campaignEraEnd.Format(time.RFC3339))
	}
	if w.NotAfter.IsZero() {
		p.Add("/window/not_after", "required", "is required")
	} else if !inCampaignEra(w.NotAfter) {
		p.Add("/window/not_after", "range", "must be between %s and %s", campaignEraStart.Format(time.RFC3339), campaignEraEnd.Format(time.RFC3339))
	}
	if !w.NotBefore.IsZero() && !w.NotAfter.IsZero() {
		if !w.NotAfter.After(w.NotBefore) {
			p.Add("/window/not_after", "after_not_before", "must be after not_before")
		} else if w.NotAfter.Sub(w.NotBefore) > MaxCampaignSpan {
			p.Add("/window/not_after", "max_span", "must be at most 366 days after not_before")
		}
	}
	return p.Err()
}

// campaignEraStart and campaignEraEnd bound campaign windows. Far from any
// real campaign, they keep every send time and its local form (up to 14
// hours ahead of UTC) inside the years 0000-9999 that RFC 3339 and JSON
// encoding can represent: a window in December 9999 made explain's answer
// unencodable.
var (
	campaignEraStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	campaignEraEnd   = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
)

func inCampaignEra(t time.Time) bool {
	return !t.Before(campaignEraStart) && !t.After(campaignEraEnd)
}

// Campaign sends one piece of content to an audience, each message on the
// customer's channel, inside the customer's window.
type Campaign struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	ContentID int64  `json:"content_id"`
	// ContentVersion is the approved version pinned at launch (0 before).
	ContentVersion int            `json:"content_version"`
	SegmentID      *int64         `json:"segment_id"`
	Audience       *Audience      `json:"audience,omitempty"`
	Correction     bool           `json:"correction"`
	Window         CampaignWindow `json:"window"`
	Spread         bool           `json:"spread"`
	State          CampaignState  `json:"state"`
	// Planned counts the deliveries written at launch; Excluded counts
	// the customers left out, by reason; Moved counts those the channel's
	// capacity pushed later.
	Planned    int64            `json:"planned"`
	Excluded   map[Reason]int64 `json:"excluded"`
	Moved      int64            `json:"moved_by_capacity"`
	CreatedAt  time.Time        `json:"created_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
	LaunchedAt *time.Time       `json:"launched_at"`
}

// Delivery is one planned message to one customer.
type Delivery struct {
	ID             int64          `json:"id"`
	CampaignID     int64          `json:"campaign_id"`
	CustomerID     int64          `json:"-"`
	ExternalID     string         `json:"external_id,omitempty"`
	Channel        Channel        `json:"channel"`
	Locale         string         `json:"locale"`
	ContentID      int64          `json:"content_id"`
	ContentVersion int            `json:"content_version"`
	ScheduledAt    time.Time      `json:"scheduled_at"`
	Status         DeliveryStatus `json:"status"`
	Reason         Reason         `json:"reason,omitempty"`
	// Generation increases on every re-plan, so task ids derived from the
	// delivery never collide with a retained earlier task.
	Generation int       `json:"generation"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// PreferenceVersion is the customer's preference version the delivery
	// was planned for, and once sent, the one it honoured.
	PreferenceVersion int `json:"preference_version"`
	// Attempts counts the sends tried; SentAt is when the send started
	// (sending, sent, unknown); ProviderID is the channel's message id.
	Attempts   int        `json:"attempts"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
	ProviderID string     `json:"provider_id,omitempty"`
	// Snapshot is what the send honoured, recorded when it was claimed.
	Snapshot *SendSnapshot `json:"snapshot,omitempty"`
	// Events are the delivery's status changes, oldest first (only when
	// one delivery is read).
	Events []DeliveryEvent `json:"events,omitempty"`
}

// SendSnapshot is the customer's wishes a send honoured: where it went
// (a keyed fingerprint of the address, never the address), in which zone,
// in which of their windows, at which wall-clock time.
type SendSnapshot struct {
	AddressFingerprint string `json:"address_fingerprint"`
	Timezone           string `json:"timezone"`
	Window             *int   `json:"window,omitempty"`
	Local              string `json:"local"`
}

// DeliveryEvent is one status change of a delivery.
type DeliveryEvent struct {
	At     time.Time      `json:"at"`
	From   DeliveryStatus `json:"from"`
	To     DeliveryStatus `json:"to"`
	Reason Reason         `json:"reason,omitempty"`
	Worker string         `json:"worker,omitempty"`
}

// HourCount is the number of sends planned in one UTC hour.
type HourCount struct {
	Hour  time.Time `json:"hour"`
	Count int64     `json:"count"`
}

// CampaignPreview is what a launch now would plan, computed without
// writing anything.
type CampaignPreview struct {
	ContentVersion int               `json:"content_version"`
	Eligible       int64             `json:"eligible"`
	Excluded       map[Reason]int64  `json:"excluded"`
	ByChannel      map[Channel]int64 `json:"by_channel"`
	PerHour        []HourCount       `json:"sends_per_hour"`
	FirstSend      *time.Time        `json:"first_send"`
	LastSend       *time.Time        `json:"last_send"`
	Moved          int64             `json:"moved_by_capacity"`
}

// ExplainedRule is one eligibility rule of an explanation: pass, fail or
// skipped, with the values that decided it (never PII).
type ExplainedRule struct {
	Rule    Reason         `json:"rule"`
	Outcome string         `json:"outcome"`
	Detail  string         `json:"detail"`
	Values  map[string]any `json:"values,omitempty"`
}

// CampaignExplanation says, rule by rule, why a customer does or does not
// receive a campaign, and when and how they would.
type CampaignExplanation struct {
	CampaignID        int64           `json:"campaign_id"`
	ExternalID        string          `json:"external_id"`
	ContentVersion    int             `json:"content_version"`
	Eligible          bool            `json:"eligible"`
	Reason            Reason          `json:"reason,omitempty"`
	Rules             []ExplainedRule `json:"rules"`
	Channel           Channel         `json:"channel"`
	Locale            string          `json:"locale,omitempty"`
	Timezone          string          `json:"timezone,omitempty"`
	TimezoneDefaulted bool            `json:"timezone_defaulted"`
	WindowsDefaulted  bool            `json:"windows_defaulted"`
	// SendAt and SendAtLocal are the send SendAtSource names: before
	// launch the evaluated send (capacity may still move it), after it
	// the delivery's scheduled_at, or nothing when the launch planned
	// none. Delivery is the delivery a launch wrote, if any.
	SendAt       *time.Time   `json:"send_at,omitempty"`
	SendAtLocal  string       `json:"send_at_local,omitempty"`
	SendAtSource SendAtSource `json:"send_at_source,omitempty"`
	Delivery     *Delivery    `json:"delivery,omitempty"`
	// EvaluatedAt is when Eligible, Reason and Rules were evaluated
	// against the customer's current data.
	EvaluatedAt time.Time `json:"evaluated_at"`
	// Launch is what the launch decided; nil before launch.
	Launch *LaunchDecision `json:"launch,omitempty"`
}

// SendAtSource says which time an explanation's send_at shows.
type SendAtSource string

// Sources of send_at.
const (
	// SendAtEvaluated is the send the evaluation computes now (drafts).
	SendAtEvaluated SendAtSource = "evaluation"
	// SendAtDelivery is the scheduled_at of the delivery a launch wrote.
	SendAtDelivery SendAtSource = "delivery"
)

// LaunchOutcome is what a launch decided for one customer.
type LaunchOutcome string

// Launch outcomes.
const (
	// LaunchPlanned: the launch wrote a delivery (its status may have
	// moved on since).
	LaunchPlanned LaunchOutcome = "planned"
	// LaunchExcluded: the customer was in the audience and left out for
	// the recorded reason.
	LaunchExcluded LaunchOutcome = "excluded"
	// LaunchNotInAudience: the customer was not in the audience at launch
	// (say, created or moved into the segment later).
	LaunchNotInAudience LaunchOutcome = "not_in_audience"
)

// LaunchDecision is a launch's recorded decision for one customer, as it
// was made then, whatever the customer's data says today.
type LaunchDecision struct {
	// DecidedAt is the campaign's launched_at.
	DecidedAt time.Time     `json:"decided_at"`
	Outcome   LaunchOutcome `json:"outcome"`
	// Reason is the exclusion reason, or for a planned customer the
	// delivery's current reason (a skip or expiry), if any.
	Reason Reason `json:"reason,omitempty"`
	// DeliveryID, Status and ScheduledAt describe the delivery of a
	// planned customer as it is now.
	DeliveryID  int64          `json:"delivery_id,omitempty"`
	Status      DeliveryStatus `json:"status,omitempty"`
	ScheduledAt *time.Time     `json:"scheduled_at,omitempty"`
}
