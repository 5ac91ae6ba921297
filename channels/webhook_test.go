package channels_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/channels"
	"github.com/candor/candor/models"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// crmEndpoint receives webhook-channel messages and records header and body.
type crmEndpoint struct {
	mu      sync.Mutex
	headers []http.Header
	bodies  [][]byte
}

func (c *crmEndpoint) received() ([]http.Header, [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]http.Header(nil), c.headers...), append([][]byte(nil), c.bodies...)
}

func startCRM(tb testing.TB, reply func(w http.ResponseWriter, r *http.Request)) (*crmEndpoint, *httptest.Server) {
	tb.Helper()
	c := &crmEndpoint{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.headers, c.bodies = append(c.headers, r.Header.Clone()), append(c.bodies, body)
		c.mu.Unlock()
		reply(w, r)
	}))
	tb.Cleanup(srv.Close)
	return c, srv
}

func newWebhook(tb testing.TB, url string, mutate func(*channels.WebhookOptions)) *channels.WebhookSender {
	tb.Helper()
	opts := channels.WebhookOptions{URL: url, Secret: testSecret, AllowPrivate: true} // the default 10 s timeout: 300 ms timed out under a loaded test run
	if mutate != nil {
		mutate(&opts)
	}
	s, err := channels.NewWebhook(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func webhookMsg(id int64) *channels.Message {
	m := emailMsg(id, "crm-1001")
	m.Channel = models.ChannelWebhook
	return m
}

func TestWebhookSendPostsASignedEvent(t *testing.T) {
	crm, srv := startCRM(t, status(204, nil, ""))
	s := newWebhook(t, srv.URL, nil)
	res, err := s.Send(context.Background(), webhookMsg(42))
	if err != nil {
		t.Fatal(err)
	}
	headers, bodies := crm.received()
	h, body := headers[0], bodies[0]
	t.Run("the reference library verifies the signature", func(t *testing.T) {
		wh, err := standardwebhooks.NewWebhook(testSecret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("Verify: %v", err)
		}
	})
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"webhook-id is the delivery id", h.Get("webhook-id"), "42"},
		{"the body is JSON", h.Get("Content-Type"), "application/json"},
		{"the type is message.send", ev["type"], "message.send"},
		{"delivery_id is the delivery", ev["delivery_id"], 42.0},
		{"external_id addresses the customer", ev["external_id"], "crm-1001"},
		{"the channel is webhook", ev["channel"], "webhook"},
		{"the unsubscribe link is included", ev["unsubscribe_url"], "https://candor.example/u/AXUAtoken"},
		{"the preferences link is included", ev["preferences_url"], "https://candor.example/p/AXAAtoken"},
		{"the content version is included", ev["content_version"], 2.0},
		{"without an id in the answer the provider id is the delivery id", res.ProviderID, "42"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
	for _, tt := range []struct{ name, answer, want string }{
		{"a string id in the answer becomes the provider id", `{"id":"crm-msg-9"}`, "crm-msg-9"},
		{"a large numeric id keeps every digit", `{"id":9007199254740993}`, "9007199254740993"},
		{"an answer that is not JSON leaves the delivery id", `ok`, "43"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := startCRM(t, status(200, nil, tt.answer))
			res, err := newWebhook(t, srv.URL, nil).Send(context.Background(), webhookMsg(43))
			if err != nil || res.ProviderID != tt.want {
				t.Errorf("got %q, %v; want %q", res.ProviderID, err, tt.want)
			}
		})
	}
}

func TestWebhookSendClassifiesFailures(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name         string
		reply        func(w http.ResponseWriter, r *http.Request)
		allowPrivate bool
		permanent    bool
		retryAfter   time.Duration
		reason       string
	}{
		{"a 500 is transient", status(500, nil, "boom"), true, false, 0, "http 500"},
		{"a 429 with Retry-After is transient with that delay", status(429, map[string]string{"Retry-After": "120"}, ""), true, false, 2 * time.Minute, "http 429"},
		{"a 400 is permanent", status(400, nil, `{"error":"unknown customer crm-1001"}`), true, true, 0, "http 400"},
		{"a 410 is permanent", status(410, nil, ""), true, true, 0, "http 410"},
		{"a redirect is permanent: the signed body is not replayed elsewhere", status(307, map[string]string{"Location": "https://elsewhere.example/"}, ""), true, true, 0, "http 307"},
		{"an endpoint that does not answer in time is transient", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}, true, false, 0, "timeout"},
		{"a loopback endpoint is refused unless private addresses are allowed", status(204, nil, ""), false, true, 0, "destination address not allowed"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := startCRM(t, tt.reply)
			s := newWebhook(t, srv.URL+"/hook?token=url-secret", func(o *channels.WebhookOptions) { o.AllowPrivate = tt.allowPrivate })
			_, err := s.Send(context.Background(), webhookMsg(int64(i)))
			if err == nil {
				t.Fatal("no error")
			}
			if channels.IsPermanent(err) != tt.permanent || channels.RetryAfter(err) != tt.retryAfter || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("got %q (permanent %v, retry after %v), want %q, permanent %v, retry after %v",
					err, channels.IsPermanent(err), channels.RetryAfter(err), tt.reason, tt.permanent, tt.retryAfter)
			}
			for _, secret := range []string{"crm-1001", "url-secret", testSecret, "Hello Ada"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains %q", err, secret)
				}
			}
		})
	}
}

func TestNewWebhookRefusesBadSettings(t *testing.T) {
	tests := []struct{ name, url, secret string }{
		{"a URL without a scheme is refused", "crm.example/hook", testSecret},
		{"an ftp URL is refused", "ftp://crm.example/hook", testSecret},
		{"a secret without whsec_ is refused", "https://crm.example/hook", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"a secret that is not base64 is refused", "https://crm.example/hook", "whsec_not base64!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := channels.NewWebhook(channels.WebhookOptions{URL: tt.url, Secret: tt.secret})
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}
