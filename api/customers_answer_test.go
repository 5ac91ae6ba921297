package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/candor/candor/models"
)

// The JSON a PUT answers with is pinned byte for byte where the store
// builds it from the request rather than from the row (issue 17): the
// attributes, windows and cadence of a created, an updated and a
// replayed customer are what a GET answers, with numbers in the form
// encoding/json gives a float64 (1.50 is 1.5, 1e2 is 100, an integer
// beyond 2^53 is rounded), HTML characters escaped, and omitted wishes
// and attributes answered as [], null and {}, and -0 as 0 (what
// PostgreSQL stores).
func TestPutCustomerAnswersPinnedJSON(t *testing.T) {
	tests := []struct {
		name, id, fields string // fields: the body's members after the profile's
		want             map[string]string
	}{
		{
			name: "numbers and escapes", id: "pin-1",
			fields: `"preferred_windows": [{"days": ["mon", "tue"], "start": "09:00", "end": "12:00"},
				{"days": ["sun"], "start": "13:00", "end": "14:00"}], "cadence": {"max": 2, "per": "7d"},
				"attributes": {"plan": "pro", "seats": 12, "ratio": 1.50, "e": 1e2, "big": 12345678901234567890,
				"tiny": 0.000001, "html": "<a & b>", "list": [1, "x", null, true, [], {}],
				"nested": {"deep": {"n": 9007199254740993}}}`,
			want: map[string]string{
				"attributes": `{"big":12345678901234567000,"e":100,"html":"\u003ca \u0026 b\u003e","list":[1,"x",null,true,[],{}],` +
					`"nested":{"deep":{"n":9007199254740992}},"plan":"pro","ratio":1.5,"seats":12,"tiny":0.000001}`,
				"preferred_windows": `[{"days":["mon","tue"],"start":"09:00","end":"12:00"},{"days":["sun"],"start":"13:00","end":"14:00"}]`,
				"cadence":           `{"max":2,"per":"7d"}`,
			},
		},
		{
			// PostgreSQL's jsonb has no negative zero: stored, -0 reads
			// back as 0, so a PUT that answered -0 disagreed with the GET.
			name: "negative zero is zero", id: "pin-3",
			fields: `"attributes": {"z": -0, "zf": -0.0, "ze": -0e3, "list": [-0], "nested": {"z": -0.0}}`,
			want:   map[string]string{"attributes": `{"list":[0],"nested":{"z":0},"z":0,"ze":0,"zf":0}`},
		},
		{
			name: "omitted wishes and attributes", id: "pin-2", fields: `"cadence": null`,
			want: map[string]string{"attributes": `{}`, "preferred_windows": `[]`, "cadence": `null`},
		},
	}
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, tt := range tests {
			body := func(name string) string {
				return `{"email": "` + tt.id + `@example.com", "name": "` + name + `", "locale": "en-GB",
					"timezone": "Europe/London", "preferred_channel": "email", ` + tt.fields + `}`
			}
			for _, step := range []struct {
				name, method, body string
				status             int
			}{
				{"created", http.MethodPut, body("Pin"), http.StatusCreated},
				{"updated", http.MethodPut, body("Pin Again"), http.StatusOK},
				{"replayed", http.MethodPut, body("Pin Again"), http.StatusOK},
				{"read", http.MethodGet, "", http.StatusOK},
			} {
				var payload any
				if step.body != "" {
					payload = step.body
				}
				rec := a.call(models.RoleEditor, step.method, "/v1/customers/"+tt.id, payload)
				wantStatus(t, rec, step.status)
				var got map[string]json.RawMessage
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatalf("%s, %s: %v", tt.name, step.name, err)
				}
				for field, w := range tt.want {
					if string(got[field]) != w {
						t.Errorf("%s, %s: %s =\n%s\nwant\n%s", tt.name, step.name, field, got[field], w)
					}
				}
				if strings.Contains(rec.Body.String(), "1.50") {
					t.Errorf("%s, %s: the answer repeats the request's number text: %s", tt.name, step.name, rec.Body.String())
				}
			}
		}
	})
}
