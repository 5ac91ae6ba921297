package channels_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/channels"
	"github.com/candor/candor/models"
)

var fixedNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func emailMsg(id int64, to string) *channels.Message {
	return &channels.Message{
		DeliveryID: id, Channel: models.ChannelEmail, To: to,
		Subject: "Our honest pricing guide", Text: "Hello Ada,\nhere is the guide.",
		HTML: "<p>Hello Ada,</p><p>here is the guide.</p>", Locale: "en-GB",
		UnsubscribeURL: "https://candor.example/u/AXUAtoken", PreferencesURL: "https://candor.example/p/AXAAtoken",
		CampaignID: 7, ContentID: 3, ContentVersion: 2,
	}
}

func newEmail(tb testing.TB, sink *smtpSink, mutate func(*channels.EmailOptions)) *channels.EmailSender {
	tb.Helper()
	opts := channels.EmailOptions{
		Host: sink.Addr, Port: sink.Port, From: "Candor <news@candor.example>",
		TLS: channels.TLSNone, PoolSize: 4, Timeout: 10 * time.Second, Now: func() time.Time { return fixedNow },
	}
	if mutate != nil {
		mutate(&opts)
	}
	s, err := channels.NewEmail(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// parts returns the message's headers and its body parts by content type.
func parts(t *testing.T, raw []byte) (mail.Header, map[string]string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	if !strings.HasPrefix(mt, "multipart/") {
		body, _ := io.ReadAll(msg.Body)
		out[mt] = string(body)
		return msg.Header, out
	}
	out[mt] = ""
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			return msg.Header, out
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		body, _ := io.ReadAll(p)
		out[pt] = string(body)
	}
}

func TestEmailSendDeliversOneCompleteMessage(t *testing.T) {
	sink := startSMTPSink(t, nil, nil)
	s := newEmail(t, sink, nil)
	res, err := s.Send(context.Background(), emailMsg(42, "ada@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	got := sink.Messages()
	if len(got) != 1 {
		t.Fatalf("the sink got %d messages, want 1", len(got))
	}
	h, body := parts(t, got[0].Data)
	checks := []struct{ name, got, want string }{
		{"the envelope sender is the From address", got[0].From, "news@candor.example"},
		{"the envelope recipient is the customer", strings.Join(got[0].To, ","), "ada@example.com"},
		{"the Message-ID derives from the delivery and the From domain", h.Get("Message-ID"), "<delivery-42.candor@candor.example>"},
		{"the provider id is that Message-ID", res.ProviderID, "delivery-42.candor@candor.example"},
		{"List-Unsubscribe names the https link", h.Get("List-Unsubscribe"), "<https://candor.example/u/AXUAtoken>"},
		{"List-Unsubscribe-Post asks for one click", h.Get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click"},
		{"the Date is the clock's", h.Get("Date"), fixedNow.Format(time.RFC1123Z)},
		{"the body is multipart/alternative", fmt.Sprint(body["multipart/alternative"] == ""), "true"},
		{"the text part is there", body["text/plain"], "Hello Ada,\r\nhere is the guide."},
		{"the HTML alternative is there", body["text/html"], "<p>Hello Ada,</p><p>here is the guide.</p>"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
	t.Run("SMTP carries exactly the bytes ComposeEmail returns", func(t *testing.T) {
		raw, err := channels.ComposeEmail("Candor <news@candor.example>", emailMsg(42, "ada@example.com"), fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bytes.TrimRight(got[0].Data, "\r\n"), bytes.TrimRight(raw, "\r\n")) {
			t.Errorf("SMTP data differs from ComposeEmail:\n%s\n---\n%s", got[0].Data, raw)
		}
	})
}

func TestComposeEmail(t *testing.T) {
	from := "Candor <news@candor.example>"
	tests := []struct {
		name    string
		mutate  func(m *channels.Message)
		wantErr string
		check   func(t *testing.T, h mail.Header, body map[string]string)
	}{
		{"a text-only message has a single text/plain body", func(m *channels.Message) { m.HTML = "" }, "", func(t *testing.T, h mail.Header, body map[string]string) {
			if len(body) != 1 || body["text/plain"] == "" {
				t.Errorf("bodies %v, want text/plain only", body)
			}
		}},
		{"a line break in the subject cannot inject a header", func(m *channels.Message) { m.Subject = "Hi\r\nBcc: x@evil.example" }, "", func(t *testing.T, h mail.Header, _ map[string]string) {
			if h.Get("Bcc") != "" || h.Get("Subject") != "Hi Bcc: x@evil.example" {
				t.Errorf("Subject %q, Bcc %q", h.Get("Subject"), h.Get("Bcc"))
			}
		}},
		{"an http unsubscribe link gets List-Unsubscribe without one-click", func(m *channels.Message) { m.UnsubscribeURL = "http://localhost:8080/u/T" }, "", func(t *testing.T, h mail.Header, _ map[string]string) {
			if h.Get("List-Unsubscribe") != "<http://localhost:8080/u/T>" || h.Get("List-Unsubscribe-Post") != "" {
				t.Errorf("List-Unsubscribe %q, -Post %q", h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"))
			}
		}},
		{"a non-ASCII subject is encoded", func(m *channels.Message) { m.Subject = "Grüß Gott" }, "", func(t *testing.T, h mail.Header, _ map[string]string) {
			dec, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			if err != nil || dec != "Grüß Gott" {
				t.Errorf("Subject decodes to %q (%v)", dec, err)
			}
		}},
		{"a message without an unsubscribe link is refused", func(m *channels.Message) { m.UnsubscribeURL = "" }, "permanent: no unsubscribe link", nil},
		{"a mailto unsubscribe link is refused", func(m *channels.Message) { m.UnsubscribeURL = "mailto:x@y" }, "permanent: unsubscribe link is not an http(s) URL", nil},
		{"an invalid address is refused without naming it", func(m *channels.Message) { m.To = "ada at example" }, "permanent: invalid address", nil},
		{"two recipients are refused", func(m *channels.Message) { m.To = "ada@example.com, bob@example.com" }, "permanent: invalid address", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := emailMsg(9, "ada@example.com")
			tt.mutate(m)
			raw, err := channels.ComposeEmail(from, m, fixedNow)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !channels.IsPermanent(err) {
					t.Fatalf("error %v, want permanent %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), m.To) {
					t.Errorf("error %q names the address", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			again, _ := channels.ComposeEmail(from, m, fixedNow)
			if !bytes.Equal(raw, again) {
				t.Error("composing twice gave different bytes")
			}
			h, body := parts(t, raw)
			tt.check(t, h, body)
		})
	}
}

func TestEmailSendClassifiesServerReplies(t *testing.T) {
	sink := startSMTPSink(t, nil, nil)
	s := newEmail(t, sink, nil)
	tests := []struct {
		name                 string
		to                   string
		permanent, maybeSent bool
		reason               string
	}{
		{"a 4xx at RCPT is transient", "temp@example.com", false, false, "smtp 451 4.3.0 at RCPT TO"},
		{"a 5xx at RCPT is permanent", "perm@example.com", true, false, "smtp 550 5.1.1 at RCPT TO"},
		{"a 5xx after the data is permanent", "reject@example.com", true, false, "smtp 554 5.7.1 at end of data"},
		{"a hang-up after the data is transient and maybe sent", "hangup@example.com", false, true, "connection lost at end of data"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Send(context.Background(), emailMsg(int64(100+i), tt.to))
			if err == nil {
				t.Fatal("no error")
			}
			if channels.IsPermanent(err) != tt.permanent || channels.MaybeSent(err) != tt.maybeSent || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("got %q (permanent %v, maybe sent %v), want reason %q, permanent %v, maybe sent %v",
					err, channels.IsPermanent(err), channels.MaybeSent(err), tt.reason, tt.permanent, tt.maybeSent)
			}
			if strings.Contains(err.Error(), tt.to) || strings.Contains(err.Error(), local(tt.to)+"@") {
				t.Errorf("error %q names the address", err)
			}
		})
	}
	t.Run("the pool still sends after every failure", func(t *testing.T) {
		if _, err := s.Send(context.Background(), emailMsg(200, "ada@example.com")); err != nil {
			t.Fatal(err)
		}
		if n := len(sink.Messages()); n != 1 {
			t.Errorf("the sink holds %d messages, want 1", n)
		}
	})
}

func TestEmailSendRecoversAndStops(t *testing.T) {
	t.Run("connections the server dropped are redialed and the message arrives once", func(t *testing.T) {
		sink := startSMTPSink(t, nil, nil)
		s := newEmail(t, sink, func(o *channels.EmailOptions) { o.PoolSize = 1 })
		for i := range 3 {
			if _, err := s.Send(context.Background(), emailMsg(int64(i), "ada@example.com")); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
			sink.DropConnections()
		}
		if n := len(sink.Messages()); n != 3 {
			t.Errorf("the sink holds %d messages, want 3", n)
		}
	})
	t.Run("a cancelled send returns at once as transient and maybe sent", func(t *testing.T) {
		sink := startSMTPSink(t, nil, nil)
		s := newEmail(t, sink, nil)
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-sink.arrived; cancel() }()
		_, err := s.Send(ctx, emailMsg(1, "block@example.com"))
		if err == nil || channels.IsPermanent(err) || !channels.MaybeSent(err) || !strings.Contains(err.Error(), "cancelled") {
			t.Errorf("got %v, want a transient, maybe-sent cancellation", err)
		}
	})
	t.Run("an unreachable server is a transient connect error", func(t *testing.T) {
		sink := startSMTPSink(t, nil, nil)
		s := newEmail(t, sink, func(o *channels.EmailOptions) { o.Port = 1 })
		_, err := s.Send(context.Background(), emailMsg(1, "ada@example.com"))
		if err == nil || channels.IsPermanent(err) || !strings.Contains(err.Error(), "smtp connect") {
			t.Errorf("got %v, want a transient connect error", err)
		}
	})
	t.Run("a closed sender refuses to send", func(t *testing.T) {
		sink := startSMTPSink(t, nil, nil)
		s := newEmail(t, sink, nil)
		_ = s.Close()
		if _, err := s.Send(context.Background(), emailMsg(1, "ada@example.com")); err == nil {
			t.Error("sent after Close")
		}
	})
}

func TestEmailSendOverSTARTTLSWithAuth(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	sink := startSMTPSink(t, serverTLS, &sinkAuth{"candor", "s3cret"})
	tests := []struct {
		name, pass string
		mode       channels.TLSMode
		wantErr    bool
	}{
		{"the right password over STARTTLS sends", "s3cret", channels.TLSStartTLS, false},
		{"a wrong password is a transient error without the secret", "wrong", channels.TLSStartTLS, true},
		{"no TLS never offers the password in the clear", "s3cret", channels.TLSNone, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newEmail(t, sink, func(o *channels.EmailOptions) {
				o.TLS, o.TLSConfig, o.Username, o.Password = tt.mode, clientTLS.Clone(), "candor", tt.pass
			})
			_, err := s.Send(context.Background(), emailMsg(int64(i), "ada@example.com"))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && (channels.IsPermanent(err) || strings.Contains(err.Error(), tt.pass)) {
				t.Errorf("got %q, want transient and without the password", err)
			}
		})
	}
	if n := len(sink.Messages()); n != 1 {
		t.Errorf("the sink holds %d messages, want 1", n)
	}
}

func TestEmailSendConcurrently(t *testing.T) {
	sink := startSMTPSink(t, nil, nil)
	s := newEmail(t, sink, nil)
	const workers, each = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := int64(w*each + i)
				if _, err := s.Send(context.Background(), emailMsg(id, fmt.Sprintf("c%d@example.com", id))); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]int{}
	for _, m := range sink.Messages() {
		h, _ := parts(t, m.Data)
		seen[h.Get("Message-ID")]++
	}
	t.Run("all 200 sends from 20 goroutines arrive exactly once", func(t *testing.T) {
		if len(seen) != workers*each {
			t.Errorf("%d distinct messages arrived, want %d", len(seen), workers*each)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s arrived %d times", id, n)
			}
		}
	})
}
