package channels

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/candor/candor/models"
)

// ComposeEmail returns the exact RFC 5322 bytes the email channel carries
// for m from the sender from (e.g. "Candor <news@example.com>"), dated date:
// a stable Message-ID derived from the delivery id and the From domain, a
// text/plain part with a text/html alternative when m.HTML is set, and
// List-Unsubscribe headers. Composing the same message at the same date
// gives the same bytes, so the outbox stores what SMTP would carry.
//
// It returns a permanent *SendError for an invalid From or To address and
// for a missing or non-http(s) UnsubscribeURL.
func ComposeEmail(from string, m *Message, date time.Time) ([]byte, error) {
	msg, err := composeEmail(from, m, date)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, permanent(models.ChannelEmail, "writing message", nil)
	}
	return buf.Bytes(), nil
}

// EmailMessageID returns the Message-ID, without angle brackets, that the
// email channel gives delivery id under the domain of from, such as
// "delivery-42.candor@example.com". A retry carries the same id, so the
// receiving side can recognise it. It returns a permanent *SendError when
// from is not an address.
func EmailMessageID(from string, deliveryID int64) (string, error) {
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return "", permanent(models.ChannelEmail, "invalid from address", nil)
	}
	domain := addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	return "delivery-" + strconv.FormatInt(deliveryID, 10) + ".candor@" + domain, nil
}

// composeEmail builds the go-mail message behind ComposeEmail.
func composeEmail(from string, m *Message, date time.Time) (*gomail.Msg, error) {
	id, err := EmailMessageID(from, m.DeliveryID)
	if err != nil {
		return nil, err
	}
	unsubscribe, oneClick, err := unsubscribeHeader(m.UnsubscribeURL)
	if err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithBoundary(boundary(m)))
	if err := msg.From(from); err != nil {
		return nil, permanent(models.ChannelEmail, "invalid from address", nil)
	}
	if strings.ContainsAny(m.To, "\r\n,;<>") {
		return nil, permanent(models.ChannelEmail, "invalid address", nil)
	}
	if err := msg.To(m.To); err != nil {
		return nil, permanent(models.ChannelEmail, "invalid address", nil)
	}
	msg.Subject(strings.Join(strings.Fields(m.Subject), " "))
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(date)
	msg.SetGenHeader(gomail.HeaderListUnsubscribe, unsubscribe)
	if oneClick {
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// unsubscribeHeader returns the List-Unsubscribe value for link and whether
// it supports RFC 8058 one-click (https only; plain http, as on a developer
// machine, gets the header without List-Unsubscribe-Post).
func unsubscribeHeader(link string) (string, bool, error) {
	if link == "" {
		return "", false, permanent(models.ChannelEmail, "no unsubscribe link", nil)
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", false, permanent(models.ChannelEmail, "unsubscribe link is not an http(s) URL", nil)
	}
	return "<" + u.String() + ">", u.Scheme == "https", nil
}

// boundary derives the MIME boundary from the delivery and its content, so
// composing is repeatable and the boundary cannot occur in the body.
func boundary(m *Message) string {
	h := sha256.New()
	h.Write([]byte(strconv.FormatInt(m.DeliveryID, 10) + "\x00" + m.Text + "\x00" + m.HTML))
	return "candor-" + hex.EncodeToString(h.Sum(nil)[:12])
}
