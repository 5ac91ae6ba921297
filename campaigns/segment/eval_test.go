package segment_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/models"
)

func mustParse(tb testing.TB, rule string) *models.Rule {
	tb.Helper()
	r, err := segment.ParseRule([]byte(rule), "/rule")
	if err != nil {
		tb.Fatalf("parse %s: %v", rule, err)
	}
	return r
}

func TestMatches(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sub := segment.Subject{
		Customer: &models.Customer{
			Email: "ada@Example.org", Locale: "en-GB", Timezone: "Europe/London", PreferredChannel: models.ChannelEmail,
			CreatedAt: now.Add(-10 * 24 * time.Hour), UpdatedAt: now.Add(-time.Hour),
			Attributes: map[string]any{
				"plan": "enterprise", "seats": 12.0, "beta": true, "nothing": nil,
				"products": []any{"crm", 7.0}, "billing": map[string]any{"country": "DE"},
			},
		},
		Consents: map[string]models.ConsentStatus{"product-roadmap": models.ConsentOptedIn, "pricing-guides": models.ConsentOptedOut},
	}
	tests := []struct {
		name string
		rule string
		want bool
	}{
		{"a string equals a string", `{"field":"attributes.plan","op":"eq","value":"enterprise"}`, true},
		{"a number never equals a string attribute", `{"field":"attributes.seats","op":"eq","value":"12"}`, false},
		{"ne with another type does not match either", `{"field":"attributes.seats","op":"ne","value":"12"}`, false},
		{"ne matches a different value of the same type", `{"field":"attributes.seats","op":"ne","value":13}`, true},
		{"numbers compare numerically", `{"field":"attributes.seats","op":"gte","value":12}`, true},
		{"strings compare in byte order", `{"field":"attributes.plan","op":"gt","value":"Zebra"}`, true},
		{"a boolean equals a boolean", `{"field":"attributes.beta","op":"eq","value":true}`, true},
		{"a missing attribute matches no comparison", `{"field":"attributes.missing","op":"ne","value":"x"}`, false},
		{"null does not exist", `{"field":"attributes.nothing","op":"not_exists"}`, true},
		{"nested paths walk objects", `{"field":"attributes.billing.country","op":"in","value":["DE","FR"]}`, true},
		{"paths never index arrays", `{"field":"attributes.products.0","op":"exists"}`, false},
		{"contains finds an array element of the same type", `{"field":"attributes.products","op":"contains","value":7}`, true},
		{"contains compares array elements by type", `{"field":"attributes.products","op":"contains","value":"7"}`, false},
		{"contains searches strings", `{"field":"attributes.plan","op":"contains","value":"terp"}`, true},
		{"starts_with is case-sensitive", `{"field":"attributes.plan","op":"starts_with","value":"Enter"}`, false},
		{"email_domain is the part after the @", `{"field":"email_domain","op":"eq","value":"Example.org"}`, true},
		{"no consent record is none", `{"field":"consent.competitor-comparisons","op":"eq","value":"none"}`, true},
		{"not_in on consent includes none", `{"field":"consent.pricing-guides","op":"not_in","value":["opted_in","pending"]}`, true},
		{"within_last is relative to now", `{"field":"created_at","op":"within_last","value":"2w"}`, true},
		{"not_within_last is its complement", `{"field":"updated_at","op":"not_within_last","value":"90m"}`, false},
		{"before compares instants", `{"field":"created_at","op":"before","value":"2025-05-23"}`, true},
		{"all needs every child", `{"all":[{"field":"locale","op":"eq","value":"en-GB"},{"field":"timezone","op":"eq","value":"Europe/Paris"}]}`, false},
		{"any needs one child", `{"any":[{"field":"locale","op":"eq","value":"fr"},{"field":"preferred_channel","op":"eq","value":"email"}]}`, true},
		{"not negates, including a missing value", `{"not":{"field":"attributes.missing","op":"eq","value":"x"}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := segment.Matches(mustParse(t, tt.rule), sub, now); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestExplainNamesTheDecidingNodeAndValue is the example explanation of
// docs/segments.md: the preview rule there, for a customer on the pro plan
// who opted in, with the children in the rule's order.
func TestExplainNamesTheDecidingNodeAndValue(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sub := segment.Subject{
		Customer: &models.Customer{Attributes: map[string]any{"plan": "pro"}},
		Consents: map[string]models.ConsentStatus{"product-roadmap": models.ConsentOptedIn},
	}
	rule := mustParse(t, `{"all":[{"field":"attributes.plan","op":"eq","value":"enterprise"},{"field":"consent.product-roadmap","op":"eq","value":"opted_in"}]}`)
	want := &models.RuleExplanation{
		Pointer: "/rule", Kind: models.RuleAll, Result: false, Reason: "a condition is false", DecidedBy: "/rule/all/0",
		Children: []*models.RuleExplanation{
			{Pointer: "/rule/all/0", Kind: models.RuleCondition, Result: false, Field: "attributes.plan", Op: models.OpEq,
				Value: "enterprise", Actual: "pro", Reason: "values compared: no match"},
			{Pointer: "/rule/all/1", Kind: models.RuleCondition, Result: true, Field: "consent.product-roadmap", Op: models.OpEq,
				Value: "opted_in", Actual: "opted_in", Reason: "consent status compared: match"},
		},
	}
	if diff := cmp.Diff(want, segment.Explain(rule, sub, now)); diff != "" {
		t.Errorf("explanation (-want +got):\n%s", diff)
	}
}

func TestExplainNamesTheLastChildWhenEveryChildAgrees(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sub := segment.Subject{Customer: &models.Customer{Locale: "de", Attributes: map[string]any{"plan": "pro"}}}
	tests := []struct {
		name, rule  string
		wantResult  bool
		wantDecided string
		wantReason  string
	}{
		{"an all whose children are all true names its last child",
			`{"all":[{"field":"locale","op":"eq","value":"de"},{"field":"attributes.plan","op":"eq","value":"pro"}]}`,
			true, "/rule/all/1", "every condition is true"},
		{"an any whose children are all false names its last child",
			`{"any":[{"field":"locale","op":"eq","value":"fr"},{"field":"attributes.plan","op":"eq","value":"free"}]}`,
			false, "/rule/any/1", "no condition is true"},
		{"an all decided early still names the first false child",
			`{"all":[{"field":"locale","op":"eq","value":"fr"},{"field":"attributes.plan","op":"eq","value":"free"}]}`,
			false, "/rule/all/0", "a condition is false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := segment.Explain(mustParse(t, tt.rule), sub, now)
			got := []any{e.Result, e.DecidedBy, e.Reason}
			if diff := cmp.Diff([]any{tt.wantResult, tt.wantDecided, tt.wantReason}, got); diff != "" {
				t.Errorf("result, decided_by, reason (-want +got):\n%s", diff)
			}
		})
	}
}
