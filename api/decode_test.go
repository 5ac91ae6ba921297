package api

import (
	"strings"
	"testing"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantCode   string
		wantFields []string // "field rule"; the root is the empty pointer
		wantDetail string   // substring of the message
	}{
		{name: "a valid body decodes", body: `{"external_id":"a","preferred_windows":[{"days":["mon"],"start":"09:00","end":"10:00"}]}`},
		{name: "null below the root is accepted", body: `{"cadence":null,"email":null}`},
		{name: "an empty body is malformed", body: ``, wantCode: models.EMALFORMED, wantDetail: "empty"},
		{name: "white space only is malformed", body: " \n ", wantCode: models.EMALFORMED, wantDetail: "empty"},
		{name: "a syntax error names its byte offset", body: `{"email" "x"}`, wantCode: models.EMALFORMED, wantDetail: "byte offset 9"},
		{name: "a truncated body says where it ends", body: `{"email":`, wantCode: models.EMALFORMED, wantDetail: "ends unexpectedly at byte offset 9"},
		{name: "trailing data is malformed", body: `{} {}`, wantCode: models.EMALFORMED, wantDetail: "byte offset 3 after the JSON value"},
		{name: "trailing garbage is malformed", body: `{}x`, wantCode: models.EMALFORMED, wantDetail: "after the JSON value"},
		{name: "an unknown field is named by pointer", body: `{"emali":"x"}`, wantCode: models.EINVALID, wantFields: []string{"/emali unknown_field"}},
		{name: "a nested unknown field is named by full pointer", body: `{"preferred_windows":[{"days":["mon"],"start":"09:00","end":"10:00","tz":"x"}]}`,
			wantCode: models.EINVALID, wantFields: []string{"/preferred_windows/0/tz unknown_field"}},
		{name: "several unknown fields are reported in key order", body: `{"zz":1,"aa":2}`, wantCode: models.EINVALID, wantFields: []string{"/aa unknown_field", "/zz unknown_field"}},
		{name: "field names are matched case-sensitively", body: `{"EMAIL":"a@example.com"}`, wantCode: models.EINVALID, wantFields: []string{"/EMAIL unknown_field"}},
		{name: "a pointer escapes slash and tilde", body: `{"a/b~c":1}`, wantCode: models.EINVALID, wantFields: []string{"/a~1b~0c unknown_field"}},
		{name: "a number for a string is a type error", body: `{"email":5}`, wantCode: models.EINVALID, wantFields: []string{"/email type"}},
		{name: "a nested wrong type is named by pointer", body: `{"preferred_windows":[{"days":["mon"],"start":9,"end":"10:00"}]}`,
			wantCode: models.EINVALID, wantFields: []string{"/preferred_windows/0/start type"}},
		{name: "a string for an object is a type error", body: `{"cadence":"4/30d"}`, wantCode: models.EINVALID, wantFields: []string{"/cadence type"}},
		{name: "a fraction for an integer is a type error", body: `{"cadence":{"max":1.5,"per":"1d"}}`, wantCode: models.EINVALID, wantFields: []string{"/cadence/max type"}},
		{name: "an integer too large for int is a type error", body: `{"cadence":{"max":1e400,"per":"1d"}}`, wantCode: models.EINVALID, wantFields: []string{"/cadence/max type"}},
		{name: "an attribute number out of range is rejected", body: `{"attributes":{"n":[1e400]}}`, wantCode: models.EINVALID, wantFields: []string{"/attributes/n/0 range"}},
		{name: "an array for the attributes object is a type error", body: `{"attributes":[1]}`, wantCode: models.EINVALID, wantFields: []string{"/attributes type"}},
		{name: "a root array is a type error", body: `[]`, wantCode: models.EINVALID, wantFields: []string{" type"}},
		{name: "a root null is a type error", body: `null`, wantCode: models.EINVALID, wantFields: []string{" type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in models.CustomerInput
			err := decodeStrict([]byte(tt.body), &in)
			if got := models.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", got, tt.wantCode, err)
			}
			var fields []string
			for _, f := range models.ErrorFields(err) {
				fields = append(fields, f.Field+" "+f.Rule)
			}
			if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if !strings.Contains(models.ErrorMessage(err), tt.wantDetail) {
				t.Errorf("message %q does not contain %q", models.ErrorMessage(err), tt.wantDetail)
			}
		})
	}
}

func TestDecodeStrictFillsTheValue(t *testing.T) {
	var in models.ConsentInput
	err := decodeStrict([]byte(`{"status":"opted_in","evidence":{"text":"Yes please","ip":"192.0.2.1"}}`), &in)
	if err != nil {
		t.Fatal(err)
	}
	want := models.ConsentInput{Status: models.ConsentOptedIn, Evidence: models.Evidence{Text: "Yes please", IP: "192.0.2.1"}}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
}

func TestDecodeStrictRejectsFieldsHiddenFromJSON(t *testing.T) {
	// Evidence.Salt is json:"-": a client must not be able to set it.
	var in models.ConsentInput
	err := decodeStrict([]byte(`{"status":"opted_in","evidence":{"Salt":"x"}}`), &in)
	if diff := cmp.Diff([]models.FieldError{{Field: "/evidence/Salt", Rule: "unknown_field", Detail: "is not a known field"}}, models.ErrorFields(err)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestRequireJSON(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		wantCode    string
	}{
		{"application/json is accepted", "application/json", ""},
		{"a charset parameter is accepted", "application/json; charset=utf-8", ""},
		{"a +json media type is accepted", "application/merge-patch+json", ""},
		{"a form is unsupported", "application/x-www-form-urlencoded", codeUnsupportedMediaType},
		{"plain text is unsupported", "text/plain", codeUnsupportedMediaType},
		{"a missing content type is unsupported", "", codeUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.ErrorCode(requireJSON(tt.contentType)); got != tt.wantCode {
				t.Errorf("code = %q, want %q", got, tt.wantCode)
			}
		})
	}
}
