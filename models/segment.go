package models

import (
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

// RuleKind says what a node of a segment rule is.
type RuleKind string

// Rule node kinds: three groups and the leaf condition.
const (
	RuleAll       RuleKind = "all"
	RuleAny       RuleKind = "any"
	RuleNot       RuleKind = "not"
	RuleCondition RuleKind = "condition"
)

// Rule is one node of a parsed segment rule. Groups have Children (exactly
// one for RuleNot); a condition has Cond. Pointer is the node's JSON
// pointer in the request ("/rule/all/2"), used in errors and explanations.
type Rule struct {
	Kind     RuleKind
	Pointer  string
	Children []*Rule
	Cond     *Condition
}

// FieldKind is the family of a condition's field, which decides the
// operators and value types it accepts.
type FieldKind string

// Field kinds.
const (
	FieldAttribute FieldKind = "attribute" // attributes.<path>
	FieldText      FieldKind = "text"      // locale, timezone, preferred_channel, email_domain
	FieldTime      FieldKind = "time"      // created_at, updated_at
	FieldConsent   FieldKind = "consent"   // consent.<topic>
)

// Operator is a condition's comparison.
type Operator string

// Operators of the rule language.
const (
	OpEq            Operator = "eq"
	OpNe            Operator = "ne"
	OpIn            Operator = "in"
	OpNotIn         Operator = "not_in"
	OpLt            Operator = "lt"
	OpLte           Operator = "lte"
	OpGt            Operator = "gt"
	OpGte           Operator = "gte"
	OpContains      Operator = "contains"
	OpStartsWith    Operator = "starts_with"
	OpExists        Operator = "exists"
	OpNotExists     Operator = "not_exists"
	OpBefore        Operator = "before"
	OpAfter         Operator = "after"
	OpWithinLast    Operator = "within_last"
	OpNotWithinLast Operator = "not_within_last"
)

// ValueType is the JSON type of a condition's value. Comparisons are
// typed: a value only ever matches a customer value of the same type.
type ValueType string

// Value types.
const (
	ValueString   ValueType = "string"
	ValueNumber   ValueType = "number"
	ValueBool     ValueType = "boolean"
	ValueList     ValueType = "list"     // in, not_in: scalars of one type
	ValueTime     ValueType = "time"     // before, after
	ValueDuration ValueType = "duration" // within_last, not_within_last
	ValueNone     ValueType = ""         // exists, not_exists
)

// Value is a condition's typed operand.
type Value struct {
	Type     ValueType
	Str      string
	Num      float64
	Bool     bool
	List     []Value // all of ListType
	ListType ValueType
	Time     time.Time     // UTC, microsecond precision
	Duration time.Duration // positive
	// Raw is the value as written, for explanations.
	Raw any
}

// Condition is a leaf of a rule: Field Op Value.
type Condition struct {
	Field  string // as written, e.g. "attributes.plan"
	Kind   FieldKind
	Path   []string // FieldAttribute: keys below attributes
	Column string   // FieldText, FieldTime: the field name
	Topic  string   // FieldConsent: the topic key
	Op     Operator
	Value  Value
}

// RuleExplanation is one node of a rule evaluated against one customer.
// For a condition, Actual is the customer's value that decided the result
// (absent when the customer has none); for a group, DecidedBy points at the
// child that decided it (the first false child of all, the first true
// child of any).
type RuleExplanation struct {
	Pointer   string             `json:"pointer"`
	Kind      RuleKind           `json:"kind"`
	Result    bool               `json:"result"`
	Field     string             `json:"field,omitempty"`
	Op        Operator           `json:"op,omitempty"`
	Value     any                `json:"value,omitempty"`
	Actual    any                `json:"actual,omitempty"`
	Reason    string             `json:"reason"`
	DecidedBy string             `json:"decided_by,omitempty"`
	Children  []*RuleExplanation `json:"children,omitempty"`
}
