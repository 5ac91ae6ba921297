package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candor/candor/webhooks"
)

func TestForbiddenAddresses(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"10.0.0.1", true},
		{"172.16.5.4", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // AWS, GCP and Azure metadata
		{"100.100.100.200", true}, // Alibaba metadata, carrier-grade NAT
		{"fd00:ec2::254", true},   // AWS metadata over IPv6
		{"fe80::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"224.0.0.1", true},
		{"64:ff9b::7f00:1", true}, // NAT64 of 127.0.0.1
		{"198.18.0.1", true},
		{"93.184.216.34", false},
		{"8.8.8.8", false},
		{"2606:4700:4700::1111", false},
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
	} {
		t.Run(tt.addr, func(t *testing.T) {
			if got := webhooks.Forbidden(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("Forbidden(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

// fixedResolver answers every name with the same addresses.
type fixedResolver []netip.Addr

func (r fixedResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r, nil
}

func TestURLPolicy(t *testing.T) {
	public := fixedResolver{netip.MustParseAddr("93.184.216.34")}
	rebound := fixedResolver{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("127.0.0.1")}
	for _, tt := range []struct {
		name     string
		policy   webhooks.URLPolicy
		url      string
		wantRule string
	}{
		{"a public https URL passes", webhooks.URLPolicy{Resolver: public}, "https://crm.example.com/hooks", ""},
		{"plain http is refused", webhooks.URLPolicy{Resolver: public}, "http://crm.example.com/hooks", "https"},
		{"a name resolving to loopback among others is refused", webhooks.URLPolicy{Resolver: rebound}, "https://crm.example.com/", "public_address"},
		{"a private IP literal is refused", webhooks.URLPolicy{}, "https://192.168.0.10/", "public_address"},
		{"an IPv6 loopback literal is refused", webhooks.URLPolicy{}, "https://[::1]:8443/", "public_address"},
		{"localhost is refused without asking DNS", webhooks.URLPolicy{Resolver: public}, "https://localhost/", "public_address"},
		{"the allow setting permits http to loopback", webhooks.URLPolicy{AllowPrivate: true}, "http://127.0.0.1:9000/", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rule, detail := tt.policy.Check(context.Background(), tt.url)
			if rule != tt.wantRule {
				t.Errorf("Check(%s) = %q (%s), want rule %q", tt.url, rule, detail, tt.wantRule)
			}
		})
	}
}

// TestTheClientRefusesLoopbackAtConnectTime fails if the guarded client
// lets a connection to 127.0.0.1 through without the allow setting. The
// name "localhost" is not checked before: the refusal comes from the
// dialer, on the resolved address, which is what defeats DNS rebinding.
func TestTheClientRefusesLoopbackAtConnectTime(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, u := range []string{srv.URL, byName} {
		_, err := webhooks.NewClient(time.Second, false).Get(u)
		if !errors.Is(err, webhooks.ErrForbiddenAddress) {
			t.Errorf("GET %s without the allow setting: err = %v, want ErrForbiddenAddress", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receiver on 127.0.0.1 got %d requests without the allow setting", n)
	}
	resp, err := webhooks.NewClient(time.Second, true).Get(srv.URL)
	if err != nil {
		t.Fatalf("GET with the allow setting: %v", err)
	}
	resp.Body.Close()
	if n := hits.Load(); n != 1 {
		t.Errorf("with the allow setting the receiver got %d requests, want 1", n)
	}
}

func TestTheClientDoesNotFollowRedirects(t *testing.T) {
	var target atomic.Int32
	dst := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { target.Add(1) }))
	defer dst.Close()
	src := httptest.NewServer(http.RedirectHandler(dst.URL, http.StatusTemporaryRedirect))
	defer src.Close()
	resp, err := webhooks.NewClient(time.Second, true).Post(src.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || target.Load() != 0 {
		t.Errorf("status %d, redirect target hit %d times; want 307 and 0", resp.StatusCode, target.Load())
	}
}
