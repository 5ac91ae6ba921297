package models

import (
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// Segment is a saved audience: a rule over customer fields, attributes and
// consent (see docs/segments.md). Rule is the JSON the client sent,
// compacted (PostgreSQL may also reorder object keys).
type Segment struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Rule        json.RawMessage `json:"rule"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// SegmentInput is the writable part of a segment (POST and PUT
// /v1/segments). The rule is checked by segment.ParseRule.
type SegmentInput struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Rule        json.RawMessage `json:"rule"`
}

// Validate checks name and description (EINVALID, rules "length",
// "max_length", "text", "required"); the rule is validated where it is
// parsed, because only the parser knows its grammar.
func (in *SegmentInput) Validate() error {
	var p Problems
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 200 {
		p.Add("/name", "length", "is required and must be at most 200 characters")
	} else {
		checkText(&p, "/name", in.Name)
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		p.Add("/description", "max_length", "must be at most 2000 characters")
	} else {
		checkText(&p, "/description", in.Description)
	}
	if len(in.Rule) == 0 || string(in.Rule) == "null" {
		p.Add("/rule", "required", "is required")
	}
	return p.Err()
}

// MaxPreviewSample bounds the sample of a preview.
const MaxPreviewSample = 20

// SegmentPreview is the answer of a preview: how many live customers match
// and up to MaxPreviewSample of them, in creation order.
type SegmentPreview struct {
	Count  int64       `json:"count"`
	Sample []*Customer `json:"sample"`
}

// SegmentService stores segments and evaluates their rules against the
// customer base. Rules are parsed (and rejected with EINVALID naming the
// JSON pointer of the bad node) before anything is stored or queried.
type SegmentService interface {
	// Segment returns one segment. ENOTFOUND.
	Segment(ctx context.Context, id int64) (*Segment, error)
	// Segments lists segments by id. EINVALID for a bad cursor.
	Segments(ctx context.Context, page Page) (items []*Segment, nextCursor string, err error)
	// CreateSegment stores a new segment. EINVALID for a bad name,
	// description or rule, or a consent condition on an unknown topic.
	CreateSegment(ctx context.Context, in *SegmentInput) (*Segment, error)
	// UpdateSegment replaces name, description and rule. EINVALID;
	// ENOTFOUND.
	UpdateSegment(ctx context.Context, id int64, in *SegmentInput) (*Segment, error)
	// DeleteSegment deletes a segment. ENOTFOUND.
	DeleteSegment(ctx context.Context, id int64) error
	// PreviewRule counts the live customers matching an ad-hoc rule and
	// samples a few, writing nothing. EINVALID for a bad rule.
	PreviewRule(ctx context.Context, rule json.RawMessage) (*SegmentPreview, error)
	// SegmentPreview is PreviewRule for a saved segment. ENOTFOUND.
	SegmentPreview(ctx context.Context, id int64) (*SegmentPreview, error)
	// SegmentCustomers lists a segment's live members in creation order,
	// one page at a time. ENOTFOUND; EINVALID for a bad cursor.
	SegmentCustomers(ctx context.Context, id int64, page Page) (items []*Customer, nextCursor string, err error)
	// ExplainSegment evaluates a segment's rule against one customer and
	// returns the rule tree with each node's result and the value that
	// decided it. ENOTFOUND for an unknown segment or customer.
	ExplainSegment(ctx context.Context, id int64, externalID string) (*RuleExplanation, error)
}
