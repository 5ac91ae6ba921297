package worker_test

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

// arrival is one message a sink accepted: its idempotency key (email
// Message-ID, sms idempotency token, webhook-id), recipient, headers and
// body, and when it arrived.
type arrival struct {
	Key    string
	To     string
	Header map[string][]string
	Body   []byte
	At     time.Time
}

// sink records arrivals; it is safe for concurrent use.
type sink struct {
	mu   sync.Mutex
	got  []arrival
	keys map[string]int
}

func (s *sink) add(a arrival) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string]int{}
	}
	s.keys[a.Key]++
	s.got = append(s.got, a)
}

// arrivals returns a copy of what arrived so far.
func (s *sink) arrivals() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]arrival(nil), s.got...)
}

// count is the number of messages accepted.
func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// startSMTP starts an in-process SMTP server (go-smtp) that accepts every
// message; it returns the sink and the port.
func startSMTP(tb testing.TB) (*sink, int) {
	tb.Helper()
	s := &sink{}
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
	sink *sink
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
	ss.sink.add(arrival{Key: id, To: strings.Join(ss.to, ","), Header: msg.Header, Body: body, At: time.Now()})
	return nil
}

// startSMS starts a Twilio-compatible Messages endpoint. Like a provider,
// it answers a repeated idempotency token with the first message and does
// not count it again.
func startSMS(tb testing.TB) (*sink, string) {
	tb.Helper()
	s := &sink{}
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || !strings.HasSuffix(r.URL.Path, "/Messages.json") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		key := r.Header.Get("I-Twilio-Idempotency-Token")
		mu.Lock()
		first := !seen[key]
		seen[key] = true
		mu.Unlock()
		if first {
			s.add(arrival{Key: key, To: r.PostForm.Get("To"), Header: r.Header.Clone(), Body: []byte(r.PostForm.Get("Body")), At: time.Now()})
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"sid":"SM` + key + `","status":"queued"}`))
	}))
	tb.Cleanup(srv.Close)
	return s, srv.URL
}

// hookSecret signs the webhook channel in tests.
const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// startHook starts the CRM's webhook-channel endpoint: it verifies every
// request with the Standard Webhooks reference library (401 otherwise)
// and, like a receiver that de-duplicates by webhook-id, counts a
// repeated id once.
func startHook(tb testing.TB) (*sink, string) {
	tb.Helper()
	wh, err := standardwebhooks.NewWebhook(hookSecret)
	if err != nil {
		tb.Fatal(err)
	}
	s := &sink{}
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
		mu.Lock()
		first := !seen[key]
		seen[key] = true
		mu.Unlock()
		if first {
			s.add(arrival{Key: key, To: m.ExternalID, Header: r.Header.Clone(), Body: body, At: time.Now()})
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(srv.Close)
	return s, srv.URL
}
