package webhooks

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/candor/candor/internal/netguard"
)

// ErrForbiddenAddress refuses a connection to an address an outbound
// webhook may not reach (server-side request forgery guard).
var ErrForbiddenAddress = netguard.ErrForbidden

// Forbidden reports whether an outbound webhook may not connect to ip
// (netguard.Forbidden: loopback, private, link-local, metadata, ...).
func Forbidden(ip netip.Addr) bool { return netguard.Forbidden(ip) }

// NewClient returns the HTTP client outbound webhooks are sent with:
// every phase bounded by timeout, keep-alive connections shared across
// sends, redirects not followed (a redirect would carry the signed body
// elsewhere), no proxy from the environment (a proxy would be the only
// address the guard sees), and unless allowPrivate, connections only to
// addresses Forbidden refuses not.
func NewClient(timeout time.Duration, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = netguard.Control
	}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Timeout:       timeout,
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Resolver looks host names up; net.DefaultResolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// URLPolicy is what an endpoint URL must satisfy beyond its form: https
// and a public address, unless AllowPrivate (CANDOR_WEBHOOK_ALLOW_PRIVATE,
// for tests, local development and the demo) permits plain http and
// private addresses.
type URLPolicy struct {
	AllowPrivate bool
	// Resolver checks a host name at registration; nil means
	// net.DefaultResolver. A name that does not resolve is accepted (the
	// dialer checks again at every connection).
	Resolver Resolver
}

// Check returns the rule a URL (already of valid form) breaks, "" if
// none, and a detail for the client.
func (p URLPolicy) Check(ctx context.Context, raw string) (rule, detail string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "url", "must be an absolute URL"
	}
	if p.AllowPrivate {
		return "", ""
	}
	if u.Scheme != "https" {
		return "https", "must use https (plain http is allowed only with CANDOR_WEBHOOK_ALLOW_PRIVATE=true)"
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		if Forbidden(ip) {
			return "public_address", "must not point to a loopback, private, link-local or metadata address"
		}
		return "", ""
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "public_address", "must not point to localhost"
	}
	r := p.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return "", ""
	}
	for _, a := range addrs {
		if Forbidden(a) {
			return "public_address", "resolves to a loopback, private, link-local or metadata address (" + a.String() + ")"
		}
	}
	return "", ""
}
