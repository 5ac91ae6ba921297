package channels_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/candor/candor/channels"
)

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
