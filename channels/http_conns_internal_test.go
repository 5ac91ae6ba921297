package channels

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// TestConcurrentSendsReuseABoundedSetOfConnections sends two rounds of
// many more messages at once than the sender keeps connections for, as a
// worker's send tasks do: at no time are more than maxConnsPerHost
// connections open, and the second round reuses the first round's instead
// of dialling (before, the first round's surplus over two idle
// connections was closed and dialled again). The transport may replace a
// connection that closes, so the second round may dial a few, not a pool.
func TestConcurrentSendsReuseABoundedSetOfConnections(t *testing.T) {
	var opened, open, peak atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond) // keep many requests in flight at once
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			opened.Add(1)
			n := open.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s, err := NewWebhook(WebhookOptions{URL: srv.URL, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", AllowPrivate: true, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	const perRound = 4 * maxConnsPerHost
	var firstRound int64
	for round := range 2 {
		if round == 1 {
			firstRound = opened.Load()
		}
		var wg sync.WaitGroup
		errs := make(chan error, perRound)
		for i := range perRound {
			wg.Go(func() {
				m := &Message{DeliveryID: int64(round*perRound + i + 1), Channel: models.ChannelWebhook, To: "crm-1", Text: "t"}
				if _, err := s.Send(context.Background(), m); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round+1, err)
		}
	}
	if p := peak.Load(); p > maxConnsPerHost {
		t.Errorf("%d sends at once had %d connections open, want at most %d", perRound, p, maxConnsPerHost)
	}
	if again := opened.Load() - firstRound; again > maxConnsPerHost/8 {
		t.Errorf("the second round dialled %d new connections (the first opened %d), want the first round's reused", again, firstRound)
	}
}
