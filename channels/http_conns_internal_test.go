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
// worker's send tasks do: the connections opened stay within
// maxConnsPerHost, so the second round reuses the first round's instead
// of dialling (and the first round's surplus is never closed and dialled
// again).
func TestConcurrentSendsReuseABoundedSetOfConnections(t *testing.T) {
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond) // keep many requests in flight at once
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			opened.Add(1)
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
	for round := range 2 {
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
	if n := opened.Load(); n > maxConnsPerHost {
		t.Errorf("%d sends opened %d connections, want at most %d", 2*perRound, n, maxConnsPerHost)
	}
}
