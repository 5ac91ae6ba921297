package channels_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpSink is an in-process SMTP server that records every message it
// accepts. A recipient whose local part names a failure makes it fail:
// "temp" (451 at RCPT), "perm" (550 at RCPT, echoing the address as real
// servers do), "reject" (554 after DATA), "hangup" (connection closed after
// the data, with no reply) and "block" (waits on unblock after the data).
type smtpSink struct {
	srv  *smtp.Server
	Addr string
	Port int

	// CountOnly makes the sink count messages instead of keeping them
	// (benchmarks); set it before the first message.
	CountOnly bool
	count     atomic.Int64

	mu    sync.Mutex
	msgs  []sunk
	conns []net.Conn
	// arrived receives a value when a "block" message's data has arrived.
	arrived chan struct{}
	unblock chan struct{}
}

type sunk struct {
	From string
	To   []string
	Data []byte
}

// sinkAuth, when set, requires AUTH PLAIN with these credentials.
type sinkAuth struct{ user, pass string }

func startSMTPSink(tb testing.TB, tlsCfg *tls.Config, auth *sinkAuth) *smtpSink {
	tb.Helper()
	s := &smtpSink{arrived: make(chan struct{}, 8), unblock: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns = append(s.conns, c.Conn())
		s.mu.Unlock()
		return &sinkSession{sink: s, conn: c, auth: auth}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = tlsCfg
	s.srv.ReadTimeout, s.srv.WriteTimeout = time.Minute, time.Minute
	s.srv.AllowInsecureAuth = tlsCfg == nil
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // hang-ups are provoked on purpose
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.Addr, s.Port = "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
	go func() { _ = s.srv.Serve(ln) }()
	tb.Cleanup(func() {
		close(s.unblock)
		_ = s.srv.Close()
	})
	return s
}

// Messages returns a copy of what the sink accepted so far.
func (s *smtpSink) Messages() []sunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunk(nil), s.msgs...)
}

// DropConnections closes every client connection, as an idle server does.
func (s *smtpSink) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

type sinkSession struct {
	sink   *smtpSink
	conn   *smtp.Conn
	auth   *sinkAuth
	authed bool
	cur    sunk
}

func (ss *sinkSession) AuthMechanisms() []string {
	if ss.auth == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if ss.auth == nil || user != ss.auth.user || pass != ss.auth.pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.auth != nil && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.cur = sunk{From: from}
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch local(to) {
	case "temp":
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	case "perm":
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: no such user"}
	}
	ss.cur.To = append(ss.cur.To, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	switch local(ss.cur.To[0]) {
	case "reject":
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected"}
	case "hangup":
		_ = ss.conn.Conn().Close()
		return errors.New("hung up")
	case "block":
		ss.sink.arrived <- struct{}{}
		<-ss.sink.unblock
		return errors.New("unblocked")
	}
	if ss.sink.CountOnly {
		ss.sink.count.Add(1)
		return nil
	}
	ss.cur.Data = data
	ss.sink.mu.Lock()
	ss.sink.msgs = append(ss.sink.msgs, ss.cur)
	ss.sink.mu.Unlock()
	return nil
}

func (ss *sinkSession) Reset()        { ss.cur = sunk{} }
func (ss *sinkSession) Logout() error { return nil }

func local(addr string) string {
	l, _, _ := strings.Cut(addr, "@")
	return l
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client config
// that trusts it.
func selfSigned(tb testing.TB) (server, client *tls.Config) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return server, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}
