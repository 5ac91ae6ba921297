// Package campaigns is Candor's framework-free domain: segment rules,
// eligibility, scheduling and send-time guardrails. It imports no gin,
// asynq or gorm (CI checks), so every rule here is testable in isolation.
package segment

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/candor/candor/models"
)

// Limits of the rule language, so one segment cannot make evaluation or
// the generated SQL unboundedly large. Storage joins consents once per
// distinct topic a rule names, so MaxRuleTopics bounds the joins of a
// statement whatever the number of consent conditions.
const (
	MaxRuleDepth      = 10
	MaxRuleConditions = 200
	MaxRuleTopics     = 20
	MaxListValues     = 1000
	MaxValueLength    = 1000
	MaxAttributePath  = models.MaxAttributesDepth
)

var pathSegmentRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// textFields are the customer columns compared as text, and timeFields the
// timestamp columns. Both are fixed identifiers: user text never names a
// column.
var (
	textFields = map[string]bool{"locale": true, "timezone": true, "preferred_channel": true, "email_domain": true}
	timeFields = map[string]bool{"created_at": true, "updated_at": true}
)

// opsByKind lists the operators each family of fields accepts.
var opsByKind = map[models.FieldKind][]models.Operator{
	models.FieldAttribute: {models.OpEq, models.OpNe, models.OpIn, models.OpNotIn, models.OpLt, models.OpLte,
		models.OpGt, models.OpGte, models.OpContains, models.OpStartsWith, models.OpExists, models.OpNotExists},
	models.FieldText: {models.OpEq, models.OpNe, models.OpIn, models.OpNotIn, models.OpLt, models.OpLte,
		models.OpGt, models.OpGte, models.OpContains, models.OpStartsWith, models.OpExists, models.OpNotExists},
	models.FieldTime:    {models.OpBefore, models.OpAfter, models.OpWithinLast, models.OpNotWithinLast},
	models.FieldConsent: {models.OpEq, models.OpNe, models.OpIn, models.OpNotIn},
}

// knownOps is every operator of the language, to tell "unknown operator"
// from "operator not allowed for this field".
var knownOps = func() map[models.Operator]bool {
	m := map[models.Operator]bool{}
	for _, ops := range opsByKind {
		for _, op := range ops {
			m[op] = true
		}
	}
	return m
}()

// ConsentValues are the statuses a consent condition may name
// (models.ConsentConditionValues).
var ConsentValues = models.ConsentConditionValues

// ParseRule parses a rule document into its typed tree. at is the JSON
// pointer of the rule in the request ("/rule"); every problem names the
// pointer of the bad node and why, e.g. `/rule/all/2/op: unknown operator
// "equals"`. EMALFORMED for text that is not JSON; EINVALID for invalid
// UTF-8, a string value with a NUL, or JSON that breaks the grammar or
// the limits (depth 10, 200 conditions).
func ParseRule(raw []byte, at string) (*models.Rule, error) {
	// The decoder would quietly turn invalid bytes into U+FFFD, so a rule
	// would match other text than its author wrote: refuse it instead.
	if !utf8.Valid(raw) {
		var p models.Problems
		p.Add(at, "text", "must be valid UTF-8")
		return nil, p.Err()
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, models.Errorf(models.EMALFORMED, "The rule is not valid JSON.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, models.Errorf(models.EMALFORMED, "The rule has data after its JSON value.")
	}
	p := &parser{}
	rule := p.node(doc, at, 1)
	if p.conditions > MaxRuleConditions {
		p.problems.Add(at, "max_conditions", "has %d conditions; a rule may have at most %d", p.conditions, MaxRuleConditions)
	}
	if len(p.topics) > MaxRuleTopics {
		p.problems.Add(at, "max_topics", "names %d consent topics; a rule may name at most %d", len(p.topics), MaxRuleTopics)
	}
	if err := p.problems.Err(); err != nil {
		return nil, err
	}
	return rule, nil
}

type parser struct {
	problems   models.Problems
	conditions int
	tooDeep    bool
	// topics are the distinct consent topics the rule names.
	topics map[string]bool
}

func (p *parser) node(v any, at string, depth int) *models.Rule {
	obj, ok := v.(map[string]any)
	if !ok {
		p.problems.Add(at, "type", `must be an object: a group {"all": [...]}, {"any": [...]}, {"not": {...}} or a condition {"field", "op", "value"}`)
		return nil
	}
	for _, kind := range []models.RuleKind{models.RuleAll, models.RuleAny, models.RuleNot} {
		child, ok := obj[string(kind)]
		if !ok {
			continue
		}
		if len(obj) != 1 {
			p.problems.Add(at, "group", "a group node has exactly one key (%q here), found %d", kind, len(obj))
			return nil
		}
		return p.group(kind, child, at, depth)
	}
	return p.condition(obj, at)
}

func (p *parser) group(kind models.RuleKind, v any, at string, depth int) *models.Rule {
	r := &models.Rule{Kind: kind, Pointer: at}
	if depth >= MaxRuleDepth {
		if !p.tooDeep {
			p.problems.Add(at, "max_depth", "rules may nest at most %d levels deep", MaxRuleDepth)
			p.tooDeep = true
		}
		return nil
	}
	at += "/" + string(kind)
	if kind == models.RuleNot {
		r.Children = []*models.Rule{p.node(v, at, depth+1)}
		return r
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		p.problems.Add(at, "type", "must be a non-empty array of rules")
		return nil
	}
	for i, child := range list {
		r.Children = append(r.Children, p.node(child, at+"/"+strconv.Itoa(i), depth+1))
	}
	return r
}

func (p *parser) condition(obj map[string]any, at string) *models.Rule {
	p.conditions++
	bad := false
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		if key != "field" && key != "op" && key != "value" {
			p.problems.Add(at+"/"+escapePointer(key), "unknown_field", `is not part of a condition (field, op, value) or a group (all, any, not)`)
			bad = true
		}
	}
	c := &models.Condition{}
	field, ok := obj["field"].(string)
	switch {
	case obj["field"] == nil:
		p.problems.Add(at+"/field", "required", "is required")
		return nil
	case !ok:
		p.problems.Add(at+"/field", "type", "must be a string")
		return nil
	case !p.field(c, field, at+"/field"):
		return nil
	}
	op, ok := obj["op"].(string)
	switch {
	case obj["op"] == nil:
		p.problems.Add(at+"/op", "required", "is required")
		return nil
	case !ok:
		p.problems.Add(at+"/op", "type", "must be a string")
		return nil
	case !knownOps[models.Operator(op)]:
		p.problems.Add(at+"/op", "enum", "unknown operator %q", op)
		return nil
	}
	c.Op = models.Operator(op)
	allowed := false
	for _, o := range opsByKind[c.Kind] {
		allowed = allowed || o == c.Op
	}
	if !allowed {
		p.problems.Add(at+"/op", "enum", "operator %q does not apply to field %q (allowed: %s)", op, field, joinOps(opsByKind[c.Kind]))
		return nil
	}
	raw, has := obj["value"]
	if c.Op == models.OpExists || c.Op == models.OpNotExists {
		if has {
			p.problems.Add(at+"/value", "forbidden", "must be omitted for %s", op)
			return nil
		}
	} else if !has {
		p.problems.Add(at+"/value", "required", "is required for %s", op)
		return nil
	} else if !p.value(c, raw, at+"/value") {
		return nil
	}
	if bad {
		return nil
	}
	return &models.Rule{Kind: models.RuleCondition, Pointer: at, Cond: c}
}

// field resolves a field name into its kind and path, or records why not.
func (p *parser) field(c *models.Condition, field, at string) bool {
	c.Field = field
	switch {
	case strings.HasPrefix(field, "attributes."):
		c.Kind = models.FieldAttribute
		c.Path = strings.Split(strings.TrimPrefix(field, "attributes."), ".")
		if len(c.Path) > MaxAttributePath {
			p.problems.Add(at, "format", "attribute paths have at most %d segments, got %d", MaxAttributePath, len(c.Path))
			return false
		}
		for _, seg := range c.Path {
			if !pathSegmentRE.MatchString(seg) {
				p.problems.Add(at, "format", "attribute path segments must be 1-64 letters, digits or underscores, got %q", seg)
				return false
			}
		}
	case strings.HasPrefix(field, "consent."):
		c.Kind = models.FieldConsent
		c.Topic = strings.TrimPrefix(field, "consent.")
		if !models.ValidTopicKey(c.Topic) {
			p.problems.Add(at, "format", "%q is not a valid topic key", c.Topic)
			return false
		}
		if p.topics == nil {
			p.topics = map[string]bool{}
		}
		p.topics[c.Topic] = true
	case textFields[field]:
		c.Kind, c.Column = models.FieldText, field
	case timeFields[field]:
		c.Kind, c.Column = models.FieldTime, field
	default:
		p.problems.Add(at, "enum", "unknown field %q (use attributes.<path>, consent.<topic>, locale, timezone, preferred_channel, email_domain, created_at or updated_at)", field)
		return false
	}
	return true
}

func joinOps(ops []models.Operator) string {
	s := make([]string, len(ops))
	for i, op := range ops {
		s[i] = string(op)
	}
	return strings.Join(s, ", ")
}

// escapePointer escapes a JSON pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
