package segment_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/models"
)

// The details of malformed and out-of-range time values.
const (
	timeFormat = `must be an RFC 3339 timestamp such as "2025-01-31T09:00:00Z" or "2025-01-31T09:00:00.5+01:00" ` +
		`(upper-case T and Z, at most 9 fractional digits after a ".", an offset from -23:59 to +23:59) or a date ("2025-01-31", midnight UTC)`
	durationFormat = `must be a positive whole number of minutes, hours, days or weeks without leading zeros, such as "90m", "12h", "30d" or "2w"`
	durationRange  = "must be at most 10 years, counted as 3650 days (5256000m, 87600h, 3650d; at most 521w)"
)

func TestParseRuleRejectsBadRulesNamingTheNode(t *testing.T) {
	deep := `{"field":"locale","op":"exists"}`
	for range 10 {
		deep = `{"not":` + deep + `}`
	}
	many := make([]string, 201)
	for i := range many {
		many[i] = `{"field":"locale","op":"exists"}`
	}
	topics := consentConditions(200, 21)
	tests := []struct {
		name string
		rule string
		want []models.FieldError
	}{
		{"an unknown operator names the op of the third child", `{"all":[{"field":"locale","op":"exists"},{"field":"locale","op":"exists"},{"field":"attributes.plan","op":"equals","value":"pro"}]}`,
			[]models.FieldError{{Field: "/rule/all/2/op", Rule: "enum", Detail: `unknown operator "equals"`}}},
		{"an unknown field is rejected", `{"field":"password","op":"eq","value":"x"}`,
			[]models.FieldError{{Field: "/rule/field", Rule: "enum", Detail: `unknown field "password" (use attributes.<path>, consent.<topic>, locale, timezone, preferred_channel, email_domain, created_at or updated_at)`}}},
		{"an attribute path cannot smuggle SQL", `{"field":"attributes.plan') OR 1=1 --","op":"exists"}`,
			[]models.FieldError{{Field: "/rule/field", Rule: "format", Detail: `attribute path segments must be 1-64 letters, digits or underscores, got "plan') OR 1=1 --"`}}},
		{"a consent condition needs a topic key", `{"field":"consent.Bad Topic","op":"eq","value":"opted_in"}`,
			[]models.FieldError{{Field: "/rule/field", Rule: "format", Detail: `"Bad Topic" is not a valid topic key`}}},
		{"a consent value must be a status", `{"field":"consent.product-roadmap","op":"eq","value":"yes"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "enum", Detail: "must be opted_in, opted_out, pending or none"}}},
		{"an operator must suit its field", `{"field":"created_at","op":"eq","value":"x"}`,
			[]models.FieldError{{Field: "/rule/op", Rule: "enum", Detail: `operator "eq" does not apply to field "created_at" (allowed: before, after, within_last, not_within_last)`}}},
		{"a list holds values of one type", `{"field":"attributes.plan","op":"in","value":["pro",1]}`,
			[]models.FieldError{{Field: "/rule/value/1", Rule: "type", Detail: "must be a string like the first value: a list holds values of one type"}}},
		{"exists takes no value", `{"field":"locale","op":"exists","value":"x"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "forbidden", Detail: "must be omitted for exists"}}},
		{"a comparison needs a value", `{"field":"locale","op":"eq"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "required", Detail: "is required for eq"}}},
		{"text fields compare strings only", `{"field":"locale","op":"eq","value":5}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "type", Detail: "eq on locale takes a string value, got a number"}}},
		{"a bad duration is rejected", `{"field":"created_at","op":"within_last","value":"30 days"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: durationFormat}}},
		{"a duration with a leading zero is rejected", `{"field":"created_at","op":"within_last","value":"030d"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: durationFormat}}},
		{"a duration longer than ten years is out of range", `{"field":"created_at","op":"within_last","value":"3651d"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "range", Detail: durationRange}}},
		{"ten years in minutes are not refused for their digit count", `{"field":"created_at","op":"within_last","value":"5256001m"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "range", Detail: durationRange}}},
		{"a timestamp in the year 10000 once in UTC is out of range", `{"field":"created_at","op":"after","value":"9999-12-31T23:59:59-01:00"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "range", Detail: "must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z once converted to UTC, got 10000-01-01T00:59:59Z"}}},
		{"a timestamp in the year 0000 once in UTC is out of range", `{"not":{"field":"updated_at","op":"before","value":"0001-01-01T00:30:00+01:00"}}`,
			[]models.FieldError{{Field: "/rule/not/value", Rule: "range", Detail: "must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z once converted to UTC, got 0000-12-31T23:30:00Z"}}},
		{"a nanosecond past the last microsecond is out of range", `{"field":"created_at","op":"before","value":"9999-12-31T23:59:59.999999001Z"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "range", Detail: "must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z once converted to UTC, got 9999-12-31T23:59:59.999999001Z"}}},
		{"an offset of +24:00 is rejected", `{"field":"created_at","op":"after","value":"2026-12-01T06:18:06+24:00"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: timeFormat}}},
		{"an offset minute of 60 is rejected", `{"field":"created_at","op":"after","value":"2026-12-01T06:18:06+01:60"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: timeFormat}}},
		{"a comma as the decimal separator is rejected", `{"field":"created_at","op":"after","value":"2026-12-01T06:18:06,5Z"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: timeFormat}}},
		{"ten fractional digits are rejected rather than truncated", `{"field":"created_at","op":"before","value":"2026-12-01T06:18:06.1369290001Z"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: timeFormat}}},
		{"a lower-case z is rejected", `{"field":"created_at","op":"before","value":"2026-12-01T06:18:06z"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: timeFormat}}},
		{"an impossible date is rejected", `{"field":"created_at","op":"before","value":"2026-02-30"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: timeFormat}}},
		{"a timestamp must be a string", `{"field":"created_at","op":"before","value":20261201}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: timeFormat}}},
		{"a NUL in a value is rejected, as PostgreSQL cannot store or compare it", `{"field":"attributes.plan","op":"eq","value":"pro\u0000"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "text", Detail: "must be valid UTF-8 text without NUL characters"}}},
		{"a NUL in a listed value names the item", `{"field":"locale","op":"not_in","value":["de","\u0000"]}`,
			[]models.FieldError{{Field: "/rule/value/1", Rule: "text", Detail: "must be valid UTF-8 text without NUL characters"}}},
		{"a NUL in a consent value is rejected before the enum check", `{"field":"consent.product-roadmap","op":"eq","value":"opted_in\u0000"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "text", Detail: "must be valid UTF-8 text without NUL characters"}}},
		{"a rule of invalid UTF-8 is rejected rather than silently repaired", "{\"field\":\"locale\",\"op\":\"eq\",\"value\":\"\xff\"}",
			[]models.FieldError{{Field: "/rule", Rule: "text", Detail: "must be valid UTF-8"}}},
		{"a duration that overflows is out of range", `{"field":"created_at","op":"within_last","value":"999999d"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "range", Detail: durationRange}}},
		{"a group holds one key", `{"all":[{"field":"locale","op":"exists"}],"any":[]}`,
			[]models.FieldError{{Field: "/rule", Rule: "group", Detail: `a group node has exactly one key ("all" here), found 2`}}},
		{"an empty group is rejected", `{"any":[]}`,
			[]models.FieldError{{Field: "/rule/any", Rule: "type", Detail: "must be a non-empty array of rules"}}},
		{"unknown keys in a condition are named", `{"field":"locale","op":"exists","weight":2}`,
			[]models.FieldError{{Field: "/rule/weight", Rule: "unknown_field", Detail: "is not part of a condition (field, op, value) or a group (all, any, not)"}}},
		{"a node must be an object", `{"not":[1]}`,
			[]models.FieldError{{Field: "/rule/not", Rule: "type", Detail: `must be an object: a group {"all": [...]}, {"any": [...]}, {"not": {...}} or a condition {"field", "op", "value"}`}}},
		{"nesting deeper than ten levels is rejected", deep,
			[]models.FieldError{{Field: "/rule" + strings.Repeat("/not", 9), Rule: "max_depth", Detail: "rules may nest at most 10 levels deep"}}},
		{"more than 200 conditions are rejected", `{"any":[` + strings.Join(many, ",") + `]}`,
			[]models.FieldError{{Field: "/rule", Rule: "max_conditions", Detail: "has 201 conditions; a rule may have at most 200"}}},
		{"more than 20 consent topics are rejected, however few conditions name them", `{"any":[` + strings.Join(consentConditions(21, 21), ",") + `]}`,
			[]models.FieldError{{Field: "/rule", Rule: "max_topics", Detail: "names 21 consent topics; a rule may name at most 20"}}},
		{"200 conditions over 21 topics are refused for the topics", `{"any":[` + strings.Join(topics, ",") + `]}`,
			[]models.FieldError{{Field: "/rule", Rule: "max_topics", Detail: "names 21 consent topics; a rule may name at most 20"}}},
		{"every problem is reported", `{"all":[{"field":"x","op":"eq","value":1},{"field":"locale","op":"nope"}]}`,
			[]models.FieldError{
				{Field: "/rule/all/0/field", Rule: "enum", Detail: `unknown field "x" (use attributes.<path>, consent.<topic>, locale, timezone, preferred_channel, email_domain, created_at or updated_at)`},
				{Field: "/rule/all/1/op", Rule: "enum", Detail: `unknown operator "nope"`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := segment.ParseRule([]byte(tt.rule), "/rule")
			if code := models.ErrorCode(err); code != models.EINVALID {
				t.Fatalf("code = %q, want invalid (err %v)", code, err)
			}
			if diff := cmp.Diff(tt.want, models.ErrorFields(err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr error
	}{
		{"minutes parse", "90m", 90 * time.Minute, nil},
		{"weeks parse", "2w", 14 * day, nil},
		{"ten years in minutes parse", "5256000m", segment.MaxDuration, nil},
		{"ten years in hours parse", "87600h", segment.MaxDuration, nil},
		{"ten years in days parse", "3650d", segment.MaxDuration, nil},
		{"the most whole weeks within ten years parse", "521w", 3647 * day, nil},
		{"a minute over ten years is too long", "5256001m", 0, strconv.ErrRange},
		{"an hour over ten years is too long", "87601h", 0, strconv.ErrRange},
		{"a day over ten years is too long", "3651d", 0, strconv.ErrRange},
		{"ten calendar years with leap days are too long", "3653d", 0, strconv.ErrRange},
		{"522 weeks are too long", "522w", 0, strconv.ErrRange},
		{"87840 hours are too long", "87840h", 0, strconv.ErrRange},
		{"a count that would wrap int64 nanoseconds is too long", "999999d", 0, strconv.ErrRange},
		{"the first day count past the int64 range is too long", "106752d", 0, strconv.ErrRange},
		{"weeks that would overflow are too long", "999999w", 0, strconv.ErrRange},
		{"a count past int64 itself is too long", "99999999999999999999m", 0, strconv.ErrRange},
		{"zero is malformed", "0d", 0, strconv.ErrSyntax},
		{"a leading zero is malformed", "030d", 0, strconv.ErrSyntax},
		{"a sign is malformed", "+30d", 0, strconv.ErrSyntax},
		{"a unit is required", "30", 0, strconv.ErrSyntax},
		{"upper-case units are malformed", "30D", 0, strconv.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := segment.ParseDuration(tt.in)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestParseRuleKeepsEachTimeOperatorExact: a before/after value finer than
// the microseconds the store keeps is rounded up for before and down for
// after, so a customer's whole-microsecond timestamp compares with it as it
// would with the exact value.
func TestParseRuleKeepsEachTimeOperatorExact(t *testing.T) {
	tests := []struct {
		name, op, value string
		want            time.Time
	}{
		{"before rounds a nanosecond past a microsecond up", "before", "2026-12-01T06:18:06.136929001Z",
			time.Date(2026, 12, 1, 6, 18, 6, 136930000, time.UTC)},
		{"after rounds a nanosecond past a microsecond down", "after", "2026-12-01T06:18:06.136929001Z",
			time.Date(2026, 12, 1, 6, 18, 6, 136929000, time.UTC)},
		{"before keeps a whole microsecond", "before", "2026-12-01T06:18:06.136929Z",
			time.Date(2026, 12, 1, 6, 18, 6, 136929000, time.UTC)},
		{"an offset is converted to UTC", "after", "2026-12-01T07:18:06.5+01:00",
			time.Date(2026, 12, 1, 6, 18, 6, 500000000, time.UTC)},
		{"a date is midnight UTC", "before", "2026-12-01", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"before the last microsecond stays in range", "before", "9999-12-31T23:59:59.999999Z", segment.MaxTime},
		{"after the first instant stays in range", "after", "0001-01-01T01:00:00+01:00", segment.MinTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, fmt.Sprintf(`{"field":"created_at","op":%q,"value":%q}`, tt.op, tt.value))
			if got := r.Cond.Value.Time; !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("value = %s, want %s", got.Format(time.RFC3339Nano), tt.want.Format(time.RFC3339Nano))
			}
			if r.Cond.Value.Raw != tt.value {
				t.Errorf("raw value = %v, want the text as written", r.Cond.Value.Raw)
			}
		})
	}
}

func TestParseRuleAcceptsTheLimits(t *testing.T) {
	deep := `{"field":"locale","op":"exists"}`
	for range 9 {
		deep = `{"not":` + deep + `}`
	}
	many := make([]string, 200)
	for i := range many {
		many[i] = fmt.Sprintf(`{"field":"attributes.k%d","op":"exists"}`, i)
	}
	for name, rule := range map[string]string{
		"ten levels":                            deep,
		"200 conditions":                        `{"any":[` + strings.Join(many, ",") + `]}`,
		"200 consent conditions over 20 topics": `{"any":[` + strings.Join(consentConditions(200, 20), ",") + `]}`,
	} {
		t.Run("a rule with "+name+" parses", func(t *testing.T) {
			if _, err := segment.ParseRule([]byte(rule), "/rule"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// consentConditions returns n "consent.<topic> in [...]" conditions that
// name topics distinct topics in turn, like the rule of issue 15.
func consentConditions(n, topics int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"field":"consent.topic-%d","op":"in","value":["opted_in","pending"]}`, i%topics)
	}
	return out
}

func TestParseRuleRejectsMalformedJSON(t *testing.T) {
	for _, raw := range []string{``, `{`, `{"field":"locale"} x`} {
		_, err := segment.ParseRule([]byte(raw), "/rule")
		if code := models.ErrorCode(err); code != models.EMALFORMED {
			t.Errorf("ParseRule(%q) code = %q, want malformed", raw, code)
		}
	}
}

// FuzzParseRule: any input either parses into a tree the evaluator can
// run on any customer, or is rejected with a coded error; nothing panics.
func FuzzParseRule(f *testing.F) {
	for _, seed := range []string{
		`{"all":[{"field":"attributes.plan","op":"eq","value":"enterprise"},{"field":"consent.product-roadmap","op":"eq","value":"opted_in"}]}`,
		`{"not":{"field":"created_at","op":"within_last","value":"30d"}}`,
		`{"any":[{"field":"attributes.tags","op":"contains","value":1},{"field":"email_domain","op":"in","value":["a.io","b.io"]}]}`,
		`{"field":"attributes.a.b","op":"lt","value":1e300}`,
		`{"field":"updated_at","op":"before","value":"2025-01-31"}`,
		`{"field":"created_at","op":"before","value":"9999-12-31T22:59:59.999999999-01:00"}`,
		`{"field":"created_at","op":"after","value":"0001-01-01T00:00:00.000000001+00:00"}`,
		`{"field":"created_at","op":"within_last","value":"5256000m"}`,
		`[]`, `null`, `"x"`, `{"all":{}}`,
	} {
		f.Add([]byte(seed))
	}
	customer := &models.Customer{ExternalID: "c", Email: "a@b.io", Locale: "en", Attributes: map[string]any{
		"plan": "pro", "a": map[string]any{"b": 2.0}, "tags": []any{1.0, "x", true}}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rule, err := segment.ParseRule(raw, "/rule")
		if err != nil {
			if code := models.ErrorCode(err); code != models.EINVALID && code != models.EMALFORMED {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		checkTimeValues(t, rule)
		e := segment.Explain(rule, segment.Subject{Customer: customer}, customer.CreatedAt)
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("explanation does not encode: %v", err)
		}
	})
}

// checkTimeValues fails unless every before/after value of rule is a whole
// microsecond in UTC within MinTime..MaxTime and every duration is
// positive and at most MaxDuration: what the SQL compilers rely on.
func checkTimeValues(t *testing.T, r *models.Rule) {
	t.Helper()
	if c := r.Cond; c != nil {
		switch v := c.Value; v.Type {
		case models.ValueTime:
			if v.Time.Location() != time.UTC || !v.Time.Equal(v.Time.Truncate(time.Microsecond)) ||
				v.Time.Before(segment.MinTime) || v.Time.After(segment.MaxTime) {
				t.Fatalf("%s: time value %s", r.Pointer, v.Time.Format(time.RFC3339Nano))
			}
		case models.ValueDuration:
			if v.Duration <= 0 || v.Duration > segment.MaxDuration {
				t.Fatalf("%s: duration %s", r.Pointer, v.Duration)
			}
		}
	}
	for _, child := range r.Children {
		checkTimeValues(t, child)
	}
}
