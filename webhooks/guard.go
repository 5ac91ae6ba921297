package webhooks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenAddress refuses a connection to an address an outbound
// webhook may not reach (server-side request forgery guard).
var ErrForbiddenAddress = errors.New("destination address is loopback, private, link-local or a metadata service")

// forbiddenPrefixes are ranges a webhook may not reach beyond what the
// netip predicates cover: carrier-grade NAT (some clouds' metadata
// service lives there), the IPv4 benchmark and reserved ranges, and the
// AWS IPv6 metadata address (inside fc00::/7, named for clarity).
var forbiddenPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// Forbidden reports whether an outbound webhook may not connect to ip:
// loopback, private (RFC 1918, fc00::/7), link-local (169.254.0.0/16,
// where cloud metadata services answer, and fe80::/10), unspecified,
// multicast, or one of forbiddenPrefixes. IPv4-mapped and NAT64 IPv6
// addresses are judged as the IPv4 address they carry.
func Forbidden(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
		return true
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	if nat64.Contains(ip) {
		// A NAT64 address is judged as the IPv4 address it carries.
		b := ip.As16()
		return Forbidden(netip.AddrFrom4([4]byte(b[12:16])))
	}
	return false
}

// nat64 is the well-known NAT64 prefix (RFC 6052).
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// guardControl is the dialer's Control hook: it runs after DNS
// resolution, on the very address about to be connected, so a name that
// resolved to a public address when checked and to 127.0.0.1 now (DNS
// rebinding) is still refused.
func guardControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || Forbidden(ap.Addr()) {
		return ErrForbiddenAddress
	}
	return nil
}

// NewClient returns the HTTP client outbound webhooks are sent with:
// every phase bounded by timeout, keep-alive connections shared across
// sends, redirects not followed (a redirect would carry the signed body
// elsewhere), no proxy from the environment (a proxy would be the only
// address the guard sees), and unless allowPrivate, connections only to
// addresses Forbidden refuses not.
func NewClient(timeout time.Duration, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = guardControl
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
