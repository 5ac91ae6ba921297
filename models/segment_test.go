package models_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestSegmentInputValidate(t *testing.T) {
	rule := json.RawMessage(`{"field":"locale","op":"exists"}`)
	tests := []struct {
		name string
		in   models.SegmentInput
		want []string
	}{
		{"a named segment with a rule is valid", models.SegmentInput{Name: "EU", Rule: rule}, nil},
		{"a name is required", models.SegmentInput{Rule: rule}, []string{"/name length"}},
		{"a long description is rejected", models.SegmentInput{Name: "EU", Description: strings.Repeat("x", 2001), Rule: rule}, []string{"/description max_length"}},
		{"a NUL in the name is rejected as text", models.SegmentInput{Name: "E\x00U", Rule: rule}, []string{"/name text"}},
		{"invalid UTF-8 in the description is rejected as text", models.SegmentInput{Name: "EU", Description: "\xff", Rule: rule}, []string{"/description text"}},
		{"a null rule is missing", models.SegmentInput{Name: "EU", Rule: json.RawMessage("null")}, []string{"/rule required"}},
		{"an absent rule is missing", models.SegmentInput{Name: "EU"}, []string{"/rule required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range models.ErrorFields(tt.in.Validate()) {
				got = append(got, f.Field+" "+f.Rule)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
