package segment_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/models"
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
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: `must be a duration such as "90m", "12h", "30d" or "2w" (at most 10 years)`}}},
		{"a NUL in a value is rejected, as PostgreSQL cannot store or compare it", `{"field":"attributes.plan","op":"eq","value":"pro\u0000"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "text", Detail: "must be valid UTF-8 text without NUL characters"}}},
		{"a NUL in a listed value names the item", `{"field":"locale","op":"not_in","value":["de","\u0000"]}`,
			[]models.FieldError{{Field: "/rule/value/1", Rule: "text", Detail: "must be valid UTF-8 text without NUL characters"}}},
		{"a NUL in a consent value is rejected before the enum check", `{"field":"consent.product-roadmap","op":"eq","value":"opted_in\u0000"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "text", Detail: "must be valid UTF-8 text without NUL characters"}}},
		{"a rule of invalid UTF-8 is rejected rather than silently repaired", "{\"field\":\"locale\",\"op\":\"eq\",\"value\":\"\xff\"}",
			[]models.FieldError{{Field: "/rule", Rule: "text", Detail: "must be valid UTF-8"}}},
		{"a duration that overflows is rejected", `{"field":"created_at","op":"within_last","value":"999999d"}`,
			[]models.FieldError{{Field: "/rule/value", Rule: "format", Detail: `must be a duration such as "90m", "12h", "30d" or "2w" (at most 10 years)`}}},
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
		name   string
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"minutes parse", "90m", 90 * time.Minute, true},
		{"weeks parse", "2w", 14 * day, true},
		{"exactly the maximum parses", "3660d", 3660 * day, true},
		{"one day over the maximum is rejected", "3661d", 0, false},
		{"a count that would wrap int64 nanoseconds is rejected", "999999d", 0, false},
		{"the first day count past the int64 range is rejected", "106752d", 0, false},
		{"weeks that would overflow are rejected", "999999w", 0, false},
		{"hours over the maximum are rejected", "999999h", 0, false},
		{"zero is rejected", "0d", 0, false},
		{"a unit is required", "30", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := segment.ParseDuration(tt.in)
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
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
		"ten levels":     deep,
		"200 conditions": `{"any":[` + strings.Join(many, ",") + `]}`,
	} {
		t.Run("a rule with "+name+" parses", func(t *testing.T) {
			if _, err := segment.ParseRule([]byte(rule), "/rule"); err != nil {
				t.Fatal(err)
			}
		})
	}
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
		e := segment.Explain(rule, segment.Subject{Customer: customer}, customer.CreatedAt)
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("explanation does not encode: %v", err)
		}
	})
}
