package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/store"
)

// openPool opens a store with the given pool settings.
func openPool(tb testing.TB, backend string, maxConns int, lifetime time.Duration) *store.Store {
	tb.Helper()
	return mustOpenOptions(tb, backend, func(o *store.Options) { o.MaxConns, o.ConnMaxLifetime = maxConns, lifetime })
}

// burst holds n connections of s at once, then gives them all back.
func burst(tb testing.TB, s *store.Store, n int) {
	tb.Helper()
	var (
		held, release sync.WaitGroup
		errs          = make(chan error, n)
	)
	held.Add(n)
	release.Add(1)
	db, err := s.DB().DB()
	if err != nil {
		tb.Fatal(err)
	}
	for range n {
		go func() {
			conn, err := db.Conn(context.Background())
			if err == nil {
				defer conn.Close()
			}
			errs <- err
			held.Done()
			release.Wait()
		}()
	}
	held.Wait()
	release.Done()
	for range n {
		if err := <-errs; err != nil {
			tb.Fatalf("take a connection: %v", err)
		}
	}
}

func TestThePoolKeepsItsConnectionsBetweenBursts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		const maxConns = 8
		s := openPool(t, backend, maxConns, time.Hour)
		t.Run("the pool is as large as configured", func(t *testing.T) {
			if got := s.PoolStats().MaxOpenConnections; got != maxConns {
				t.Errorf("MaxOpenConnections = %d, want %d", got, maxConns)
			}
		})
		t.Run("bursts of a full pool's requests close no idle connection", func(t *testing.T) {
			for range 3 {
				burst(t, s, maxConns)
				// database/sql returns connections to the pool after Close
				// returns; give the last ones a moment.
				time.Sleep(20 * time.Millisecond)
			}
			st := s.PoolStats()
			if st.MaxIdleClosed != 0 {
				t.Errorf("MaxIdleClosed = %d, want 0: connections were closed and reopened between bursts", st.MaxIdleClosed)
			}
			if st.Idle != maxConns {
				t.Errorf("Idle = %d after the bursts, want all %d kept", st.Idle, maxConns)
			}
		})
	})
}

func TestThePoolRetiresConnectionsAfterTheirLifetime(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		s := openPool(t, backend, 4, 50*time.Millisecond)
		burst(t, s, 2)
		deadline := time.Now().Add(5 * time.Second)
		for s.PoolStats().MaxLifetimeClosed == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if got := s.PoolStats().MaxLifetimeClosed; got == 0 {
			t.Errorf("MaxLifetimeClosed = 0 after 5 s with a 50 ms lifetime, want connections retired")
		}
	})
}
