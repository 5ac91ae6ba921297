package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
	"gorm.io/gorm"
)

// verifyLedger runs a full verification and fails the test on a database
// error.
func verifyLedger(tb testing.TB, s *store.Store) *models.LedgerReport {
	tb.Helper()
	rep, err := s.VerifyLedger(context.Background(), nil, nil)
	if err != nil {
		tb.Fatalf("verify ledger: %v", err)
	}
	return rep
}

// problemsOf lists a report's problems as "customer/seq: reason".
func problemsOf(rep *models.LedgerReport) string {
	var out []string
	for _, p := range rep.Problems {
		out = append(out, fmt.Sprintf("customer %d seq %d global %d: %s", p.CustomerID, p.Seq, p.GlobalSeq, p.Reason))
	}
	return strings.Join(out, "; ")
}

// mustExec runs SQL as a database writer without the secret would.
func mustExec(tb testing.TB, db *gorm.DB, sql string, args ...any) {
	tb.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// TestLedgerResistsAWriterWithoutTheSecret reproduces the finding of
// issue 15: someone with write access to the database, but not the
// secret, rewrites or wipes a customer's consent history.
func TestLedgerResistsAWriterWithoutTheSecret(t *testing.T) {
	tests := []struct {
		name string
		// tamper rewrites the ledger of mallory, who opted in then out of
		// campaignTopic and then in to pricing-guides (seq 1..3); others
		// wrote before and after.
		tamper func(t *testing.T, db *gorm.DB, s *store.Store, mallory int64)
		// broken is whom verification must name (0: it must verify).
		broken         int64
		wantUnverified bool
	}{
		{"an untouched ledger verifies", func(*testing.T, *gorm.DB, *store.Store, int64) {}, 0, false},
		{"flipping an opt-out to an opt-in with recomputed plain hashes and consents breaks it", func(t *testing.T, db *gorm.DB, s *store.Store, id int64) {
			l, err := s.ConsentLedger(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			// The attacker's rewrite: the event, every hash after it, the
			// consent row, all recomputed the way the unkeyed chain did.
			prev := l.History[0].Hash
			for i := 1; i < len(l.History); i++ {
				e := l.History[i]
				if i == 1 {
					e.Status = models.ConsentOptedIn
				}
				e.PrevHash = prev
				e.Hash = e.ComputeHash()
				mustExec(t, db, "UPDATE consent_events SET status = ?, prev_hash = ?, hash = ? WHERE customer_id = ? AND seq = ?",
					string(e.Status), e.PrevHash, e.Hash, id, e.Seq)
				prev = e.Hash
			}
			mustExec(t, db, "UPDATE consents SET status = 'opted_in', event_hash = ? WHERE customer_id = ? AND topic = ?",
				l.History[1].Hash, id, campaignTopic)
		}, -1, true},
		{"flipping only the consent row, keeping its MAC, breaks it", func(t *testing.T, db *gorm.DB, s *store.Store, id int64) {
			mustExec(t, db, "UPDATE consents SET status = 'opted_in' WHERE customer_id = ? AND topic = ?", id, campaignTopic)
		}, -1, true},
		{"deleting every event and consent of a customer breaks it", func(t *testing.T, db *gorm.DB, s *store.Store, id int64) {
			mustExec(t, db, "DELETE FROM consents WHERE customer_id = ?", id)
			mustExec(t, db, "DELETE FROM consent_events WHERE customer_id = ?", id)
			mustExec(t, db, "UPDATE customers SET consent_seq = 0 WHERE id = ?", id)
		}, -1, false},
		{"deleting a customer's last event breaks it", func(t *testing.T, db *gorm.DB, s *store.Store, id int64) {
			mustExec(t, db, "DELETE FROM consents WHERE customer_id = ? AND topic = 'pricing-guides'", id)
			mustExec(t, db, "DELETE FROM consent_events WHERE customer_id = ? AND seq = 3", id)
			mustExec(t, db, "UPDATE customers SET consent_seq = 2 WHERE id = ?", id)
		}, -1, false},
		{"deleting the last events of the whole ledger and rewinding its head breaks it", func(t *testing.T, db *gorm.DB, s *store.Store, id int64) {
			var last struct {
				GlobalSeq int64
				Hash      string
			}
			mustExec(t, db, "DELETE FROM consent_events WHERE global_seq = (SELECT MAX(global_seq) FROM consent_events)")
			if err := db.Raw("SELECT global_seq, hash FROM consent_events ORDER BY global_seq DESC LIMIT 1").Scan(&last).Error; err != nil {
				t.Fatal(err)
			}
			mustExec(t, db, "UPDATE ledger_head SET seq = ?, hash = ?", last.GlobalSeq, last.Hash)
		}, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, backend string) {
				ctx := context.Background()
				f := newCampaignFixture(t, backend)
				f.customer("before", "g", true, nil)
				mallory := f.customer("mallory", "g", true, nil)
				mustSetConsent(t, f.s, "mallory", campaignTopic, models.ConsentOptedOut)
				mustSetConsent(t, f.s, "mallory", "pricing-guides", models.ConsentOptedIn)
				f.customer("after", "g", true, nil)
				mustSetConsent(t, f.s, "before", "pricing-guides", models.ConsentOptedIn)

				tt.tamper(t, f.s.DB(), f.s, mallory.ID)

				rep := verifyLedger(t, f.s)
				if tt.broken == 0 {
					if !rep.OK() {
						t.Fatalf("an untouched ledger does not verify: %s", problemsOf(rep))
					}
					if rep.Customers != 3 || rep.Events != 6 || rep.HeadSeq != 6 {
						t.Errorf("report = %d customers, %d events, head %d; want 3, 6, 6", rep.Customers, rep.Events, rep.HeadSeq)
					}
				} else if rep.OK() {
					t.Fatal("the tampered ledger verifies")
				} else if !strings.Contains(problemsOf(rep), fmt.Sprintf("customer %d ", mallory.ID)) &&
					!strings.Contains(problemsOf(rep), "global") {
					t.Errorf("verification names neither mallory nor the global chain: %s", problemsOf(rep))
				}

				camp := f.campaign(f.approved(contentInput()), f.segment("g"))
				p, err := f.s.PreviewCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
				if err != nil {
					t.Fatal(err)
				}
				if got := p.Excluded[models.ReasonConsentUnverified] == 1; got != tt.wantUnverified {
					t.Errorf("preview excluded %v, want consent_unverified for mallory: %t", p.Excluded, tt.wantUnverified)
				}
				x, err := f.s.ExplainCampaign(ctx, camp.ID, "mallory", campaigns.NewPlanner(settings))
				if err == nil && tt.wantUnverified && x.Reason != models.ReasonConsentUnverified {
					t.Errorf("explain mallory = %q, want consent_unverified", x.Reason)
				}
			})
		})
	}
}

// openWithSecrets opens a store on one database (dbURL, or sqlitePath)
// with the keys of secret and previous.
func openWithSecrets(t *testing.T, dbURL, sqlitePath, secret, previous string) *store.Store {
	t.Helper()
	keys, err := secrets.New(secret, previous)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), store.Options{DatabaseURL: dbURL,
		SQLitePath: sqlitePath, Keys: keys, Rules: segment.Language{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestLedgerVerifiesAcrossASecretRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		const oldSecret, newSecret = "the-old-candor-secret-key-0123456789", "the-new-candor-secret-key-0123456789"
		path, url := testenv.SQLitePath(t), testenv.BackendURL(t, backend)
		old := openWithSecrets(t, url, path, oldSecret, "")
		if err := old.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		mustPutCustomer(t, old, customerInput("rotated"))
		mustSetConsent(t, old, "rotated", campaignTopic, models.ConsentOptedIn)

		rotated := openWithSecrets(t, url, path, newSecret, oldSecret)
		mustSetConsent(t, rotated, "rotated", campaignTopic, models.ConsentOptedOut)
		t.Run("old and new events verify with the previous secret in the ring", func(t *testing.T) {
			if rep := verifyLedger(t, rotated); !rep.OK() {
				t.Errorf("ledger does not verify after rotation: %s", problemsOf(rep))
			}
			l, err := rotated.Consents(context.Background(), "rotated")
			if err != nil || !l.Chain.Verified {
				t.Fatalf("chain = %+v (%v)", l.Chain, err)
			}
			if l.History[0].KeyID == l.History[1].KeyID {
				t.Errorf("both events name key %s: the new one should be sealed with the new key", l.History[0].KeyID)
			}
		})
		t.Run("without the previous secret, the old events are reported as sealed with an unknown key", func(t *testing.T) {
			rep := verifyLedger(t, openWithSecrets(t, url, path, newSecret, ""))
			if rep.OK() || !strings.Contains(problemsOf(rep), "not in the keyring") {
				t.Errorf("problems = %s, want an unknown key", problemsOf(rep))
			}
		})
	})
}

// TestConcurrentConsentWritesKeepTheGlobalChain: writers of different
// customers serialise on the ledger head without deadlocks or forks.
func TestConcurrentConsentWritesKeepTheGlobalChain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		s := mustOpen(t, backend)
		const writers, changes = 6, 8
		for w := range writers {
			mustPutCustomer(t, s, customerInput(fmt.Sprintf("w%d", w)))
		}
		var wg sync.WaitGroup
		errs := make(chan error, writers*changes)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range changes {
					status := models.ConsentOptedIn
					if i%2 == 1 {
						status = models.ConsentOptedOut
					}
					ext := fmt.Sprintf("w%d", (w+i)%writers)
					if i%3 == 0 {
						_, err := s.OptOutAll(context.Background(), mustCustomerID(t, s, ext), models.SourceOneClick, models.Evidence{})
						errs <- err
						continue
					}
					_, _, err := s.SetConsent(context.Background(), ext, "pricing-guides", &models.ConsentInput{Status: status, Source: models.SourceAPI})
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent consent write: %v", err)
			}
		}
		rep := verifyLedger(t, s)
		if !rep.OK() || rep.Events == 0 || rep.HeadSeq != rep.Events {
			t.Errorf("after concurrent writes: ok %t, %d events, head %d: %s", rep.OK(), rep.Events, rep.HeadSeq, problemsOf(rep))
		}
	})
}

func mustCustomerID(tb testing.TB, s *store.Store, ext string) int64 {
	tb.Helper()
	c, err := s.Customer(context.Background(), ext)
	if err != nil {
		tb.Fatal(err)
	}
	return c.ID
}
