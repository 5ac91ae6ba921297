package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// keptRow is a row as a database writer copies it aside, to put it back
// later: the ledger guards against exactly that writer.
type keptRow struct {
	table, where string
	args         []any
	values       map[string]any
}

func keepRow(t *testing.T, db *gorm.DB, table, where string, args ...any) keptRow {
	t.Helper()
	k := keptRow{table: table, where: where, args: args, values: map[string]any{}}
	if err := db.Table(table).Where(where, args...).Take(&k.values).Error; err != nil {
		t.Fatalf("keep a row of %s: %v", table, err)
	}
	return k
}

func (k keptRow) restore(t *testing.T, db *gorm.DB) {
	t.Helper()
	if err := db.Table(k.table).Where(k.where, k.args...).Updates(k.values).Error; err != nil {
		t.Fatalf("restore a row of %s: %v", k.table, err)
	}
}

// rewindWithdrawal lets mallory withdraw her consent, verifies and records
// the ledger with the withdrawal at its head, and then deletes the
// withdrawal the way a database writer without the secret can: the event,
// and the head, current consent row and event count put back as they were
// before it, all of them sealed rows the ledger wrote itself. It returns
// the recorded verification.
func rewindWithdrawal(t *testing.T, f *campaignFixture) *models.LedgerReport {
	t.Helper()
	db := f.s.DB()
	mallory := f.customer("mallory", "g", true, nil)
	head := keepRow(t, db, "ledger_head", "id = 1")
	consent := keepRow(t, db, "consents", "customer_id = ? AND topic = ?", mallory.ID, campaignTopic)
	mustSetConsent(t, f.s, "mallory", campaignTopic, models.ConsentOptedOut)
	rep := verifyLedger(t, f.s)
	if !rep.OK() {
		t.Fatalf("the ledger before the rewind: %s", problemsOf(rep))
	}
	// Two runs found the same head (nothing changed between them).
	for _, worker := range []string{"hourly", "hourly-again"} {
		err := f.s.RecordLedgerVerification(context.Background(), &models.LedgerVerification{FinishedAt: time.Now(),
			HeadSeq: rep.HeadSeq, HeadHash: rep.HeadHash, Customers: rep.Customers, Events: rep.Events, Worker: worker})
		if err != nil {
			t.Fatal(err)
		}
	}
	mustExec(t, db, "DELETE FROM consent_events WHERE global_seq = ?", rep.HeadSeq)
	head.restore(t, db)
	consent.restore(t, db)
	mustExec(t, db, "UPDATE customers SET consent_seq = consent_seq - 1 WHERE id = ?", mallory.ID)
	if again := verifyLedger(t, f.s); again.HeadSeq != rep.HeadSeq-1 {
		t.Fatalf("the rewind left the head at %d, want %d", again.HeadSeq, rep.HeadSeq-1)
	}
	return rep
}

// A rewind below a verified head is caught by the head's length only
// until the ledger grows back to it: then only the event at that place,
// another one now, shows that the history was rewritten.
func TestLedgerVerificationReportsARewindThatGrewBackPastTheVerifiedHead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newCampaignFixture(t, backend)
		f.customer("bob", "g", false, nil)
		verified := rewindWithdrawal(t, f)
		// Normal traffic appends past the verified length.
		mustSetConsent(t, f.s, "bob", campaignTopic, models.ConsentOptedIn)
		mustSetConsent(t, f.s, "bob", "pricing-guides", models.ConsentOptedIn)

		got := verifyLedger(t, f.s)
		if got.HeadSeq <= verified.HeadSeq {
			t.Fatalf("head %d, want past the verified %d", got.HeadSeq, verified.HeadSeq)
		}
		var ids []int64
		if err := f.s.DB().Raw("SELECT id FROM ledger_verifications ORDER BY id").Scan(&ids).Error; err != nil || len(ids) != 2 {
			t.Fatalf("records %v, %v; want two", ids, err)
		}
		// One problem at the place, naming both runs.
		want := []models.LedgerProblem{{GlobalSeq: verified.HeadSeq, Reason: fmt.Sprintf(
			"event %d of the global chain is not the one an earlier verification found there "+
				"(verification %d by hourly, verification %d by hourly-again): the ledger was rewound and written again",
			verified.HeadSeq, ids[0], ids[1])}}
		if diff := cmp.Diff(want, got.Problems); diff != "" {
			t.Errorf("problems (-want +got):\n%s", diff)
		}
	})
}

// The head's hash is sealed with the rest of a record, and a record
// written before it was kept still counts by its length.
func TestLedgerVerificationRecordsSealTheHeadsHash(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f, rep := intactLedger(t, backend)
		ctx := context.Background()
		record := func(worker string, head int64, hash string) int64 {
			t.Helper()
			v := &models.LedgerVerification{FinishedAt: time.Now(), HeadSeq: head, HeadHash: hash, Worker: worker}
			if err := f.s.RecordLedgerVerification(ctx, v); err != nil {
				t.Fatal(err)
			}
			var id int64
			if err := f.s.DB().Raw("SELECT id FROM ledger_verifications WHERE worker = ?", worker).Scan(&id).Error; err != nil {
				t.Fatal(err)
			}
			return id
		}
		t.Run("the newest verification is read back with its head's hash", func(t *testing.T) {
			record("hashed", rep.HeadSeq, rep.HeadHash)
			last, err := f.s.LastLedgerVerification(ctx)
			if err != nil || last.HeadHash != rep.HeadHash || last.Worker != "hashed" {
				t.Errorf("LastLedgerVerification = %+v, %v; want head hash %s by hashed", last, err, rep.HeadHash)
			}
		})
		t.Run("a record without the head's hash is a floor by length only", func(t *testing.T) {
			record("length-only", rep.HeadSeq+2, "")
			want := []models.LedgerProblem{{GlobalSeq: rep.HeadSeq,
				Reason: fmt.Sprintf("the ledger head went back from %d to %d events since an earlier verification", rep.HeadSeq+2, rep.HeadSeq)}}
			if diff := cmp.Diff(want, verifyLedger(t, f.s).Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			mustExec(t, f.s.DB(), "DELETE FROM ledger_verifications WHERE worker = 'length-only'")
		})
		t.Run("a record whose head's hash was taken out is altered", func(t *testing.T) {
			id := record("stripped", rep.HeadSeq, rep.HeadHash)
			mustExec(t, f.s.DB(), "UPDATE ledger_verifications SET head_hash = '' WHERE id = ?", id)
			want := []models.LedgerProblem{{Reason: fmt.Sprintf("the record of verification %d does not verify: it was altered or forged", id)}}
			if diff := cmp.Diff(want, verifyLedger(t, f.s).Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			mustExec(t, f.s.DB(), "DELETE FROM ledger_verifications WHERE id = ?", id)
		})
		t.Run("the report names the ledger's first event", func(t *testing.T) {
			var first string
			if err := f.s.DB().Raw("SELECT hash FROM consent_events WHERE global_seq = 1").Scan(&first).Error; err != nil || first == "" {
				t.Fatalf("first event's hash %q, %v", first, err)
			}
			if rep.GenesisHash != first {
				t.Errorf("GenesisHash = %q, want %q", rep.GenesisHash, first)
			}
		})
		t.Run("a head kept for another ledger (another first event) is no floor", func(t *testing.T) {
			known := []models.LedgerFloor{{Seq: rep.HeadSeq + 9, Hash: "h", Genesis: "another-ledger", Source: "the head anchored in Redis"}}
			got, err := f.s.VerifyLedger(ctx, known, nil)
			if err != nil || !got.OK() {
				t.Errorf("report = %+v, %v; want intact", got, err)
			}
		})
		t.Run("a head kept for this ledger is a floor", func(t *testing.T) {
			known := []models.LedgerFloor{{Seq: rep.HeadSeq + 9, Hash: "h", Genesis: rep.GenesisHash, Source: "the head anchored in Redis"}}
			got, err := f.s.VerifyLedger(ctx, known, nil)
			if err != nil || got.Broken != 1 || !strings.Contains(got.Problems[0].Reason, "went back") {
				t.Errorf("report = %+v, %v; want the head that went back", got, err)
			}
		})
		t.Run("heads the caller verified with another event at their place are one rewind", func(t *testing.T) {
			var known []models.LedgerFloor
			for _, source := range []string{"this process", "a", "b", "c", "d"} {
				known = append(known, models.LedgerFloor{Seq: rep.HeadSeq, Hash: "not-" + rep.HeadHash, Source: source})
			}
			got, err := f.s.VerifyLedger(ctx, known, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := []models.LedgerProblem{{GlobalSeq: rep.HeadSeq, Reason: fmt.Sprintf(
				"event %d of the global chain is not the one an earlier verification found there (this process, a, b and 2 more): "+
					"the ledger was rewound and written again", rep.HeadSeq)}}
			if diff := cmp.Diff(want, got.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	})
}

// Cutting every event off leaves no first event to compare with: a head
// kept outside the database is then a floor whatever ledger it names.
func TestAnEmptiedLedgerKeepsEveryFloor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newCampaignFixture(t, backend)
		known := []models.LedgerFloor{{Seq: 5, Hash: "h", Genesis: "another-ledger", Source: "the head anchored in Redis"}}
		got, err := f.s.VerifyLedger(context.Background(), known, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []models.LedgerProblem{{Reason: "the ledger head went back from 5 to 0 events since an earlier verification"}}
		if diff := cmp.Diff(want, got.Problems); diff != "" {
			t.Errorf("problems (-want +got):\n%s", diff)
		}
	})
}

// A writer who moves the ledger's first events onto a customer row it
// inserted with an id the database never hands out (-1) and then forges
// them: the global chain's links still hold, so only checking the MAC of
// every event, whichever customer owns it, shows the forgery. (Forging
// the first event would otherwise also make a floor kept outside the
// database look like another ledger's, and be skipped.)
func TestLedgerVerificationChecksEventsOfEveryCustomer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f, owner := ownedLedger(t, backend)
		db := f.s.DB()
		ghost := keepRow(t, db, "customers", "id = ?", owner.ID).values
		ghost["id"], ghost["external_id"], ghost["consent_seq"] = -1, "ghost", 0
		// PostgreSQL computes these from the jsonb (migration 00032).
		delete(ghost, "preferred_windows_text")
		delete(ghost, "cadence_text")
		if err := db.Table("customers").Create(ghost).Error; err != nil {
			t.Fatalf("insert a customer with id -1: %v", err)
		}
		mustExec(t, db, "DELETE FROM consents WHERE customer_id = ?", owner.ID)
		mustExec(t, db, "UPDATE consent_events SET customer_id = -1 WHERE customer_id = ?", owner.ID)
		mustExec(t, db, "UPDATE customers SET consent_seq = 0 WHERE id = ?", owner.ID)
		mustExec(t, db, "UPDATE consent_events SET hash = 'forged' WHERE global_seq = 1")
		mustExec(t, db, "UPDATE consent_events SET global_prev = 'forged' WHERE global_seq = 2")

		got := verifyLedger(t, f.s)
		t.Logf("problems: %s", problemsOf(got))
		var forged bool
		for _, p := range got.Problems {
			forged = forged || (p.CustomerID == -1 && p.GlobalSeq == 1)
		}
		if !forged {
			t.Errorf("problems %s; want one naming customer -1's event at global place 1", problemsOf(got))
		}
	})
}

// TestLedgerVerificationReportsEventsNoCustomerOwns: the foreign key keeps
// an event from pointing at no customer, but a database writer can drop
// it. Such an event is read with no customer's chain, so its MAC is never
// checked: the verification says how many there are.
func TestLedgerVerificationReportsEventsNoCustomerOwns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f, owner := ownedLedger(t, backend)
		db := f.s.DB()
		move := "UPDATE consent_events SET customer_id = 987654321 WHERE customer_id = ?"
		if backend == testenv.Postgres {
			mustExec(t, db, "ALTER TABLE consent_events DROP CONSTRAINT consent_events_customer_id_fkey")
			mustExec(t, db, move, owner.ID)
		} else {
			// SQLite checks foreign keys per connection, and only outside
			// a transaction can a connection stop checking them.
			err := db.Connection(func(conn *gorm.DB) error {
				if err := conn.Exec("PRAGMA foreign_keys = OFF").Error; err != nil {
					return err
				}
				if err := conn.Exec(move, owner.ID).Error; err != nil {
					return err
				}
				return conn.Exec("PRAGMA foreign_keys = ON").Error
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		got := verifyLedger(t, f.s)
		var found bool
		for _, p := range got.Problems {
			found = found || strings.Contains(p.Reason, "2 consent events belong to no customer")
		}
		if !found {
			t.Errorf("problems %s; want one saying 2 consent events belong to no customer", problemsOf(got))
		}
	})
}

// ownedLedger is a fixture whose ledger holds two customers, the first
// of them the owner of events 1 and 2.
func ownedLedger(t *testing.T, backend string) (*campaignFixture, *models.Customer) {
	t.Helper()
	f := newCampaignFixture(t, backend)
	owner := f.customer("owner", "g", true, nil)
	mustSetConsent(t, f.s, "owner", "pricing-guides", models.ConsentOptedIn)
	f.customer("other", "g", true, nil)
	return f, owner
}
