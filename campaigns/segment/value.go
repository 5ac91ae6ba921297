package segment

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/candor/candor/models"
)

var durationRE = regexp.MustCompile(`^([1-9][0-9]{0,5})([mhdw])$`)

// maxDuration bounds within_last to about ten years.
const maxDuration = 3660 * 24 * time.Hour

// ParseDuration parses a rule duration: a positive whole number of minutes,
// hours, days or weeks ("90m", "12h", "30d", "2w") of at most ten years.
// It reports false for anything else.
func ParseDuration(s string) (time.Duration, bool) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	// Compare before multiplying: 106752d already wraps int64 nanoseconds
	// into a negative duration that would pass a check made afterwards.
	if time.Duration(n) > maxDuration/unit {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// value checks raw against what c's field and operator accept and stores
// the typed value in c.
func (p *parser) value(c *models.Condition, raw any, at string) bool {
	c.Value.Raw = raw
	switch c.Op {
	case models.OpIn, models.OpNotIn:
		list, ok := raw.([]any)
		if !ok || len(list) == 0 || len(list) > MaxListValues {
			p.problems.Add(at, "type", "must be an array of 1 to %d values", MaxListValues)
			return false
		}
		c.Value.Type = models.ValueList
		for i, item := range list {
			v, ok := p.scalar(c, item, at+"/"+strconv.Itoa(i), c.Op)
			if !ok {
				return false
			}
			if i > 0 && v.Type != c.Value.ListType {
				p.problems.Add(at+"/"+strconv.Itoa(i), "type", "must be a %s like the first value: a list holds values of one type", c.Value.ListType)
				return false
			}
			c.Value.ListType = v.Type
			c.Value.List = append(c.Value.List, v)
		}
		return true
	case models.OpBefore, models.OpAfter:
		s, ok := raw.(string)
		t, err := parseTime(s)
		if !ok || err != nil {
			p.problems.Add(at, "format", `must be an RFC 3339 timestamp ("2025-01-31T09:00:00Z") or a date ("2025-01-31", midnight UTC)`)
			return false
		}
		c.Value.Type, c.Value.Time = models.ValueTime, t
		return true
	case models.OpWithinLast, models.OpNotWithinLast:
		s, _ := raw.(string)
		d, ok := ParseDuration(s)
		if !ok {
			p.problems.Add(at, "format", `must be a duration such as "90m", "12h", "30d" or "2w" (at most 10 years)`)
			return false
		}
		c.Value.Type, c.Value.Duration = models.ValueDuration, d
		return true
	}
	v, ok := p.scalar(c, raw, at, c.Op)
	if ok {
		v.Raw = raw
		c.Value = v
	}
	return ok
}

// scalar checks one string, number or boolean operand of op.
func (p *parser) scalar(c *models.Condition, raw any, at string, op models.Operator) (models.Value, bool) {
	var v models.Value
	switch x := raw.(type) {
	case string:
		if utf8.RuneCountInString(x) > MaxValueLength {
			p.problems.Add(at, "max_length", "must be at most %d characters", MaxValueLength)
			return v, false
		}
		// The value becomes a query parameter and part of the stored rule,
		// and PostgreSQL accepts no NUL in either.
		if !models.ValidText(x) {
			p.problems.Add(at, "text", "must be valid UTF-8 text without NUL characters")
			return v, false
		}
		v.Type, v.Str = models.ValueString, x
	case json.Number:
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			p.problems.Add(at, "range", "is not representable as a 64-bit floating point number")
			return v, false
		}
		v.Type, v.Num = models.ValueNumber, f
	case bool:
		v.Type, v.Bool = models.ValueBool, x
	default:
		p.problems.Add(at, "type", "must be a string, number or boolean")
		return v, false
	}
	var allowed []models.ValueType
	switch {
	case c.Kind == models.FieldConsent:
		if v.Type == models.ValueString && validConsentValue(v.Str) {
			return v, true
		}
		p.problems.Add(at, "enum", "must be opted_in, opted_out, pending or none")
		return v, false
	case c.Kind == models.FieldText, op == models.OpStartsWith:
		allowed = []models.ValueType{models.ValueString}
	case op == models.OpLt, op == models.OpLte, op == models.OpGt, op == models.OpGte:
		allowed = []models.ValueType{models.ValueString, models.ValueNumber}
	default:
		allowed = []models.ValueType{models.ValueString, models.ValueNumber, models.ValueBool}
	}
	for _, t := range allowed {
		if t == v.Type {
			return v, true
		}
	}
	p.problems.Add(at, "type", "%s on %s takes a %s value, got a %s", op, c.Field, joinTypes(allowed), v.Type)
	return v, false
}

func validConsentValue(s string) bool {
	for _, st := range ConsentValues {
		if string(st) == s {
			return true
		}
	}
	return false
}

func joinTypes(ts []models.ValueType) string {
	out := ""
	for i, t := range ts {
		if i > 0 {
			out += " or "
		}
		out += string(t)
	}
	return out
}

// parseTime accepts RFC 3339 or a bare date, and returns UTC at the
// microsecond precision the store keeps.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err != nil || t.Year() < 1 || t.Year() > 9999 {
		if err == nil {
			err = strconv.ErrRange
		}
		return time.Time{}, err
	}
	return t.UTC().Truncate(time.Microsecond), nil
}
