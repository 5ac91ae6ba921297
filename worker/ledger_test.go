package worker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
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

// TestLedgerVerifierRemembersAcrossRestarts: what the last verification
// saw is kept in the database, not in the process that ran it. A
// restarted worker does not verify the whole ledger again before the
// interval is up, exports the stored outcome meanwhile, and a ledger cut
// back to an earlier consistent state while the workers restarted is a
// break. Before, the head and the time of the last run lived in process
// memory: each restart verified at once, and forgot the head.
func TestLedgerVerifierRemembersAcrossRestarts(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		h.customer("ledger-1", "all", models.ChannelEmail, "Europe/London", nil)
		ctx := context.Background()
		verifications := func() int64 {
			t.Helper()
			var n int64
			if err := h.s.DB().Raw("SELECT COUNT(*) FROM ledger_verifications").Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		// The ledger as it was before the last consent change, for the
		// rewind below.
		snapshotLedger(t, h)
		h.consent("ledger-1", models.ConsentOptedOut)
		if rep, err := newLedgerVerifier(t, h).VerifyOnce(ctx); err != nil || !rep.OK() {
			t.Fatalf("an intact ledger: %+v (%v)", rep, err)
		}

		t.Run("a restarted worker does not verify again within the interval, and exports the stored outcome", func(t *testing.T) {
			v := newLedgerVerifier(t, h)
			runFor(v, 200*time.Millisecond)
			if n := verifications(); n != 1 {
				t.Errorf("%d verifications recorded, want 1", n)
			}
			if got := testutil.ToFloat64(v.Verified()); got != 1 {
				t.Errorf("candor_ledger_verified = %v in the restarted worker, want the stored 1", got)
			}
		})

		t.Run("a ledger cut back to its earlier state across a restart is a break", func(t *testing.T) {
			restoreLedger(t, h)
			rep, err := newLedgerVerifier(t, h).VerifyOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Broken != 1 || !strings.Contains(rep.Problems[0].Reason, "went back") {
				t.Errorf("report = %+v, want the head that went back as its one problem", rep)
			}
		})
	})
}

// newLedgerVerifier returns the verifier of a process named w1 on h's
// store, checking its lease every 10 ms.
func newLedgerVerifier(t *testing.T, h *harness) *worker.LedgerVerifier {
	t.Helper()
	return newAnchoredVerifier(t, h, nil)
}

// newAnchoredVerifier is newLedgerVerifier with anchor as its HeadAnchor
// (nil: none).
func newAnchoredVerifier(t *testing.T, h *harness, anchor worker.HeadAnchor) *worker.LedgerVerifier {
	t.Helper()
	v, err := worker.NewLedgerVerifier(worker.LedgerVerifierOptions{Store: h.s, Worker: "w1", Anchor: anchor,
		Registerer: prometheus.NewRegistry(), Tick: 10 * time.Millisecond, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runFor runs v's loop for d.
func runFor(v *worker.LedgerVerifier, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	v.Run(ctx)
}

// TestLedgerVerifierVerifiesAtOnceWhenTheRecordCannotBeTrusted: the last
// recorded verification makes a worker wait for the interval only when
// it is in the past and found the ledger intact. A row dated in the
// future (a clock ahead, or a forged row meant to silence the check), or
// a break another process recorded, makes it verify now, so its own log
// line and ledger.broken event follow.
func TestLedgerVerifierVerifiesAtOnceWhenTheRecordCannotBeTrusted(t *testing.T) {
	tests := []struct {
		name   string
		record models.LedgerVerification
	}{
		{"a verification dated in the future", models.LedgerVerification{FinishedAt: time.Now().Add(24 * time.Hour), Worker: "w9"}},
		{"a break candor ledger verify recorded", models.LedgerVerification{FinishedAt: time.Now(), Problems: 2, Worker: "candor ledger verify"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T) {
				h := newHarness(t, 500)
				h.customer("ledger-1", "all", models.ChannelEmail, "Europe/London", nil)
				ctx := context.Background()
				rec := tt.record
				if err := h.s.RecordLedgerVerification(ctx, &rec); err != nil {
					t.Fatal(err)
				}
				runFor(newLedgerVerifier(t, h), 200*time.Millisecond)
				last, err := h.s.LastLedgerVerification(ctx)
				if err != nil || last.Worker != "w1" || last.Problems != 0 {
					t.Fatalf("last verification = %+v, %v; want one by w1 that found the ledger intact", last, err)
				}
				var n int64
				if err := h.s.DB().Raw("SELECT COUNT(*) FROM ledger_verifications WHERE worker = 'w1'").Scan(&n).Error; err != nil || n != 1 {
					t.Errorf("w1 verified %d times (%v), want once: its own intact run is trusted", n, err)
				}
			})
		})
	}
}

// TestLedgerVerifierRemembersTheHeadItVerified: the recorded verifications
// are rows the writer the ledger guards against could delete too; the
// head a running worker verified stays in its memory.
func TestLedgerVerifierRemembersTheHeadItVerified(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		h.customer("ledger-1", "all", models.ChannelEmail, "Europe/London", nil)
		ctx := context.Background()
		v := newLedgerVerifier(t, h)
		snapshotLedger(t, h)
		h.consent("ledger-1", models.ConsentOptedOut)
		if rep, err := v.VerifyOnce(ctx); err != nil || !rep.OK() {
			t.Fatalf("an intact ledger: %+v (%v)", rep, err)
		}
		restoreLedger(t, h)
		if err := h.s.DB().Exec("DELETE FROM ledger_verifications").Error; err != nil {
			t.Fatal(err)
		}
		rep, err := v.VerifyOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Broken != 1 || !strings.Contains(rep.Problems[0].Reason, "went back") {
			t.Errorf("report = %+v, want the head that went back as its one problem", rep)
		}
	})
}

// snapshotLedger copies the tables the verification reads (and each
// customer's count of events), for restoreLedger to put the ledger back
// as it was: a rewind that is consistent in itself.
func snapshotLedger(t *testing.T, h *harness) {
	t.Helper()
	for _, table := range []string{"ledger_head", "consent_events", "consents"} {
		if err := h.s.DB().Exec("CREATE TABLE snap_" + table + " AS SELECT * FROM " + table).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := h.s.DB().Exec("CREATE TABLE snap_customers AS SELECT id, consent_seq FROM customers").Error; err != nil {
		t.Fatal(err)
	}
}

// restoreLedger puts back what snapshotLedger copied.
func restoreLedger(t *testing.T, h *harness) {
	t.Helper()
	for _, table := range []string{"ledger_head", "consent_events", "consents"} {
		if err := h.s.DB().Exec("DELETE FROM " + table).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range []string{"consent_events", "consents", "ledger_head"} {
		if err := h.s.DB().Exec("INSERT INTO " + table + " SELECT * FROM snap_" + table).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := h.s.DB().Exec("UPDATE customers SET consent_seq = (SELECT s.consent_seq FROM snap_customers s WHERE s.id = customers.id)").Error; err != nil {
		t.Fatal(err)
	}
}

// TestLedgerVerifierKeepsTheHeadAnchoredOutsideTheDatabase: a writer who
// rewinds the ledger can delete the database's records of earlier
// verifications too; across a restart, only the head anchored in Redis
// still shows the rewind.
func TestLedgerVerifierKeepsTheHeadAnchoredOutsideTheDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		h.customer("ledger-1", "all", models.ChannelEmail, "Europe/London", nil)
		ctx := context.Background()
		anchor := worker.NewRedisHeadAnchor(h.rdb, h.keys.Ledger())
		snapshotLedger(t, h)
		h.consent("ledger-1", models.ConsentOptedOut)
		rep, err := newAnchoredVerifier(t, h, anchor).VerifyOnce(ctx)
		if err != nil || !rep.OK() {
			t.Fatalf("an intact ledger: %+v (%v)", rep, err)
		}
		head := rep.HeadSeq
		t.Run("a clean verification anchors its head", func(t *testing.T) {
			if got, err := anchor.Head(ctx); err != nil || got.Seq != head || got.Hash != rep.HeadHash {
				t.Errorf("anchored head = %+v, %v; want %d with hash %s", got, err, head, rep.HeadHash)
			}
		})
		t.Run("an anchored value the ledger did not seal is no floor, and the next clean verification replaces it", func(t *testing.T) {
			// The sealed value with a longer head: the key id is the
			// ring's, so only the MAC can refuse it.
			sealed, err := h.rdb.Get(ctx, "candor:ledger:head-anchor").Result()
			if err != nil {
				t.Fatal(err)
			}
			_, rest, _ := strings.Cut(sealed, ":")
			if err := h.rdb.Set(ctx, "candor:ledger:head-anchor", "999999:"+rest, 0).Err(); err != nil {
				t.Fatal(err)
			}
			if rep, err := newAnchoredVerifier(t, h, anchor).VerifyOnce(ctx); err != nil || !rep.OK() {
				t.Errorf("report = %+v (%v), want intact", rep, err)
			}
			if got, err := anchor.Head(ctx); err != nil || got.Seq != head || got.Hash != rep.HeadHash {
				t.Errorf("anchored head = %+v, %v; want %d with hash %s again", got, err, head, rep.HeadHash)
			}
		})
		restoreLedger(t, h)
		if err := h.s.DB().Exec("DELETE FROM ledger_verifications").Error; err != nil {
			t.Fatal(err)
		}
		t.Run("without the anchor a restarted worker misses the rewind", func(t *testing.T) {
			if rep, err := newLedgerVerifier(t, h).VerifyOnce(ctx); err != nil || !rep.OK() {
				t.Errorf("report = %+v (%v); the rewind is consistent in itself, so nothing but a floor shows it", rep, err)
			}
		})
		t.Run("with the anchor a restarted worker reports the head that went back", func(t *testing.T) {
			rep, err := newAnchoredVerifier(t, h, anchor).VerifyOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Broken != 1 || !strings.Contains(rep.Problems[0].Reason, fmt.Sprintf("went back from %d", head)) {
				t.Errorf("report = %+v, want the head that went back from %d as its one problem", rep, head)
			}
			if got, _ := anchor.Head(ctx); got.Seq != head {
				t.Errorf("anchored head = %+v after a break, want %d kept", got, head)
			}
		})
	})
}

// TestRedisHeadAnchorIsSealedAgainAfterARotation: a head sealed under the
// previous secret still counts, and the next raise seals it under the
// current one, before a second rotation retires the old key.
func TestRedisHeadAnchorIsSealedAgainAfterARotation(t *testing.T) {
	h := newHarness(t, 500)
	ctx := context.Background()
	ring := func(keys ...string) *secrets.LedgerKeyring {
		t.Helper()
		r, err := secrets.NewLedgerKeyring(keys...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	oldKey, newKey := strings.Repeat("o", 40), strings.Repeat("n", 40)
	if err := worker.NewRedisHeadAnchor(h.rdb, ring(oldKey)).Raise(ctx, models.LedgerFloor{Seq: 7, Hash: "h7"}); err != nil {
		t.Fatal(err)
	}
	rotated := worker.NewRedisHeadAnchor(h.rdb, ring(newKey, oldKey))
	if got, err := rotated.Head(ctx); err != nil || got.Seq != 7 || got.Hash != "h7" {
		t.Fatalf("head under the previous key = %+v, %v; want 7 h7", got, err)
	}
	if err := rotated.Raise(ctx, models.LedgerFloor{Seq: 5, Hash: "h5"}); err != nil {
		t.Fatal(err)
	}
	if got, err := worker.NewRedisHeadAnchor(h.rdb, ring(newKey)).Head(ctx); err != nil || got.Seq != 7 || got.Hash != "h7" {
		t.Errorf("head once the previous key is retired = %+v, %v; want 7 h7, sealed again under the current key", got, err)
	}
}
