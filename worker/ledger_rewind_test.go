package worker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
)

// anchoredLedger is a harness whose ledger holds one customer's consent,
// and the Redis anchor of its ledger key.
func anchoredLedger(t *testing.T) (*harness, *worker.RedisHeadAnchor) {
	t.Helper()
	h := newHarness(t, 500)
	h.customer("ledger-1", "all", models.ChannelEmail, "Europe/London", nil)
	return h, worker.NewRedisHeadAnchor(h.rdb, h.keys.Ledger())
}

// TestLedgerVerifierReportsARewindThatGrewBack: a writer rewinds the
// ledger below the head a worker verified (and deletes the database's
// records of that verification), and normal traffic then grows the
// ledger past that head again. Its length shows nothing; the event at the
// verified place, another one now, shows the rewrite to the worker that
// verified it and, across a restart, through the anchor.
func TestLedgerVerifierReportsARewindThatGrewBack(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h, anchor := anchoredLedger(t)
		ctx := context.Background()
		running := newAnchoredVerifier(t, h, anchor)
		snapshotLedger(t, h)
		h.consent("ledger-1", models.ConsentOptedOut)
		verified, err := running.VerifyOnce(ctx)
		if err != nil || !verified.OK() {
			t.Fatalf("an intact ledger: %+v (%v)", verified, err)
		}
		restoreLedger(t, h)
		if err := h.s.DB().Exec("DELETE FROM ledger_verifications").Error; err != nil {
			t.Fatal(err)
		}
		h.customer("ledger-2", "all", models.ChannelEmail, "Europe/London", nil)
		h.customer("ledger-3", "all", models.ChannelEmail, "Europe/London", nil)
		rewritten := fmt.Sprintf("event %d of the global chain is not the one an earlier verification found there", verified.HeadSeq)

		t.Run("without a floor the grown-back ledger verifies", func(t *testing.T) {
			rep, err := newLedgerVerifier(t, h).VerifyOnce(ctx)
			if err != nil || !rep.OK() || rep.HeadSeq <= verified.HeadSeq {
				t.Fatalf("report = %+v (%v); want intact and longer than %d: the rewind is consistent in itself", rep, err, verified.HeadSeq)
			}
			if err := h.s.DB().Exec("DELETE FROM ledger_verifications").Error; err != nil {
				t.Fatal(err)
			}
		})
		for _, tt := range []struct {
			name     string
			verifier *worker.LedgerVerifier
			source   string
		}{
			{"the worker that verified the head reports the rewrite from its memory", running, "(this process's verification of "},
			{"a restarted worker reports it through the anchor", newAnchoredVerifier(t, h, anchor), "(the head anchored in Redis)"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				rep, err := tt.verifier.VerifyOnce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var found bool
				for _, p := range rep.Problems {
					found = found || (p.GlobalSeq == verified.HeadSeq && strings.HasPrefix(p.Reason, rewritten) && strings.Contains(p.Reason, tt.source))
				}
				if !found {
					t.Errorf("problems = %+v, want %q naming %s", rep.Problems, rewritten, tt.source)
				}
			})
		}
	})
}

// TestRedisHeadAnchorReadsAValueWithoutTheHash: a value written before the
// head's hash was kept is still a floor by length, and the next raise of
// the same head seals the hash in.
func TestRedisHeadAnchorReadsAValueWithoutTheHash(t *testing.T) {
	h := newHarness(t, 500)
	ctx := context.Background()
	keys := h.keys.Ledger()
	kid, key := keys.CurrentLedgerKey()
	old := models.LedgerFloor{Seq: 7}
	if err := h.rdb.Set(ctx, "candor:ledger:head-anchor", "7:"+kid+":"+models.LedgerAnchorMAC(key, kid, old), 0).Err(); err != nil {
		t.Fatal(err)
	}
	anchor := worker.NewRedisHeadAnchor(h.rdb, keys)
	if got, err := anchor.Head(ctx); err != nil || got.Seq != 7 || got.Hash != "" {
		t.Fatalf("head = %+v, %v; want 7 without a hash", got, err)
	}
	if err := anchor.Raise(ctx, models.LedgerFloor{Seq: 7, Hash: "h7"}); err != nil {
		t.Fatal(err)
	}
	if got, err := anchor.Head(ctx); err != nil || got.Seq != 7 || got.Hash != "h7" {
		t.Errorf("head = %+v, %v; want 7 h7", got, err)
	}
}

// TestRedisHeadAnchorKeepsTheLongestHeadUnderConcurrentRaises: a shorter
// head never replaces a longer one, whether it comes later or at the same
// moment (two verifiers after a lease expired under a slow run).
func TestRedisHeadAnchorKeepsTheLongestHeadUnderConcurrentRaises(t *testing.T) {
	h := newHarness(t, 500)
	ctx := context.Background()
	anchor := worker.NewRedisHeadAnchor(h.rdb, h.keys.Ledger())
	if err := anchor.Raise(ctx, models.LedgerFloor{Seq: 10, Hash: "h10"}); err != nil {
		t.Fatal(err)
	}
	before, err := h.rdb.Get(ctx, "candor:ledger:head-anchor").Result()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a shorter head leaves the anchored value as it is", func(t *testing.T) {
		if err := anchor.Raise(ctx, models.LedgerFloor{Seq: 5, Hash: "h5"}); err != nil {
			t.Fatal(err)
		}
		if after, _ := h.rdb.Get(ctx, "candor:ledger:head-anchor").Result(); after != before {
			t.Errorf("anchored value %q, want %q unchanged", after, before)
		}
	})
	t.Run("of heads raised at once the longest stays", func(t *testing.T) {
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				errs <- anchor.Raise(ctx, models.LedgerFloor{Seq: int64(11 + i), Hash: fmt.Sprintf("h%d", 11+i)})
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Errorf("raise: %v", err)
			}
		}
		if got, err := anchor.Head(ctx); err != nil || got.Seq != 18 || got.Hash != "h18" {
			t.Errorf("head = %+v, %v; want 18 h18", got, err)
		}
	})
}

// TestRedisHeadAnchorOfAnotherLedgerIsReplaced: a database recreated while
// Redis kept the anchor has another first event; the anchor is no floor
// for it, however long, and its first clean verification replaces it.
func TestRedisHeadAnchorOfAnotherLedgerIsReplaced(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h, anchor := anchoredLedger(t)
		ctx := context.Background()
		if err := anchor.Raise(ctx, models.LedgerFloor{Seq: 1000, Hash: "h1000", Genesis: "another-ledger"}); err != nil {
			t.Fatal(err)
		}
		rep, err := newAnchoredVerifier(t, h, anchor).VerifyOnce(ctx)
		if err != nil || !rep.OK() {
			t.Fatalf("report = %+v (%v); want intact: the anchor is another ledger's", rep, err)
		}
		got, err := anchor.Head(ctx)
		want := models.LedgerFloor{Seq: rep.HeadSeq, Hash: rep.HeadHash, Genesis: rep.GenesisHash, Source: "the head anchored in Redis"}
		if err != nil || got != want || want.Genesis == "" {
			t.Errorf("anchored head = %+v, %v; want %+v", got, err, want)
		}
	})
}
