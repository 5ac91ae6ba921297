package channels

import (
	"context"
	"crypto/tls"
	"errors"
	"net/mail"
	"sync"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/candor/candor/models"
)

// TLSMode says how the email channel protects its SMTP connection.
type TLSMode string

// The SMTP TLS modes.
const (
	TLSStartTLS TLSMode = "starttls" // plain connect, then mandatory STARTTLS (port 587)
	TLSImplicit TLSMode = "tls"      // TLS from the first byte (port 465)
	TLSNone     TLSMode = "none"     // no TLS: local relays and tests only (port 25)
)

// Defaults of EmailOptions.
const (
	DefaultSMTPTimeout  = 30 * time.Second
	DefaultSMTPPoolSize = 4
	DefaultSMTPIdle     = 30 * time.Second
)

// EmailOptions configures the email channel's SMTP server and pool.
type EmailOptions struct {
	Host string
	// Port 0 means 587 for starttls, 465 for tls and 25 for none.
	Port               int
	Username, Password string // empty Username: no SMTP AUTH
	// From is the sender, e.g. "Candor <news@example.com>"; its domain
	// also names every Message-ID.
	From string
	// TLS is the TLS mode; empty means TLSStartTLS.
	TLS TLSMode
	// TLSConfig replaces the default (system roots, ServerName Host).
	TLSConfig *tls.Config
	// Timeout bounds dialing and each message's SMTP exchange; 0 means
	// DefaultSMTPTimeout.
	Timeout time.Duration
	// PoolSize is the number of SMTP connections kept and used in
	// parallel; 0 means DefaultSMTPPoolSize.
	PoolSize int
	// IdleTimeout redials a connection unused for longer, before the
	// server drops it; 0 means DefaultSMTPIdle.
	IdleTimeout time.Duration
	// Now is the clock for the Date header; nil means time.Now.
	Now func() time.Time
}

// EmailSender sends email over a pool of SMTP connections. Each connection
// carries one message at a time, is dialed on first use and redialed after
// a connection failure. SMTP has no idempotency key, so it is not
// Idempotent.
type EmailSender struct {
	client *gomail.Client
	opts   EmailOptions
	slots  chan *smtpConn
	closed atomic.Bool
	once   sync.Once
}

type smtpConn struct {
	c    *smtp.Client
	used time.Time
}

// NewEmail checks opts and returns an EmailSender; it dials nothing yet. It
// returns an error naming the first missing or invalid option (never its
// value).
func NewEmail(opts EmailOptions) (*EmailSender, error) {
	if opts.TLS == "" {
		opts.TLS = TLSStartTLS
	}
	ports := map[TLSMode]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}
	switch {
	case opts.Host == "":
		return nil, errors.New("email: SMTP host is required")
	case ports[opts.TLS] == 0:
		return nil, errors.New(`email: TLS mode must be "starttls", "tls" or "none"`)
	case opts.Port < 0 || opts.Port > 65535:
		return nil, errors.New("email: SMTP port must be from 1 to 65535")
	case opts.PoolSize < 0 || opts.PoolSize > 256:
		return nil, errors.New("email: pool size must be from 1 to 256")
	}
	if _, err := mail.ParseAddress(opts.From); err != nil {
		return nil, errors.New("email: from must be an address such as \"Candor <news@example.com>\"")
	}
	opts.Port = cmp(opts.Port, ports[opts.TLS])
	opts.Timeout = cmp(opts.Timeout, DefaultSMTPTimeout)
	opts.PoolSize = cmp(opts.PoolSize, DefaultSMTPPoolSize)
	opts.IdleTimeout = cmp(opts.IdleTimeout, DefaultSMTPIdle)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	copts := []gomail.Option{gomail.WithPort(opts.Port), gomail.WithTimeout(opts.Timeout), gomail.WithoutNoop()}
	switch opts.TLS {
	case TLSStartTLS:
		copts = append(copts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		copts = append(copts, gomail.WithSSL())
	case TLSNone:
		copts = append(copts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if opts.TLSConfig != nil {
		copts = append(copts, gomail.WithTLSConfig(opts.TLSConfig))
	}
	if opts.Username != "" {
		// Autodiscovery never offers PLAIN or LOGIN over an unencrypted link.
		copts = append(copts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(opts.Username), gomail.WithPassword(opts.Password))
	}
	client, err := gomail.NewClient(opts.Host, copts...)
	if err != nil {
		return nil, errors.New("email: invalid SMTP client settings")
	}
	s := &EmailSender{client: client, opts: opts, slots: make(chan *smtpConn, opts.PoolSize)}
	for range opts.PoolSize {
		s.slots <- &smtpConn{}
	}
	return s, nil
}

// cmp returns v, or def when v is zero.
func cmp[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Send composes m (see ComposeEmail) and sends it on a pooled connection;
// ProviderID is the Message-ID. A stale pooled connection that fails before
// the message is handed over is redialed and the message sent once more.
// Errors are *SendError: permanent for invalid addresses and SMTP 5xx;
// transient for SMTP 4xx, connect, TLS or AUTH failures and network errors;
// MaybeSent when the connection broke after the whole message was written.
func (s *EmailSender) Send(ctx context.Context, m *Message) (Result, error) {
	msg, err := composeEmail(s.opts.From, m, s.opts.Now())
	if err != nil {
		return Result{}, err
	}
	id := msg.GetMessageID()
	id = id[1 : len(id)-1] // SetMessageIDWithValue added the angle brackets
	var slot *smtpConn
	select {
	case slot = <-s.slots:
	case <-ctx.Done():
		return Result{}, networkError(models.ChannelEmail, ctx, ctx.Err())
	}
	defer func() { s.slots <- slot }()
	if s.closed.Load() {
		return Result{}, transient(models.ChannelEmail, "sender closed", nil)
	}
	for attempt := 0; ; attempt++ {
		fresh, err := s.connect(ctx, slot)
		if err != nil {
			return Result{}, dialError(ctx, err)
		}
		err = s.sendOn(ctx, slot, msg)
		if err == nil {
			return Result{ProviderID: id}, nil
		}
		if msg.IsDelivered() { // accepted; only the RSET after it failed
			s.drop(slot)
			return Result{ProviderID: id}, nil
		}
		se, keep, stale := classifySMTP(ctx, err)
		if !keep {
			s.drop(slot)
		}
		if stale && !fresh && attempt == 0 && ctx.Err() == nil {
			continue
		}
		return Result{}, se
	}
}

// connect dials slot's connection if it has none or it idled too long, and
// reports whether the connection is new.
func (s *EmailSender) connect(ctx context.Context, slot *smtpConn) (bool, error) {
	if slot.c != nil && time.Since(slot.used) > s.opts.IdleTimeout {
		s.drop(slot)
	}
	if slot.c != nil {
		return false, nil
	}
	c, err := s.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return true, err
	}
	slot.c, slot.used = c, time.Now()
	return true, nil
}

// sendOn sends msg on slot's connection, closing the connection when ctx
// ends first so that a cancelled send does not wait for the SMTP timeout.
func (s *EmailSender) sendOn(ctx context.Context, slot *smtpConn, msg *gomail.Msg) error {
	text := slot.c.Text
	stop := context.AfterFunc(ctx, func() { _ = text.Close() })
	err := s.client.SendWithSMTPClient(slot.c, msg)
	if !stop() {
		s.drop(slot)
	}
	slot.used = time.Now()
	return err
}

// drop closes slot's connection without QUIT and forgets it.
func (s *EmailSender) drop(slot *smtpConn) {
	if slot.c != nil {
		_ = slot.c.Close()
		slot.c = nil
	}
}

// Idempotent reports false: a re-sent email is a second email.
func (s *EmailSender) Idempotent() bool { return false }

// Close waits for sends in flight, then says QUIT on every pooled
// connection. Later sends fail with a transient error. Close returns nil.
func (s *EmailSender) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		for range s.opts.PoolSize {
			slot := <-s.slots
			if slot.c != nil {
				_ = s.client.CloseWithSMTPClient(slot.c)
				slot.c = nil
			}
			defer func() { s.slots <- slot }()
		}
	})
	return nil
}
