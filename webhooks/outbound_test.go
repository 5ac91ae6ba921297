package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/webhooks"
)

func TestRetryScheduleSpansAboutADay(t *testing.T) {
	var got []time.Duration
	var total time.Duration
	for n := 1; ; n++ {
		d, ok := webhooks.RetryDelay(n)
		if !ok {
			if n != webhooks.MaxAttempts {
				t.Errorf("the last attempt is %d, want MaxAttempts = %d", n, webhooks.MaxAttempts)
			}
			break
		}
		got = append(got, d)
		total += d
	}
	want := []time.Duration{5 * time.Second, 20 * time.Second, 80 * time.Second, 320 * time.Second, 1280 * time.Second,
		5120 * time.Second, 20480 * time.Second, 6 * time.Hour, 6 * time.Hour, 6 * time.Hour}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	if total < 20*time.Hour || total > 30*time.Hour {
		t.Errorf("first to last attempt spans %s, want about 24 hours", total)
	}
}

// receiver is an integration that verifies every request with the
// Standard Webhooks reference library, as a real receiver would.
type receiver struct {
	t      *testing.T
	wh     *standardwebhooks.Webhook
	status int
	got    chan webhooks.Payload
	ids    chan string
}

func newReceiver(t *testing.T, secret string, status int) (*receiver, *httptest.Server) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, wh: wh, status: status, got: make(chan webhooks.Payload, 10), ids: make(chan string, 10)}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := r.wh.Verify(body, req.Header); err != nil {
		r.t.Errorf("the reference library refuses the signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p webhooks.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		r.t.Errorf("body %s: %v", body, err)
	}
	r.got <- p
	r.ids <- req.Header.Get("webhook-id")
	w.WriteHeader(r.status)
}

func TestSendSignsWithStandardWebhooks(t *testing.T) {
	secret := secrets.NewWebhookSecret()
	rcv, srv := newReceiver(t, secret, http.StatusNoContent)
	s := &webhooks.Sender{Client: webhooks.NewClient(time.Second, true), AllowPrivate: true}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	msg := &models.WebhookMessage{ID: 1, EndpointID: 1, EventID: 42, Type: models.EventConsentChanged,
		Data: json.RawMessage(`{"external_id":"c-1","topic":"news","status":"opted_out","source":"api"}`), CreatedAt: at}
	res := s.Send(context.Background(), models.WebhookTarget{URL: srv.URL + "/hooks", Secret: secret}, msg)
	if !res.OK || res.StatusCode != http.StatusNoContent || res.Error != "" {
		t.Fatalf("result = %+v", res)
	}
	p, id := <-rcv.got, <-rcv.ids
	if p.Type != models.EventConsentChanged || !p.Timestamp.Equal(at) || !strings.Contains(string(p.Data), `"topic":"news"`) || id != "evt_42" {
		t.Errorf("received %+v with webhook-id %q", p, id)
	}
}

func TestSendFailures(t *testing.T) {
	secret := secrets.NewWebhookSecret()
	_, failing := newReceiver(t, secret, http.StatusServiceUnavailable)
	for _, tt := range []struct {
		name      string
		sender    *webhooks.Sender
		url       string
		secret    string
		wantCode  int
		wantError string
	}{
		{"a 503 answer is a failure with its status", &webhooks.Sender{Client: webhooks.NewClient(time.Second, true), AllowPrivate: true},
			failing.URL, secret, 503, "answered 503 Service Unavailable"},
		{"plain http without the allow setting is never sent", &webhooks.Sender{Client: webhooks.NewClient(time.Second, true)},
			failing.URL, secret, 0, "the endpoint URL must use https"},
		{"loopback without the allow setting is refused at connect time", &webhooks.Sender{Client: webhooks.NewClient(time.Second, false), AllowPrivate: true},
			failing.URL, secret, 0, "refused: " + webhooks.ErrForbiddenAddress.Error()},
		{"a bad secret is a failure", &webhooks.Sender{Client: webhooks.NewClient(time.Second, true), AllowPrivate: true},
			failing.URL, "whsec_!!", 0, "the endpoint secret is not a valid whsec_ secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg := &models.WebhookMessage{ID: 1, EventID: 7, Type: models.EventDeliverySent, Data: json.RawMessage(`{}`), CreatedAt: time.Now()}
			res := tt.sender.Send(context.Background(), models.WebhookTarget{URL: tt.url, Secret: tt.secret}, msg)
			if res.OK || res.StatusCode != tt.wantCode || res.Error != tt.wantError {
				t.Errorf("result = %+v, want status %d and error %q", res, tt.wantCode, tt.wantError)
			}
		})
	}
}
