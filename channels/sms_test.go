package channels_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/channels"
	"github.com/candor/candor/models"
)

// smsProvider is a Twilio-compatible Messages endpoint that records each
// request and answers with reply.
type smsProvider struct {
	mu    sync.Mutex
	reqs  []*http.Request
	forms []map[string]string
	reply func(w http.ResponseWriter, r *http.Request)
}

func startSMSProvider(tb testing.TB, reply func(w http.ResponseWriter, r *http.Request)) (*smsProvider, *httptest.Server) {
	tb.Helper()
	p := &smsProvider{reply: reply}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		p.mu.Lock()
		p.reqs = append(p.reqs, r)
		p.forms = append(p.forms, map[string]string{"To": r.PostForm.Get("To"), "From": r.PostForm.Get("From"), "Body": r.PostForm.Get("Body")})
		p.mu.Unlock()
		p.reply(w, r)
	}))
	tb.Cleanup(srv.Close)
	return p, srv
}

// requests returns what the provider received so far.
func (p *smsProvider) requests() ([]*http.Request, []map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.reqs...), append([]map[string]string(nil), p.forms...)
}

func newSMS(tb testing.TB, base string, timeout time.Duration) *channels.SMSSender {
	tb.Helper()
	s, err := channels.NewSMS(channels.SMSOptions{
		BaseURL: base, AccountSID: "AC123", AuthToken: "tok-secret", From: "+15005550006",
		Timeout: timeout, Now: func() time.Time { return fixedNow },
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func smsMsg(id int64, to string) *channels.Message {
	return &channels.Message{DeliveryID: id, Channel: models.ChannelSMS, To: to, Text: "Your pricing guide: https://candor.example/c/1"}
}

func created(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"sid":"SM0123456789","status":"queued"}`))
}

func TestSMSSendPostsTheTwilioRequest(t *testing.T) {
	p, srv := startSMSProvider(t, created)
	s := newSMS(t, srv.URL, 0)
	res, err := s.Send(context.Background(), smsMsg(77, "+14155550123"))
	if err != nil {
		t.Fatal(err)
	}
	reqs, forms := p.requests()
	r, form := reqs[0], forms[0]
	user, pass, _ := r.BasicAuth()
	checks := []struct{ name, got, want string }{
		{"the path names the account", r.URL.Path, "/2010-04-01/Accounts/AC123/Messages.json"},
		{"the method is POST", r.Method, http.MethodPost},
		{"basic auth carries the account SID", user, "AC123"},
		{"basic auth carries the auth token", pass, "tok-secret"},
		{"the body is form-encoded", r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"},
		{"the idempotency token is the delivery id", r.Header.Get("I-Twilio-Idempotency-Token"), "77"},
		{"To is the customer's number", form["To"], "+14155550123"},
		{"From is the configured sender", form["From"], "+15005550006"},
		{"Body is the text", form["Body"], "Your pricing guide: https://candor.example/c/1"},
		{"the provider id is the sid", res.ProviderID, "SM0123456789"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
	if !s.Idempotent() {
		t.Error("the sms sender must be idempotent")
	}
}

func TestSMSSendClassifiesFailures(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name       string
		to         string
		reply      func(w http.ResponseWriter, r *http.Request)
		permanent  bool
		retryAfter time.Duration
		reason     string
	}{
		{"a 500 is transient", "+14155550123", status(500, nil, ""), false, 0, "http 500"},
		{"a 429 with Retry-After seconds is transient with that delay", "+14155550123", status(429, map[string]string{"Retry-After": "17"}, ""), false, 17 * time.Second, "http 429"},
		{"a 503 with a Retry-After date is transient until that date", "+14155550123",
			status(503, map[string]string{"Retry-After": fixedNow.Add(2 * time.Minute).Format(http.TimeFormat)}, ""), false, 2 * time.Minute, "http 503"},
		{"a 400 is permanent and names the provider's code, not the number", "+14155550123",
			status(400, nil, `{"code":21211,"message":"The 'To' number +14155550123 is not a valid phone number."}`), true, 0, "http 400 provider code 21211"},
		{"a 408 is transient", "+14155550123", status(408, nil, ""), false, 0, "http 408"},
		{"a redirect is not followed and is permanent", "+14155550123", status(302, map[string]string{"Location": "/elsewhere"}, ""), true, 0, "http 302"},
		{"a 2xx without a sid is transient and maybe sent", "+14155550123", status(201, nil, `{}`), false, 0, "accepted without a message sid"},
		{"a number that is not E.164 is permanent and never posted", "0041 79 123", nil, true, 0, "invalid address"},
		{"a provider that does not answer in time is transient", "+14155550123", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}, false, 0, "timeout"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, srv := startSMSProvider(t, tt.reply)
			s := newSMS(t, srv.URL, 300*time.Millisecond)
			_, err := s.Send(context.Background(), smsMsg(int64(i), tt.to))
			if err == nil {
				t.Fatal("no error")
			}
			if channels.IsPermanent(err) != tt.permanent || channels.RetryAfter(err) != tt.retryAfter || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("got %q (permanent %v, retry after %v), want %q, permanent %v, retry after %v",
					err, channels.IsPermanent(err), channels.RetryAfter(err), tt.reason, tt.permanent, tt.retryAfter)
			}
			for _, secret := range []string{tt.to, "AC123", "tok-secret", srv.URL} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains %q", err, secret)
				}
			}
			if reqs, _ := p.requests(); tt.reply == nil && len(reqs) != 0 {
				t.Errorf("posted %d requests for an invalid number", len(reqs))
			}
		})
	}
}

// status answers with code, headers and body.
func status(code int, headers map[string]string, body string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}
