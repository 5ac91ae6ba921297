package channels_test

import (
	"bytes"
	"context"
	"fmt"
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
