package channels

import (
	"context"
	"errors"

	"github.com/candor/candor/models"
)

// Options holds the settings of each channel; a nil entry means the channel
// has no settings of its own.
type Options struct {
	Email   *EmailOptions
	SMS     *SMSOptions
	Webhook *WebhookOptions
}

// Transport names what carries a channel's messages.
type Transport string

// The transports.
const (
	TransportNone    Transport = ""        // the channel cannot send
	TransportSMTP    Transport = "smtp"    // email through EmailSender
	TransportSMSAPI  Transport = "sms_api" // sms through SMSSender
	TransportWebhook Transport = "webhook" // webhook through WebhookSender
	TransportOutbox  Transport = "outbox"  // any channel, stored by Outbox
)

// ErrNoTransport is wrapped by the permanent *SendError returned for a
// channel that has neither settings of its own nor the outbox.
var ErrNoTransport = errors.New("channel has no transport")

type entry struct {
	sender    Sender
	transport Transport
}

// Set maps each channel to its Sender. It is safe for concurrent use.
type Set struct {
	by     map[models.Channel]entry
	outbox *Outbox
}

// New builds the Set: every channel with settings in opts gets its real
// transport; with fallbackToOutbox (embedded mode) every other channel
// writes to outbox, keeping its own channel; explicit settings always win.
// It returns the joined errors of invalid settings, or an error when
// fallbackToOutbox is set without an outbox store; nothing is dialed.
func New(opts Options, outbox OutboxStore, fallbackToOutbox bool) (*Set, error) {
	if fallbackToOutbox && outbox == nil {
		return nil, errors.New("channels: the outbox fallback needs an outbox store")
	}
	s := &Set{by: map[models.Channel]entry{}}
	var errs []error
	add := func(ch models.Channel, sender Sender, t Transport, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		s.by[ch] = entry{sender, t}
	}
	if opts.Email != nil {
		sender, err := NewEmail(*opts.Email)
		add(models.ChannelEmail, sender, TransportSMTP, err)
	}
	if opts.SMS != nil {
		sender, err := NewSMS(*opts.SMS)
		add(models.ChannelSMS, sender, TransportSMSAPI, err)
	}
	if opts.Webhook != nil {
		sender, err := NewWebhook(*opts.Webhook)
		add(models.ChannelWebhook, sender, TransportWebhook, err)
	}
	if len(errs) > 0 {
		_ = s.Close()
		return nil, errors.Join(errs...)
	}
	if fallbackToOutbox {
		from := ""
		if opts.Email != nil {
			from = opts.Email.From
		}
		s.outbox = NewOutbox(outbox, from, nil)
		for _, ch := range models.Channels {
			if _, ok := s.by[ch]; !ok {
				s.by[ch] = entry{s.outbox, TransportOutbox}
			}
		}
	}
	return s, nil
}

// Sender returns the Sender of ch and ok, or nil and false when ch cannot
// send (no settings and no outbox fallback).
func (s *Set) Sender(ch models.Channel) (Sender, bool) {
	e, ok := s.by[ch]
	return e.sender, ok
}

// Transport returns what carries ch's messages (TransportNone if nothing).
func (s *Set) Transport(ch models.Channel) Transport { return s.by[ch].transport }

// Send sends m through the Sender of m.Channel and never through another
// channel's. It returns a permanent *SendError wrapping ErrNoTransport when
// the channel cannot send, else whatever that Sender returns.
func (s *Set) Send(ctx context.Context, m *Message) (Result, error) {
	sender, ok := s.Sender(m.Channel)
	if !ok {
		return Result{}, permanent(m.Channel, "channel has no transport", ErrNoTransport)
	}
	return sender.Send(ctx, m)
}

// Close closes every Sender once and returns their joined errors.
func (s *Set) Close() error {
	var errs []error
	seen := map[Sender]bool{}
	for _, e := range s.by {
		if !seen[e.sender] {
			seen[e.sender] = true
			errs = append(errs, e.sender.Close())
		}
	}
	return errors.Join(errs...)
}
