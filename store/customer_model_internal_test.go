package store

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// A put answers with the customer it wrote. written builds it from the
// input instead of decoding the row's JSON back (issue 17); the answer
// must stay what decoding gave: the same Go values (numbers as float64)
// and the same encoded response, whatever the attributes hold. An input
// that written cannot take as it is must fall back to decoding.
func TestWrittenCustomerIsTheDecodedRow(t *testing.T) {
	now := time.Date(2026, 12, 2, 6, 0, 0, 123456789, time.UTC)
	big, _ := json.Marshal(uint64(1) << 63)
	tests := []struct {
		name  string
		attrs map[string]any
		plain bool // written may use the input as it is
	}{
		{"no attributes", map[string]any{}, true},
		{"what a request decodes into", map[string]any{
			"plan": "pro", "seats": 12.0, "ratio": 0.1, "neg": math.Copysign(0, -1), "big": 1e21, "tiny": 5e-324,
			"html": "<a & b>", "line": "a\u2028b", "ok": true, "none": nil,
			"list":   []any{1.0, "x", nil, false, []any{}, map[string]any{}},
			"nested": map[string]any{"deep": map[string]any{"n": 9007199254740993.0}},
		}, true},
		{"a json.Number keeps its text only until it is decoded", map[string]any{"n": json.Number("1.50"), "e": json.Number("1e2")}, false},
		{"integers become float64", map[string]any{"i": 7, "u": uint64(1) << 63, "raw": json.RawMessage(big)}, false},
		{"a typed map or slice becomes map[string]any or []any", map[string]any{"m": map[string]string{"a": "b"}, "s": []string{"x"}}, false},
		{"a nil map or slice decodes as null", map[string]any{"m": map[string]any(nil), "s": []any(nil)}, false},
		{"text that is not UTF-8 becomes U+FFFD", map[string]any{"bad": "a\xffb"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &models.CustomerInput{ExternalID: "c-1", Email: "c@example.com", Name: "C", Timezone: "Europe/Paris",
				PreferredChannel: models.ChannelEmail, Cadence: &models.Cadence{Max: 2, Per: "7d"}, Attributes: tt.attrs,
				PreferredWindows: []models.Window{{Days: []string{"mon"}, Start: "09:00", End: "12:00"}, {Days: []string{}, Start: "13:00", End: "14:00"}, {Start: "15:00", End: "16:00"}}}
			in.Normalize()
			if got := plainJSON(in.Attributes); got != tt.plain {
				t.Fatalf("plainJSON = %v, want %v", got, tt.plain)
			}
			for _, stored := range []*customerRow{nil, {ID: 7, ExternalID: new(string), PreferredWindows: "[]", Attributes: "{}", PreferenceVersion: 3, CreatedAt: now}} {
				ch, err := decidePut(stored, in, false, now)
				if err != nil {
					t.Fatal(err)
				}
				want, err := ch.row.model()
				if err != nil {
					t.Fatal(err)
				}
				got, err := ch.written(in)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("written = %#v\nthe decoded row = %#v", got, want)
				}
				gotJSON, _ := json.Marshal(got)
				wantJSON, _ := json.Marshal(want)
				if string(gotJSON) != string(wantJSON) {
					t.Errorf("written encodes as\n%s\nthe decoded row as\n%s", gotJSON, wantJSON)
				}
			}
		})
	}
}
