// Package testsinks gives end-to-end tests the far side of each channel:
// an in-process SMTP server, a Twilio-compatible SMS API and a CRM's
// webhook endpoint that verifies Standard Webhooks signatures. The SMS
// API and the webhook endpoint count a repeated idempotency key once, as
// a provider would; the SMTP server keeps every message, so a duplicate
// email shows as two arrivals with one Message-ID. Only tests import it.
package testsinks

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Arrival is one message a sink accepted: its idempotency key (email
// Message-ID, sms idempotency token, webhook-id), recipient, headers and
// body, and when it arrived.
type Arrival struct {
	Key    string
	To     string
	Header map[string][]string
	Body   []byte
	At     time.Time
}

// Sink records arrivals; it is safe for concurrent use.
type Sink struct {
	mu   sync.Mutex
	got  []Arrival
	keys map[string]int
	raw  int
}

func (s *Sink) add(a Arrival) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string]int{}
	}
	s.keys[a.Key]++
	s.got = append(s.got, a)
}

// Arrivals returns a copy of what arrived so far.
func (s *Sink) Arrivals() []Arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Arrival(nil), s.got...)
}

// Count is the number of messages accepted.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// StartSMTP starts an in-process SMTP server (go-smtp) that accepts every
// message; it returns the sink and the port.
func StartSMTP(tb testing.TB) (*Sink, int) {
	tb.Helper()
	s := &Sink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{sink: s}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return s, ln.Addr().(*net.TCPAddr).Port
}

type smtpSession struct {
	sink *Sink
	to   []string
}

func (ss *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *smtpSession) Reset()        { ss.to = nil }
func (ss *smtpSession) Logout() error { return nil }

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(msg.Body)
	id := strings.Trim(msg.Header.Get("Message-Id"), "<>")
	ss.sink.request()
	ss.sink.add(Arrival{Key: id, To: strings.Join(ss.to, ","), Header: msg.Header, Body: body, At: time.Now()})
	return nil
}

// StartSMS starts a Twilio-compatible Messages endpoint. Like a provider,
// it answers a repeated idempotency token with the first message and does
// not count it again.
func StartSMS(tb testing.TB) (*Sink, string) {
	tb.Helper()
	s := &Sink{}
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || !strings.HasSuffix(r.URL.Path, "/Messages.json") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		key := r.Header.Get("I-Twilio-Idempotency-Token")
		s.request()
		mu.Lock()
		first := !seen[key]
		seen[key] = true
		mu.Unlock()
		if first {
			s.add(Arrival{Key: key, To: r.PostForm.Get("To"), Header: r.Header.Clone(), Body: []byte(r.PostForm.Get("Body")), At: time.Now()})
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"sid":"SM` + key + `","status":"queued"}`))
	}))
	tb.Cleanup(srv.Close)
	return s, srv.URL
}

// StartWebhook starts the CRM's webhook-channel endpoint: it verifies every
// request with the Standard Webhooks reference library (401 otherwise)
// and, like a receiver that de-duplicates by webhook-id, counts a
// repeated id once.
func StartWebhook(tb testing.TB, secret string) (*Sink, string) {
	tb.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Sink{}
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := wh.Verify(body, r.Header); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m struct {
			ExternalID string `json:"external_id"`
		}
		_ = json.Unmarshal(body, &m)
		key := r.Header.Get("webhook-id")
		s.request()
		mu.Lock()
		first := !seen[key]
		seen[key] = true
		mu.Unlock()
		if first {
			s.add(Arrival{Key: key, To: m.ExternalID, Header: r.Header.Clone(), Body: body, At: time.Now()})
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(srv.Close)
	return s, srv.URL
}

// Keys returns how many times each idempotency key arrived.
func (s *Sink) Keys() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.keys))
	for k, n := range s.keys {
		out[k] = n
	}
	return out
}

// Requests is how many requests reached the sink, repeats included.
func (s *Sink) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw
}

func (s *Sink) request() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw++
}
