package segment

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/candor/candor/models"
)

// MaxDuration is the longest within_last or not_within_last duration:
// ten years, counted as 3650 days of 24 hours. It is the one limit for
// every unit: 5256000m, 87600h, 3650d, and 521w (3647 days, the most
// whole weeks within it).
const MaxDuration = 3650 * 24 * time.Hour

// durationRE is a positive whole number without leading zeros and a unit.
var durationRE = regexp.MustCompile(`^([1-9][0-9]*)([mhdw])$`)

// durationUnits are the lengths of the duration units.
var durationUnits = map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}

// ParseDuration parses a rule duration: a positive whole number of minutes,
// hours, days or weeks without leading zeros ("90m", "12h", "30d", "2w").
// The error is strconv.ErrSyntax for anything else and strconv.ErrRange
// for a duration longer than MaxDuration.
func ParseDuration(s string) (time.Duration, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return 0, strconv.ErrSyntax
	}
	unit := durationUnits[m[2]]
	// Compare the count before multiplying: 106752d already wraps int64
	// nanoseconds into a negative duration that would pass a check made
	// afterwards. n <= MaxDuration/unit is exactly n*unit <= MaxDuration.
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > int64(MaxDuration/unit) {
		return 0, strconv.ErrRange
	}
	return time.Duration(n) * unit, nil
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
		switch {
		case !ok || errors.Is(err, strconv.ErrSyntax):
			p.problems.Add(at, "format", `must be an RFC 3339 timestamp such as "2025-01-31T09:00:00Z" or "2025-01-31T09:00:00.5+01:00" `+
				`(upper-case T and Z, at most 9 fractional digits after a ".", an offset from -23:59 to +23:59) or a date ("2025-01-31", midnight UTC)`)
			return false
		case err != nil:
			p.problems.Add(at, "range", "must lie between %s and %s once converted to UTC, got %s",
				MinTime.Format(time.RFC3339Nano), MaxTime.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
			return false
		}
		c.Value.Type, c.Value.Time = models.ValueTime, roundFor(c.Op, t)
		return true
	case models.OpWithinLast, models.OpNotWithinLast:
		s, _ := raw.(string)
		d, err := ParseDuration(s)
		switch {
		case errors.Is(err, strconv.ErrRange):
			p.problems.Add(at, "range", "must be at most 10 years, counted as %d days (%dm, %dh, %dd; at most %dw)", MaxDuration/durationUnits["d"],
				MaxDuration/durationUnits["m"], MaxDuration/durationUnits["h"], MaxDuration/durationUnits["d"], MaxDuration/durationUnits["w"])
			return false
		case err != nil:
			p.problems.Add(at, "format", `must be a positive whole number of minutes, hours, days or weeks without leading zeros, such as "90m", "12h", "30d" or "2w"`)
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

// MinTime and MaxTime are the first and last instants a before or after
// value may name once converted to UTC: the years 0001-9999, at the
// microsecond precision the store keeps timestamps in. Checking after the
// conversion matters: "9999-12-31T23:59:59-01:00" is in the year 10000,
// which SQLite, comparing timestamps as text, would sort before "2026".
var (
	MinTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// timeRE is the subset of RFC 3339 that rules accept, checked before
// time.Parse, which also takes "," as the decimal separator, offsets of
// +24:00 or minutes of 60, and more than nine fractional digits (silently
// truncated). A bare date is midnight UTC.
var timeRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$`)

// parseTime parses a before/after value into UTC at full (nanosecond)
// precision. The error is strconv.ErrSyntax for text outside timeRE or
// not a valid date and time, and strconv.ErrRange, with the instant, for
// one outside MinTime..MaxTime.
func parseTime(s string) (time.Time, error) {
	m := timeRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, strconv.ErrSyntax
	}
	layout := time.RFC3339Nano
	if m[1] == "" {
		layout = time.DateOnly
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, strconv.ErrSyntax
	}
	t = t.UTC()
	if t.Before(MinTime) || t.After(MaxTime) {
		return t, strconv.ErrRange
	}
	return t, nil
}

// roundFor rounds a before/after value to whole microseconds in the
// direction that keeps op exact: customer timestamps are whole
// microseconds, so a customer is before t exactly when it is before t
// rounded up, and after t exactly when it is after t rounded down. Both
// the SQL compilers and the Go evaluator compare with the rounded value,
// which stays within MinTime..MaxTime because both are whole microseconds.
func roundFor(op models.Operator, t time.Time) time.Time {
	r := t.Truncate(time.Microsecond)
	if op == models.OpBefore && r.Before(t) {
		r = r.Add(time.Microsecond)
	}
	return r
}
