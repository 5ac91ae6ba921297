// Package netguard keeps the requests Candor makes on behalf of its users
// (outbound webhook endpoints, the webhook delivery channel) out of its
// own network: a dialer hook that refuses loopback, private, link-local
// and metadata addresses after DNS resolution, at connect time, so DNS
// rebinding cannot get around it (server-side request forgery guard).
package netguard

import (
	"errors"
	"net/netip"
	"syscall"
)

// ErrForbidden refuses a connection to an address Candor may not reach on
// a user's behalf.
var ErrForbidden = errors.New("destination address is loopback, private, link-local or a metadata service")

// forbiddenPrefixes are ranges refused beyond what the netip predicates
// cover: carrier-grade NAT (some clouds' metadata service lives there),
// the IPv4 benchmark and reserved ranges, and the AWS IPv6 metadata
// address (inside fc00::/7, named for clarity).
var forbiddenPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// nat64 is the well-known NAT64 prefix (RFC 6052).
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Forbidden reports whether ip may not be connected to: loopback, private
// (RFC 1918, fc00::/7), link-local (169.254.0.0/16, where cloud metadata
// services answer, and fe80::/10), unspecified, multicast, or one of
// forbiddenPrefixes. IPv4-mapped and NAT64 IPv6 addresses are judged as
// the IPv4 address they carry.
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
		b := ip.As16()
		return Forbidden(netip.AddrFrom4([4]byte(b[12:16])))
	}
	return false
}

// Control is a net.Dialer Control hook: it runs after DNS resolution, on
// the very address about to be connected, and refuses it with ErrForbidden
// when Forbidden says so.
func Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || Forbidden(ap.Addr()) {
		return ErrForbidden
	}
	return nil
}
