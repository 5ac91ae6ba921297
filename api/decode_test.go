package api

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
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

func TestDecodeStrictTimestamps(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		dst        any
		wantFields []string
	}{
		{name: "an RFC 3339 timestamp decodes", body: `{"window":{"not_before":"2026-01-02T15:04:05Z","not_after":"2026-01-03T15:04:05+01:00"}}`, dst: &models.CampaignInput{}},
		{name: "fractional seconds are accepted", body: `{"window":{"not_before":"2026-01-02T15:04:05.123456Z"}}`, dst: &models.CampaignInput{}},
		{name: "null leaves a timestamp unset", body: `{"expires_at":null}`, dst: &models.ContentInput{}},
		{name: "a date without a time is a format problem", body: `{"window":{"not_before":"2026-01-02"}}`, dst: &models.CampaignInput{},
			wantFields: []string{"/window/not_before format"}},
		{name: "a timestamp without a zone is a format problem", body: `{"window":{"not_after":"2026-01-02T15:04:05"}}`, dst: &models.CampaignInput{},
			wantFields: []string{"/window/not_after format"}},
		{name: "prose is a format problem", body: `{"window":{"not_before":"next tuesday","not_after":"2026-13-01T00:00:00Z"}}`, dst: &models.CampaignInput{},
			wantFields: []string{"/window/not_after format", "/window/not_before format"}},
		{name: "a timestamp inside an array is named by index", body: `{"sources":[{"title":"a"},{"title":"b","accessed_at":"yesterday"}]}`, dst: &models.ContentInput{},
			wantFields: []string{"/sources/1/accessed_at format"}},
		{name: "an optional timestamp is checked too", body: `{"expires_at":"2026-01-02 15:04:05Z"}`, dst: &models.ContentInput{},
			wantFields: []string{"/expires_at format"}},
		{name: "a number for a timestamp is a type problem", body: `{"expires_at":1767366245}`, dst: &models.ContentInput{},
			wantFields: []string{"/expires_at type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decodeStrict([]byte(tt.body), tt.dst)
			var fields []string
			for _, f := range models.ErrorFields(err) {
				fields = append(fields, f.Field+" "+f.Rule)
				if f.Rule == "format" && !strings.Contains(f.Detail, "RFC 3339 timestamp such as 2026-01-02T15:04:05Z") {
					t.Errorf("detail %q does not show the expected shape", f.Detail)
				}
			}
			if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nerr: %v", diff, err)
			}
			if tt.wantFields == nil && err != nil {
				t.Errorf("err = %v, want none", err)
			}
		})
	}
}

func TestDecodeStrictDuplicateKeys(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantFields []string
	}{
		{name: "distinct keys are accepted", body: `{"external_id":"a","email":"a@example.com"}`},
		{name: "the same key in sibling objects is accepted", body: `{"preferred_windows":[{"start":"09:00"},{"start":"10:00"}]}`},
		{name: "a repeated top-level key is named", body: `{"email":"a@example.com","email":"b@example.com"}`,
			wantFields: []string{"/email duplicate_key"}},
		{name: "a key sent three times is reported once", body: `{"name":"a","name":"b","name":"c"}`,
			wantFields: []string{"/name duplicate_key"}},
		{name: "a repeated key deep inside an array is named by full pointer", body: `{"preferred_windows":[{"start":"09:00"},{"end":"10:00","end":"11:00"}]}`,
			wantFields: []string{"/preferred_windows/1/end duplicate_key"}},
		{name: "a repeated key in a free-form object is named", body: `{"attributes":{"plan":{"x":1,"x":1}}}`,
			wantFields: []string{"/attributes/plan/x duplicate_key"}},
		{name: "a repeated key is escaped in the pointer", body: `{"attributes":{"a/b":1,"a/b":2}}`,
			wantFields: []string{"/attributes/a~1b duplicate_key"}},
		{name: "keys that differ only by case are distinct, and the odd one is unknown", body: `{"email":"a@example.com","Email":"b@example.com"}`,
			wantFields: []string{"/Email unknown_field"}},
		{name: "duplicates come before type problems", body: `{"email":"a@example.com","email":5}`,
			wantFields: []string{"/email duplicate_key", "/email type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in models.CustomerInput
			err := decodeStrict([]byte(tt.body), &in)
			var fields []string
			for _, f := range models.ErrorFields(err) {
				fields = append(fields, f.Field+" "+f.Rule)
			}
			if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nerr: %v", diff, err)
			}
		})
	}
}

func TestDecodeStrictFindsDuplicateKeysInRawJSON(t *testing.T) {
	// A segment rule is kept as raw JSON and parsed later: a repeated
	// operator there would otherwise pick one of two meanings silently.
	var req previewRequest
	err := decodeStrict([]byte(`{"rule":{"all":[{"field":"locale","op":"exists","op":"eq"}]}}`), &req)
	want := []models.FieldError{{Field: "/rule/all/0/op", Rule: "duplicate_key", Detail: "appears more than once in the object; send each member once"}}
	if diff := cmp.Diff(want, models.ErrorFields(err)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestDuplicateKeyWalkIsLinear(t *testing.T) {
	// Deep nesting would make eagerly built pointers quadratic; a body of
	// 100,000 distinct keys in one object must not be slow either. Both
	// must simply decode: the assertion is on the result, not the time.
	deep := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	var p models.Problems
	duplicateKeys(&p, []byte(deep), -1)
	var wide strings.Builder
	wide.WriteString("{")
	for i := range 100_000 {
		if i > 0 {
			wide.WriteString(",")
		}
		fmt.Fprintf(&wide, `"k%d":%d`, i, i)
	}
	wide.WriteString(`,"k7":0}`)
	duplicateKeys(&p, []byte(wide.String()), -1)
	want := models.Problems{{Field: "/k7", Rule: "duplicate_key", Detail: "appears more than once in the object; send each member once"}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestDecodeNoBody(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		wantCode    string
		wantFields  []string
	}{
		{name: "no body is accepted", body: ""},
		{name: "white space is accepted", body: " \r\n"},
		{name: "an empty object is accepted with a JSON content type", body: `{}`, contentType: "application/json"},
		{name: "an empty object is accepted without a content type", body: ` {} `},
		{name: "no body is accepted whatever the content type says", body: "", contentType: "text/plain"},
		{name: "a member is an unknown field", body: `{"dry_run":true}`, contentType: "application/json",
			wantCode: models.EINVALID, wantFields: []string{"/dry_run unknown_field"}},
		{name: "a member is an unknown field without a content type too", body: `{"force":1}`,
			wantCode: models.EINVALID, wantFields: []string{"/force unknown_field"}},
		{name: "an array is a type problem", body: `[]`, contentType: "application/json",
			wantCode: models.EINVALID, wantFields: []string{" type"}},
		{name: "bad JSON is malformed", body: `{"a":`, contentType: "application/json", wantCode: models.EMALFORMED},
		{name: "a form body is an unsupported media type", body: `a=1`, contentType: "application/x-www-form-urlencoded", wantCode: codeUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			if tt.contentType != "" {
				c.Request.Header.Set("Content-Type", tt.contentType)
			}
			err := decodeNoBody(c)
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
		})
	}
}

// TestDecodeStrictRefusesTextThatIsNotUnicode: encoding/json turns both an
// invalid byte and an unpaired \u surrogate into U+FFFD; either is refused
// on its field, while escapes that only look alike are accepted.
func TestDecodeStrictRefusesTextThatIsNotUnicode(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantFields []string
	}{
		{"a surrogate pair is one valid character", `{"name":"\ud83d\ude00"}`, nil},
		{"an escaped backslash before u is not an escape", `{"name":"\\ud800"}`, nil},
		{"a lone high surrogate is refused", `{"name":"x\ud800"}`, []string{"/name text"}},
		{"a high surrogate followed by a letter escape is refused", `{"name":"\ud800\u0041"}`, []string{"/name text"}},
		{"a lone low surrogate is refused", `{"name":"\udc00x"}`, []string{"/name text"}},
		{"a surrogate in a member name is refused", `{"attributes":{"\udfff":1}}`, []string{"/attributes/\ufffd text"}},
		{"an invalid byte deep inside is refused on its pointer", "{\"preferred_windows\":[{\"start\":\"09:0\xc3\"}]}", []string{"/preferred_windows/0/start text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in models.CustomerInput
			err := decodeStrict([]byte(tt.body), &in)
			var fields []string
			for _, f := range models.ErrorFields(err) {
				fields = append(fields, f.Field+" "+f.Rule)
			}
			if tt.wantFields == nil && err != nil {
				t.Fatalf("decodeStrict(%s) = %v, want no error", tt.body, err)
			}
			if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzDecodeStrict: strict decoding never panics, and what it accepts
// holds no replacement character the client did not send itself.
func FuzzDecodeStrict(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Ada","email":"a@example.com"}`, `{"name":"\ud800"}`, "{\"name\":\"\xff\"}",
		`{"name":"\\ud800"}`, `{"a":1,"a":2}`, `{"attributes":{"x":[1,{"y":null}]}}`, `{"name":"\ufffd"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in models.CustomerInput
		if err := decodeStrict(body, &in); err != nil {
			return
		}
		if !utf8.ValidString(in.Name) {
			t.Fatalf("accepted %q as a name that is not UTF-8", in.Name)
		}
		if strings.ContainsRune(in.Name, utf8.RuneError) && !bytes.Contains(body, []byte("\ufffd")) && !bytes.Contains(body, []byte(`\ufffd`)) && !bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) {
			t.Fatalf("accepted %q: a replacement character the body %q did not hold", in.Name, body)
		}
	})
}
