package models

import "time"

// StaleContentDays is how many whole days after its as_of a content
// version's facts count as stale: the pricing.stale check's limit
// (docs/content.md), applied here to what was actually sent.
const StaleContentDays = 90

// ContentHealth is how honest the content sent over a period stayed:
// messages that carried facts past their as_of plus StaleContentDays,
// the warnings approvers acknowledged, and the corrections sent.
type ContentHealth struct {
	StaleAfterDays int `json:"stale_after_days"`
	// StaleSends counts messages sent in the period more than
	// StaleAfterDays (whole UTC days) after the as_of of the version they
	// carried; Stale lists those versions, most such messages first.
	StaleSends int64          `json:"stale_sends"`
	Stale      []StaleContent `json:"stale"`
	// Approvals counts the versions approved in the period, and
	// ApprovalsWithWarnings those whose approver acknowledged at least
	// one warning; WarningsAcknowledged is the sum over all of them, and
	// WarningsByRule per rule id.
	Approvals             int64            `json:"approvals"`
	ApprovalsWithWarnings int64            `json:"approvals_with_warnings"`
	WarningsAcknowledged  int64            `json:"warnings_acknowledged"`
	WarningsByRule        map[string]int64 `json:"warnings_by_rule"`
	// CorrectionsSent counts messages of content of kind correction sent
	// in the period, and CorrectionItems the distinct corrections.
	CorrectionsSent int64 `json:"corrections_sent"`
	CorrectionItems int64 `json:"correction_items"`
	// ActiveStale lists the campaigns scheduled, running or paused when
	// the report is read whose pinned version's as_of is more than
	// StaleAfterDays before the period's end: stale content still in use.
	ActiveStale []ActiveContent `json:"active_stale"`
}

// ActiveContent is a campaign that may still send, with the content
// version it pinned.
type ActiveContent struct {
	CampaignID int64         `json:"campaign_id"`
	State      CampaignState `json:"state"`
	ContentID  int64         `json:"content_id"`
	Version    int           `json:"version"`
	Title      string        `json:"title"`
	AsOf       string        `json:"as_of"`
}

// StaleAt reports whether the version's facts are stale on t's UTC date:
// more than StaleContentDays whole days after as_of (never without one).
func (a ActiveContent) StaleAt(t time.Time) bool {
	return ContentSendDay{AsOf: a.AsOf, Day: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}.StaleOn()
}

// StaleContent is a content version sent past its as_of plus
// StaleContentDays in the period, with how many such messages.
type StaleContent struct {
	ContentID int64  `json:"content_id"`
	Version   int    `json:"version"`
	Title     string `json:"title"`
	AsOf      string `json:"as_of"`
	Sends     int64  `json:"sends"`
}

// ContentSendDay counts the messages of one content version sent on one
// UTC day, with what the version says of itself, as storage aggregates
// them (bounded by versions x days, whatever the deliveries' number).
type ContentSendDay struct {
	ContentID int64
	Version   int
	Kind      ContentKind
	Title     string
	AsOf      string // YYYY-MM-DD, "" when the version has none
	Day       time.Time
	Count     int64
}

// StaleOn reports whether a message of d's version sent on d's day
// carried stale facts: more than StaleContentDays whole days after as_of.
// A version without a readable as_of is never stale.
func (d ContentSendDay) StaleOn() bool {
	asOf, err := ParseAsOf(d.AsOf)
	return err == nil && d.Day.Sub(asOf) > StaleContentDays*24*time.Hour
}

// ContentApproval is one approved version with the warnings its
// approver acknowledged.
type ContentApproval struct {
	ContentID  int64
	Version    int
	ApprovedAt time.Time
	Warnings   []string
}

// DayCount is a count of something on one UTC day.
type DayCount struct {
	Day   time.Time
	Count int64
}
