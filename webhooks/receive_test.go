package webhooks_test

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/webhooks"
)

// fakeSources holds secrets per source and records what was stored.
type fakeSources struct {
	secrets map[int64][]string
	stored  [][]models.ParsedEvent
}

func (f *fakeSources) WebhookSourceSecrets(_ context.Context, id int64) ([]string, error) {
	s, ok := f.secrets[id]
	if !ok {
		return nil, models.Errorf(models.ENOTFOUND, "Webhook source not found.")
	}
	return s, nil
}

func (f *fakeSources) AddInboxEvents(_ context.Context, _ int64, id string, events []models.ParsedEvent) (*models.InboundResult, error) {
	f.stored = append(f.stored, events)
	return &models.InboundResult{WebhookID: id}, nil
}

// signed signs body with the reference library, as a CRM would.
func signed(tb testing.TB, secret, id string, at time.Time, body string) *models.InboundMessage {
	tb.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := wh.Sign(id, at, []byte(body))
	if err != nil {
		tb.Fatal(err)
	}
	return &models.InboundMessage{ID: id, Timestamp: strconv.FormatInt(at.Unix(), 10), Signature: sig, Body: []byte(body)}
}

const oneEvent = `{"type":"customer.deleted","occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":"crm-1"}}`

func TestReceiveVerifies(t *testing.T) {
	current, previous, other := secrets.NewWebhookSecret(), secrets.NewWebhookSecret(), secrets.NewWebhookSecret()
	now := time.Now()
	tests := []struct {
		name    string
		msg     func(t *testing.T) *models.InboundMessage
		source  int64
		wantErr string // "" when accepted; else a fragment of the reason
	}{
		{"a request signed with the current secret is accepted", func(t *testing.T) *models.InboundMessage {
			return signed(t, current, "msg_1", now, oneEvent)
		}, 1, ""},
		{"a request signed with the previous secret during the overlap is accepted", func(t *testing.T) *models.InboundMessage {
			return signed(t, previous, "msg_1", now, oneEvent)
		}, 1, ""},
		{"one matching signature among several is enough", func(t *testing.T) *models.InboundMessage {
			m := signed(t, current, "msg_1", now, oneEvent)
			m.Signature = "v1," + base64.StdEncoding.EncodeToString([]byte("not it")) + " v2,xyz " + m.Signature
			return m
		}, 1, ""},
		{"a timestamp 4 minutes old is inside the tolerance", func(t *testing.T) *models.InboundMessage {
			return signed(t, current, "msg_1", now.Add(-4*time.Minute), oneEvent)
		}, 1, ""},
		{"another secret's signature is refused", func(t *testing.T) *models.InboundMessage {
			return signed(t, other, "msg_1", now, oneEvent)
		}, 1, "No signature"},
		{"a changed body is refused", func(t *testing.T) *models.InboundMessage {
			m := signed(t, current, "msg_1", now, oneEvent)
			m.Body = []byte(strings.Replace(oneEvent, "crm-1", "crm-2", 1))
			return m
		}, 1, "No signature"},
		{"a signature moved to another webhook-id is refused", func(t *testing.T) *models.InboundMessage {
			m := signed(t, current, "msg_1", now, oneEvent)
			m.ID = "msg_2"
			return m
		}, 1, "No signature"},
		{"a stale timestamp is refused", func(t *testing.T) *models.InboundMessage {
			return signed(t, current, "msg_1", now.Add(-6*time.Minute), oneEvent)
		}, 1, "in the past"},
		{"a timestamp from the future is refused", func(t *testing.T) *models.InboundMessage {
			return signed(t, current, "msg_1", now.Add(6*time.Minute), oneEvent)
		}, 1, "in the future"},
		{"a missing signature header is refused", func(t *testing.T) *models.InboundMessage {
			m := signed(t, current, "msg_1", now, oneEvent)
			m.Signature = ""
			return m
		}, 1, "headers are all required"},
		{"a timestamp that is no number is refused", func(t *testing.T) *models.InboundMessage {
			m := signed(t, current, "msg_1", now, oneEvent)
			m.Timestamp = "yesterday"
			return m
		}, 1, "Unix time"},
		{"a webhook-id with spaces is refused", func(t *testing.T) *models.InboundMessage {
			return signed(t, current, "msg 1", now, oneEvent)
		}, 1, "printable ASCII"},
		{"an unknown source is refused", func(t *testing.T) *models.InboundMessage {
			return signed(t, current, "msg_1", now, oneEvent)
		}, 2, "No webhook source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeSources{secrets: map[int64][]string{1: {current, previous}}}
			_, err := webhooks.Receiver{Store: store}.Receive(context.Background(), tt.source, tt.msg(t))
			if tt.wantErr == "" {
				if err != nil || len(store.stored) != 1 {
					t.Fatalf("err = %v, stored %d requests; want accepted", err, len(store.stored))
				}
				return
			}
			if models.ErrorCode(err) != models.EUNAUTHORIZED || !strings.Contains(models.ErrorMessage(err), tt.wantErr) {
				t.Errorf("err = %v, want unauthorized saying %q", err, tt.wantErr)
			}
			if len(store.stored) != 0 {
				t.Error("a refused request was stored")
			}
		})
	}
}

func TestReceiveRefusesUnusableBodies(t *testing.T) {
	secret := secrets.NewWebhookSecret()
	for name, tt := range map[string]struct {
		body string
		code string
	}{
		"a body that is not JSON is malformed":  {`{"type": "customer.deleted",`, models.EMALFORMED},
		"an empty batch is invalid":             {`{"events": []}`, models.EINVALID},
		"a batch with other members is invalid": {`{"events": [` + oneEvent + `], "extra": 1}`, models.EINVALID},
		"a batch of 1,001 events is invalid":    {`{"events": [` + strings.Repeat(oneEvent+",", 1000) + oneEvent + `]}`, models.EINVALID},
		"a JSON array is not an event or batch": {`[` + oneEvent + `]`, models.EMALFORMED},
	} {
		t.Run(name, func(t *testing.T) {
			store := &fakeSources{secrets: map[int64][]string{1: {secret}}}
			_, err := webhooks.Receiver{Store: store}.Receive(context.Background(), 1, signed(t, secret, "msg_1", time.Now(), tt.body))
			if code := models.ErrorCode(err); code != tt.code || len(store.stored) != 0 {
				t.Errorf("code %q (%v), stored %d; want %q and nothing stored", code, err, len(store.stored), tt.code)
			}
		})
	}
}
