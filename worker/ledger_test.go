package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
)

// TestLedgerVerifierReportsABreak: the periodic verification exports the
// outcome and writes a ledger.broken event when a database writer without
// the secret rewrote a consent event.
func TestLedgerVerifierReportsABreak(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		h.customer("ledger-1", "all", models.ChannelEmail, "Europe/London", nil)
		h.customer("ledger-2", "all", models.ChannelEmail, "Europe/London", nil)
		reg := prometheus.NewRegistry()
		v, err := worker.NewLedgerVerifier(worker.LedgerVerifierOptions{Store: h.s, Worker: "w1", Registerer: reg, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		rep, err := v.VerifyOnce(ctx)
		if err != nil || !rep.OK() || rep.Events == 0 {
			t.Fatalf("an intact ledger: %+v (%v)", rep, err)
		}
		if got := testutil.ToFloat64(v.Verified()); got != 1 {
			t.Errorf("candor_ledger_verified = %v after an intact ledger, want 1", got)
		}
		if err := h.s.DB().Exec("UPDATE consent_events SET status = 'opted_out' WHERE seq = 1").Error; err != nil {
			t.Fatal(err)
		}
		rep, err = v.VerifyOnce(ctx)
		if err != nil || rep.OK() {
			t.Fatalf("a rewritten ledger: %+v (%v)", rep, err)
		}
		if got := testutil.ToFloat64(v.Verified()); got != 0 {
			t.Errorf("candor_ledger_verified = %v after a break, want 0", got)
		}
		evs, err := h.s.Events(ctx, 0, models.MaxPageLimit)
		if err != nil {
			t.Fatal(err)
		}
		if last := evs[len(evs)-1]; last.Type != models.EventLedgerBroken {
			t.Errorf("last event %s %s, want ledger.broken", last.Type, last.Data)
		}
	})
}

// TestLedgerVerifierRunsInTheLeaseHolderOnly: of two processes, only the
// one holding the lease verifies.
func TestLedgerVerifierRunsInTheLeaseHolderOnly(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		h.customer("ledger-1", "all", models.ChannelEmail, "Europe/London", nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		verifiers := make([]*worker.LedgerVerifier, 2)
		done := make(chan struct{}, 2)
		for i, name := range []string{"w1", "w2"} {
			v, err := worker.NewLedgerVerifier(worker.LedgerVerifierOptions{Store: h.s, Worker: name, Registerer: prometheus.NewRegistry(),
				Tick: 20 * time.Millisecond, Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			verifiers[i] = v
			go func() { v.Run(ctx); done <- struct{}{} }()
		}
		eventually(t, "one verifier ran", func() bool {
			return testutil.ToFloat64(verifiers[0].Verified())+testutil.ToFloat64(verifiers[1].Verified()) >= 1
		})
		time.Sleep(100 * time.Millisecond)
		cancel()
		<-done
		<-done
		if a, b := testutil.ToFloat64(verifiers[0].Verified()), testutil.ToFloat64(verifiers[1].Verified()); a+b != 1 {
			t.Errorf("verified gauges %v and %v: exactly one process should verify", a, b)
		}
	})
}
