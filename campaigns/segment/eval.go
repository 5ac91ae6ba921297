package segment

import (
	"fmt"
	"strings"
	"time"

	"github.com/candor/candor/models"
)

// Subject is what a rule is evaluated against: one customer and the
// current status of each topic it has a consent record for (topics not in
// the map are "none").
type Subject struct {
	Customer *models.Customer
	Consents map[string]models.ConsentStatus
}

// Matches reports whether the subject is a member of the rule's segment at
// time now (which within_last and not_within_last are relative to).
func Matches(r *models.Rule, s Subject, now time.Time) bool {
	return Explain(r, s, now).Result
}

// Explain evaluates the rule against the subject without short-circuiting,
// so every node reports its result and the value that decided it. It is
// independent of the SQL compilers in store/, which tests hold to it.
func Explain(r *models.Rule, s Subject, now time.Time) *models.RuleExplanation {
	now = now.UTC().Truncate(time.Microsecond)
	return explain(r, s, now)
}

func explain(r *models.Rule, s Subject, now time.Time) *models.RuleExplanation {
	e := &models.RuleExplanation{Pointer: r.Pointer, Kind: r.Kind}
	switch r.Kind {
	case models.RuleCondition:
		c := r.Cond
		e.Field, e.Op, e.Value = c.Field, c.Op, c.Value.Raw
		e.Result, e.Actual, e.Reason = evalCondition(c, s, now)
		return e
	case models.RuleNot:
		child := explain(r.Children[0], s, now)
		e.Children = []*models.RuleExplanation{child}
		e.Result, e.DecidedBy = !child.Result, child.Pointer
		e.Reason = fmt.Sprintf("negates %s", child.Pointer)
		return e
	}
	// all is decided by its first false child, any by its first true one;
	// without one, every child agreed and the last one is named.
	decisive := r.Kind == models.RuleAny
	e.Result = !decisive
	for _, child := range r.Children {
		ce := explain(child, s, now)
		e.Children = append(e.Children, ce)
		if ce.Result == decisive && e.DecidedBy == "" {
			e.Result, e.DecidedBy = decisive, ce.Pointer
		}
	}
	switch {
	case e.DecidedBy != "" && r.Kind == models.RuleAll:
		e.Reason = "a condition is false"
	case e.DecidedBy != "":
		e.Reason = "a condition is true"
	case r.Kind == models.RuleAll:
		e.Reason = "every condition is true"
	default:
		e.Reason = "no condition is true"
	}
	if e.DecidedBy == "" && len(e.Children) > 0 {
		e.DecidedBy = e.Children[len(e.Children)-1].Pointer
	}
	return e
}

// evalCondition returns the result, the customer's value that decided it
// (nil when the customer has none) and a short reason.
func evalCondition(c *models.Condition, s Subject, now time.Time) (bool, any, string) {
	switch c.Kind {
	case models.FieldConsent:
		status, ok := s.Consents[c.Topic]
		if !ok || status == "" {
			status = models.ConsentNone
		}
		var hit bool
		switch c.Op {
		case models.OpEq, models.OpNe:
			hit = string(status) == c.Value.Str
		case models.OpIn, models.OpNotIn:
			hit = listHas(c.Value.List, string(status))
		}
		if c.Op == models.OpNe || c.Op == models.OpNotIn {
			hit = !hit
		}
		return hit, string(status), reasonOf(hit, "consent status compared")
	case models.FieldTime:
		t := s.Customer.CreatedAt
		if c.Column == "updated_at" {
			t = s.Customer.UpdatedAt
		}
		t = t.UTC().Truncate(time.Microsecond)
		var hit bool
		switch c.Op {
		case models.OpBefore:
			hit = t.Before(c.Value.Time)
		case models.OpAfter:
			hit = t.After(c.Value.Time)
		case models.OpWithinLast:
			hit = t.After(now.Add(-c.Value.Duration))
		case models.OpNotWithinLast:
			hit = !t.After(now.Add(-c.Value.Duration))
		}
		return hit, t.Format(time.RFC3339Nano), reasonOf(hit, "timestamp compared")
	case models.FieldText:
		v := TextField(s.Customer, c.Column)
		if v == "" {
			return compareAbsent(c.Op)
		}
		return compare(c, v)
	}
	v, present := AttributeAt(s.Customer.Attributes, c.Path)
	if !present || v == nil {
		hit, _, reason := compareAbsent(c.Op)
		if present {
			return hit, nil, strings.Replace(reason, "no value", "null value", 1)
		}
		return hit, nil, reason
	}
	return compare(c, v)
}

// TextField returns a customer's text field by rule name ("" if empty).
// email_domain is the part of the email after its last "@".
func TextField(c *models.Customer, column string) string {
	switch column {
	case "locale":
		return c.Locale
	case "timezone":
		return c.Timezone
	case "preferred_channel":
		return string(c.PreferredChannel)
	case "email_domain":
		return c.Email[strings.LastIndexByte(c.Email, '@')+1:]
	}
	return ""
}

// AttributeAt walks path through nested objects. present is false when a
// key is missing or an intermediate value is not an object (arrays are
// never indexed by a path).
func AttributeAt(attrs map[string]any, path []string) (v any, present bool) {
	var cur any = attrs
	for _, key := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[key]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// compareAbsent decides a condition on a missing or null value: only
// not_exists matches, every comparison is false.
func compareAbsent(op models.Operator) (bool, any, string) {
	if op == models.OpNotExists {
		return true, nil, "the customer has no value"
	}
	return false, nil, "the customer has no value"
}

// compare decides a condition on a present value, with typed semantics: a
// value of another JSON type never matches, whatever the operator.
func compare(c *models.Condition, actual any) (bool, any, string) {
	switch c.Op {
	case models.OpExists:
		return true, actual, "the customer has a value"
	case models.OpNotExists:
		return false, actual, "the customer has a value"
	case models.OpContains:
		if arr, ok := actual.([]any); ok {
			for _, item := range arr {
				if scalarEqual(c.Value, item) {
					return true, actual, "the list holds the value"
				}
			}
			return false, actual, "the list does not hold the value"
		}
		s, ok := actual.(string)
		if !ok || c.Value.Type != models.ValueString {
			return false, actual, mismatch(c.Value.Type, actual)
		}
		hit := strings.Contains(s, c.Value.Str)
		return hit, actual, reasonOf(hit, "substring searched")
	case models.OpStartsWith:
		s, ok := actual.(string)
		if !ok {
			return false, actual, mismatch(models.ValueString, actual)
		}
		hit := strings.HasPrefix(s, c.Value.Str)
		return hit, actual, reasonOf(hit, "prefix compared")
	case models.OpIn, models.OpNotIn:
		if typeOf(actual) != c.Value.ListType {
			return false, actual, mismatch(c.Value.ListType, actual)
		}
		hit := false
		for _, v := range c.Value.List {
			hit = hit || scalarEqual(v, actual)
		}
		if c.Op == models.OpNotIn {
			hit = !hit
		}
		return hit, actual, reasonOf(hit, "list membership checked")
	}
	if typeOf(actual) != c.Value.Type {
		return false, actual, mismatch(c.Value.Type, actual)
	}
	var cmp int
	switch a := actual.(type) {
	case string:
		cmp = strings.Compare(a, c.Value.Str)
	case float64:
		switch {
		case a < c.Value.Num:
			cmp = -1
		case a > c.Value.Num:
			cmp = 1
		}
	case bool:
		if a != c.Value.Bool {
			cmp = 1
		}
	}
	var hit bool
	switch c.Op {
	case models.OpEq:
		hit = cmp == 0
	case models.OpNe:
		hit = cmp != 0
	case models.OpLt:
		hit = cmp < 0
	case models.OpLte:
		hit = cmp <= 0
	case models.OpGt:
		hit = cmp > 0
	case models.OpGte:
		hit = cmp >= 0
	}
	return hit, actual, reasonOf(hit, "values compared")
}

// typeOf names the JSON type of a decoded value as a ValueType ("" for
// arrays, objects and null, which no scalar operand matches).
func typeOf(v any) models.ValueType {
	switch v.(type) {
	case string:
		return models.ValueString
	case float64:
		return models.ValueNumber
	case bool:
		return models.ValueBool
	}
	return ""
}

func scalarEqual(v models.Value, actual any) bool {
	switch a := actual.(type) {
	case string:
		return v.Type == models.ValueString && v.Str == a
	case float64:
		return v.Type == models.ValueNumber && v.Num == a
	case bool:
		return v.Type == models.ValueBool && v.Bool == a
	}
	return false
}

func listHas(list []models.Value, s string) bool {
	for _, v := range list {
		if v.Str == s {
			return true
		}
	}
	return false
}

func mismatch(want models.ValueType, actual any) string {
	got := map[bool]string{true: "an array", false: "an object"}[isArray(actual)]
	if t := typeOf(actual); t != "" {
		got = "a " + string(t)
	}
	return fmt.Sprintf("the customer's value is %s, the rule compares a %s: typed comparisons do not match", got, want)
}

func isArray(v any) bool { _, ok := v.([]any); return ok }

func reasonOf(hit bool, what string) string {
	if hit {
		return what + ": match"
	}
	return what + ": no match"
}
