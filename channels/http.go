package channels

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/candor/candor/internal/netguard"
	"github.com/candor/candor/models"
)

// DefaultHTTPTimeout bounds one HTTP send (connect, TLS, request and
// response) when the options name no timeout.
const DefaultHTTPTimeout = 10 * time.Second

// maxResponseBody is the most of a response body read; the rest is dropped.
const maxResponseBody = 64 << 10

// errPrivateAddress refuses a connection to a loopback, private,
// link-local or metadata address (server-side request forgery guard,
// shared with outbound webhooks: internal/netguard).
var errPrivateAddress = netguard.ErrForbidden

// maxConnsPerHost bounds the connections one HTTP sender opens to its
// host, and as many are kept idle between sends: a worker sends whole
// rounds at once (16 tasks of up to 100 messages), and with more
// connections open than kept idle, every round closed the surplus and
// dialled it again (a TCP handshake, a server goroutine and a close per
// message: 6 % of the worker's CPU in the send benchmark,
// docs/benchmarks.md "Sending (issue 10)"). Sends beyond it wait for a
// free connection instead.
const maxConnsPerHost = 64

// newHTTPClient returns the client one HTTP sender shares across all its
// sends: pooled keep-alive connections, every phase bounded by timeout, no
// redirects followed (a redirect would replay the signed body elsewhere),
// and, unless allowPrivate, no connections to private addresses; the check
// runs on the resolved address at connect time, so DNS rebinding cannot
// bypass it.
func newHTTPClient(timeout time.Duration, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	proxy := http.ProxyFromEnvironment
	if !allowPrivate {
		// A proxy would be the only address the guard sees.
		dialer.Control, proxy = netguard.Control, nil
	}
	transport := &http.Transport{
		Proxy:                 proxy,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   maxConnsPerHost,
		MaxConnsPerHost:       maxConnsPerHost,
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

// postResult is a completed HTTP exchange.
type postResult struct {
	resp    *http.Response // body already read and closed
	body    []byte         // at most maxResponseBody bytes
	readErr error          // reading the body failed after the status line
}

// do runs req and reads a bounded response body, draining the rest so the
// connection can be reused. A transport failure comes back as a transient
// *SendError (permanent for a refused private address).
func do(ctx context.Context, hc *http.Client, ch models.Channel, req *http.Request) (postResult, error) {
	if req.Context() != ctx {
		req = req.WithContext(ctx) // a copy: only when the request was built without ctx
	}
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, errPrivateAddress) {
			return postResult{}, permanent(ch, "destination address not allowed", errPrivateAddress)
		}
		return postResult{}, networkError(ch, ctx, err)
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return postResult{resp: resp, body: body, readErr: readErr}, nil
}

// ok reports whether the status is 2xx.
func (r postResult) ok() bool { return r.resp.StatusCode >= 200 && r.resp.StatusCode < 300 }
