package models

import (
	"time"
)

// ContentKind decides which honesty checks apply to a piece of content.
type ContentKind string

// Content kinds.
const (
	KindRoadmap              ContentKind = "roadmap"
	KindCompetitorComparison ContentKind = "competitor_comparison"
	KindPricingGuide         ContentKind = "pricing_guide"
	KindAlternatives         ContentKind = "alternatives"
	KindEducation            ContentKind = "education"
	KindCorrection           ContentKind = "correction"
)

// ContentKinds lists every kind in a stable order.
var ContentKinds = []ContentKind{KindRoadmap, KindCompetitorComparison, KindPricingGuide, KindAlternatives, KindEducation, KindCorrection}

// ContentState is where content stands in the approval workflow.
type ContentState string

// Workflow states: draft -> in_review -> approved -> retired. A rejected
// review returns to draft; editing approved content starts a new draft
// version while the approved one stays sendable.
const (
	ContentDraft    ContentState = "draft"
	ContentInReview ContentState = "in_review"
	ContentApproved ContentState = "approved"
	ContentRetired  ContentState = "retired"
)

// Verdict says who wins one aspect of a competitor comparison.
type Verdict string

// Verdicts of a comparison point.
const (
	VerdictOursBetter   Verdict = "ours_better"
	VerdictTheirsBetter Verdict = "theirs_better"
	VerdictEqual        Verdict = "equal"
)

// Variant is the text of content for one (locale, channel). Email uses
// Subject, Text and optionally HTML; sms uses Text; webhook uses Title and
// Text. Text and HTML are templates (see content.ValidateTemplates).
type Variant struct {
	Locale  string  `json:"locale"`
	Channel Channel `json:"channel"`
	Subject string  `json:"subject,omitempty"`
	Text    string  `json:"text"`
	HTML    string  `json:"html,omitempty"`
	Title   string  `json:"title,omitempty"`
}

// Source backs a claim: where a fact comes from and when it was read.
type Source struct {
	Title      string     `json:"title"`
	URL        string     `json:"url"`
	AccessedAt *time.Time `json:"accessed_at,omitempty"`
}

// Point is one aspect of a competitor comparison. Source is a URL.
type Point struct {
	Aspect  string  `json:"aspect"`
	Ours    string  `json:"ours"`
	Theirs  string  `json:"theirs"`
	Verdict Verdict `json:"verdict"`
	Source  string  `json:"source"`
}

// Price is one entry of a pricing guide. Amount is a decimal string such
// as "29.00"; an open-ended "from 29" price should give MaxAmount too.
type Price struct {
	Vendor    string   `json:"vendor"`
	Plan      string   `json:"plan"`
	Amount    string   `json:"amount"`
	MaxAmount string   `json:"max_amount,omitempty"`
	Currency  string   `json:"currency"`
	Period    string   `json:"period"`
	Includes  []string `json:"includes,omitempty"`
	Source    string   `json:"source"`
}

// ContentInput is the editable body of content, as sent to POST and PUT
// /v1/content. A PUT replaces the whole body.
type ContentInput struct {
	Kind          ContentKind `json:"kind"`
	Topic         string      `json:"topic"`
	Title         string      `json:"title"`
	Summary       string      `json:"summary"`
	Corrects      *int64      `json:"corrects,omitempty"`
	DefaultLocale string      `json:"default_locale"`
	Variants      []Variant   `json:"variants"`
	Sources       []Source    `json:"sources"`
	AsOf          string      `json:"as_of,omitempty"` // YYYY-MM-DD
	ExpiresAt     *time.Time  `json:"expires_at,omitempty"`
	Competitors   []string    `json:"competitors,omitempty"`
	Points        []Point     `json:"points,omitempty"`
	Prices        []Price     `json:"prices,omitempty"`
}

// Content is an item of the content library: its current working body
// (the draft, or the approved text when no draft is open) and where it
// stands in the workflow.
type Content struct {
	ID int64 `json:"id"`
	ContentInput
	State ContentState `json:"state"`
	// Version is the number the working body has or will get on approval.
	Version int `json:"version"`
	// ApprovedVersion is the newest approved version (0 if none): what a
	// campaign launched now would pin.
	ApprovedVersion int `json:"approved_version"`
	// Revision increases on every change, so an approval can prove that
	// it approved the text it checked.
	Revision     int       `json:"revision"`
	EditedBy     int64     `json:"edited_by"`
	RejectReason string    `json:"reject_reason,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// MaxContentVersion is the largest version number storage can hold (a
// 32-bit column on both backends). A larger number names no version: a
// path is ENOTFOUND, a body value EINVALID (rule "range").
const MaxContentVersion = 1<<31 - 1

// ContentVersion is an approved, immutable version of content. Deliveries
// refer to it so they always show exactly what was sent.
type ContentVersion struct {
	ContentID int64 `json:"content_id"`
	Version   int   `json:"version"`
	ContentInput
	EditedBy             int64     `json:"edited_by"`
	ApprovedBy           int64     `json:"approved_by"`
	AcknowledgedWarnings []string  `json:"acknowledged_warnings"`
	ApprovedAt           time.Time `json:"approved_at"`
}

// Severity of a finding: errors block approval, warnings must be
// acknowledged by the approver.
type Severity string

// Finding severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one result of the honesty and readability checks. Rule is a
// stable id (documented in docs/content.md); Location is a JSON pointer
// into the content, with a character offset where one helps.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Location string   `json:"location"`
}

// Approval is an admin's approval of content in review.
type Approval struct {
	// ApprovedBy is the id of the approving API key.
	ApprovedBy           int64
	AcknowledgedWarnings []string
}

// ContentChecker runs the honesty and readability checks on content.
type ContentChecker func(c *Content) []Finding
