package models

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseInboundBodyNamesWhatIsWrongWithEachEvent(t *testing.T) {
	ok := `{"type":"consent.updated","occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":"c1","topic":"t","status":"opted_in"}}`
	tests := []struct {
		name    string
		event   string
		wantErr string
		wantID  string
	}{
		{"a complete event parses", ok, "", "c1"},
		{"a missing type is named", `{"occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":"c1"}}`, "/type: is required", "c1"},
		{"an unknown type is named", `{"type":"x.y","occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":"c1"}}`, `/type: unknown event type "x.y"`, "c1"},
		{"a missing occurred_at is named", `{"type":"customer.deleted","data":{"external_id":"c1"}}`, "/occurred_at: is required (RFC 3339 time)", "c1"},
		{"a data that is not an object is named", `{"type":"customer.deleted","occurred_at":"2025-03-10T09:00:00Z","data":[1]}`, "/data: must be an object with the fields of the event type", ""},
		{"a missing external_id is named", `{"type":"customer.deleted","occurred_at":"2025-03-10T09:00:00Z","data":{}}`, "/data/external_id: is required", ""},
		{"an empty external_id is named", `{"type":"customer.deleted","occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":""}}`, "/data/external_id: must be 1-200 characters of text", ""},
		{"a bounce may name a delivery instead of a customer", `{"type":"channel.bounced","occurred_at":"2025-03-10T09:00:00Z","data":{"delivery_id":7,"kind":"hard"}}`, "", ""},
		{"an unknown envelope member is named", `{"type":"customer.deleted","occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":"c1"},"extra":1}`, `event: json: unknown field "extra"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := ParseInboundBody([]byte(`{"events":[` + ok + `,` + tt.event + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 2 || events[0].Err != "" {
				t.Fatalf("the good event beside it was not parsed: %+v", events)
			}
			if diff := cmp.Diff(tt.wantErr, events[1].Err); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if events[1].ExternalID != tt.wantID {
				t.Errorf("external id = %q, want %q", events[1].ExternalID, tt.wantID)
			}
		})
	}
}

func TestParseInboundBodyRefusesUnusableBodies(t *testing.T) {
	for name, tt := range map[string]struct{ body, code string }{
		"broken JSON is malformed":      {`{"type":`, EMALFORMED},
		"an array is malformed":         {`[]`, EMALFORMED},
		"events that are not an array":  {`{"events":{}}`, EINVALID},
		"an empty batch":                {`{"events":[]}`, EINVALID},
		"a batch over the limit":        {`{"events":[` + strings.Repeat(`{},`, MaxInboundBatch) + `{}]}`, EINVALID},
		"a batch with a sibling member": {`{"events":[{}],"x":1}`, EINVALID},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseInboundBody([]byte(tt.body)); ErrorCode(err) != tt.code {
				t.Errorf("err = %v, want code %q", err, tt.code)
			}
		})
	}
}

// FuzzParseInboundBody checks that no body panics and that every event of
// an accepted body is either usable (a known type, a time) or carries its
// reason.
func FuzzParseInboundBody(f *testing.F) {
	f.Add(`{"type":"customer.deleted","occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":"c1"}}`)
	f.Add(`{"events":[{"type":"channel.bounced","occurred_at":"2025-03-10T09:00:00Z","data":{"address":"a@b"}}]}`)
	f.Add(`{"events":[{}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		events, err := ParseInboundBody([]byte(body))
		if err != nil {
			if c := ErrorCode(err); c != EMALFORMED && c != EINVALID {
				t.Fatalf("code %q", c)
			}
			return
		}
		if len(events) == 0 || len(events) > MaxInboundBatch {
			t.Fatalf("%d events accepted", len(events))
		}
		for _, e := range events {
			if e.Err == "" && (e.Event.OccurredAt.IsZero() || e.Event.Type == "") {
				t.Fatalf("event accepted without type or time: %+v", e)
			}
			if !ValidText(e.ExternalID) {
				t.Fatalf("external id is not storable text: %q", e.ExternalID)
			}
		}
	})
}
