package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/candor/candor/models"
)

// TestSegmentRuleValuesOutsideTheLimits: each value issue 19 found
// mis-answered is, where the language cannot take it, a 422 problem that
// names the value's JSON pointer and the rule it breaks, on creation and
// on preview alike.
func TestSegmentRuleValuesOutsideTheLimits(t *testing.T) {
	tests := []struct {
		name      string
		rule      map[string]any
		fieldRule string
	}{
		{"an instant in the year 10000 once in UTC is out of range",
			map[string]any{"field": "created_at", "op": "after", "value": "9999-12-31T23:59:59-01:00"}, "/rule/value range"},
		{"a negated instant in the year 10000 names the negated value",
			map[string]any{"not": map[string]any{"field": "created_at", "op": "before", "value": "9999-12-31T23:59:59-01:00"}}, "/rule/not/value range"},
		{"an offset of +24:00 is malformed",
			map[string]any{"field": "updated_at", "op": "after", "value": "2026-12-01T06:18:06+24:00"}, "/rule/value format"},
		{"a comma as the decimal separator is malformed",
			map[string]any{"field": "updated_at", "op": "after", "value": "2026-12-01T06:18:06,5Z"}, "/rule/value format"},
		{"ten fractional digits are malformed",
			map[string]any{"field": "created_at", "op": "before", "value": "2026-12-01T06:18:06.1369290001Z"}, "/rule/value format"},
		{"3654 days are longer than ten years",
			map[string]any{"field": "created_at", "op": "within_last", "value": "3654d"}, "/rule/value range"},
		{"522 weeks are longer than ten years",
			map[string]any{"all": []any{map[string]any{"field": "created_at", "op": "within_last", "value": "522w"}}}, "/rule/all/0/value range"},
		{"87840 hours are longer than ten years",
			map[string]any{"field": "created_at", "op": "not_within_last", "value": "87840h"}, "/rule/value range"},
		{"a duration with a leading zero is malformed",
			map[string]any{"field": "created_at", "op": "within_last", "value": "07d"}, "/rule/value format"},
		{"a consent condition on an unknown topic names the field",
			map[string]any{"field": "consent.roadmap", "op": "eq", "value": "opted_in"}, "/rule/field unknown_topic"},
	}
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rec := a.call(models.RoleEditor, http.MethodPost, "/v1/segments", map[string]any{"name": "x", "rule": tt.rule})
				wantProblem(t, rec, http.StatusUnprocessableEntity, tt.fieldRule)
				rec = a.call(models.RoleViewer, http.MethodPost, "/v1/segments/preview", map[string]any{"rule": tt.rule})
				wantProblem(t, rec, http.StatusUnprocessableEntity, tt.fieldRule)
			})
		}
		t.Run("ten years in minutes are accepted", func(t *testing.T) {
			rule := map[string]any{"field": "created_at", "op": "within_last", "value": "5256000m"}
			rec := a.call(models.RoleEditor, http.MethodPost, "/v1/segments", map[string]any{"name": "x", "rule": rule})
			wantStatus(t, rec, http.StatusCreated)
		})
	})
}

// TestSegmentNumbersAre64BitFloats: an attribute of 2^53+1 is stored as
// 2^53, explain shows the customer's value as stored and the rule's as
// written, and a rule naming either number matches it on every backend.
func TestSegmentNumbersAre64BitFloats(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/big", `{"email":"big@example.com","timezone":"Europe/London",`+
			`"preferred_channel":"email","attributes":{"seats":9007199254740993}}`)
		wantStatus(t, rec, http.StatusCreated)
		if got := decodeBody[models.Customer](t, rec).Attributes["seats"]; got != float64(9007199254740992) {
			t.Fatalf("stored seats = %v, want 2^53", got)
		}
		for _, value := range []string{"9007199254740993", "9007199254740992"} {
			t.Run("a rule comparing with "+value+" matches the stored 2^53", func(t *testing.T) {
				rule := `{"field":"attributes.seats","op":"eq","value":` + value + `}`
				rec := a.call(models.RoleEditor, http.MethodPost, "/v1/segments", `{"name":"big","rule":`+rule+`}`)
				wantStatus(t, rec, http.StatusCreated)
				seg := decodeBody[models.Segment](t, rec)
				rec = a.call(models.RoleViewer, http.MethodGet, "/v1/segments/"+strconv.FormatInt(seg.ID, 10)+"/explain/big", nil)
				wantStatus(t, rec, http.StatusOK)
				// The rule's value is shown as written, the customer's as
				// stored; they compare as 64-bit floats.
				raw := rec.Body.String()
				if e := decodeBody[models.RuleExplanation](t, rec); !e.Result ||
					!strings.Contains(raw, `"value":`+value+`,`) || !strings.Contains(raw, `"actual":9007199254740992,`) {
					t.Errorf("explanation = %s", raw)
				}
				rec = a.call(models.RoleViewer, http.MethodGet, "/v1/segments/"+strconv.FormatInt(seg.ID, 10)+"/customers", nil)
				if page := decodeBody[list[models.Customer]](t, rec); len(page.Items) != 1 {
					t.Errorf("members = %s", rec.Body.String())
				}
			})
		}
	})
}
