package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// TestLedgerVerificationNamesTheBrokenPlace pins the exact problem each
// kind of edit leaves in the report: the customer, the event and the
// reason an operator reads first.
func TestLedgerVerificationNamesTheBrokenPlace(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, db *gorm.DB, mallory int64)
		// want is the report's one problem; CustomerID -1 stands for
		// mallory's id, GlobalSeq -1 for her third event's.
		want models.LedgerProblem
	}{
		{"a topic whose current row was deleted is named at its last event", func(t *testing.T, db *gorm.DB, id int64) {
			mustExec(t, db, "DELETE FROM consents WHERE customer_id = ? AND topic = 'pricing-guides'", id)
		}, models.LedgerProblem{CustomerID: -1, Seq: 3, Reason: `topic "pricing-guides" has ledger events but no current state`}},
		{"a current row that names an earlier event of its topic is named at its seq", func(t *testing.T, db *gorm.DB, id int64) {
			mustExec(t, db, "UPDATE consents SET seq = 1 WHERE customer_id = ? AND topic = ?", id, campaignTopic)
		}, models.LedgerProblem{CustomerID: -1, Seq: 1, Reason: fmt.Sprintf("current state of topic %q does not match the ledger", campaignTopic)}},
		{"an event taken out of the global chain is named as not anchored", func(t *testing.T, db *gorm.DB, id int64) {
			// The global chain then misses it too; the customer's problem
			// comes after the global chain's in the report.
			mustExec(t, db, "UPDATE consent_events SET global_seq = NULL WHERE customer_id = ? AND seq = 3", id)
		}, models.LedgerProblem{CustomerID: -1, Seq: 3,
			Reason: "event is not anchored in the global chain (run candor ledger adopt once after upgrading)"}},
		{"an event whose evidence text was edited is named with its global place", func(t *testing.T, db *gorm.DB, id int64) {
			mustExec(t, db, "UPDATE consent_events SET evidence_text = 'I never said no' WHERE customer_id = ? AND seq = 3", id)
		}, models.LedgerProblem{CustomerID: -1, Seq: 3, GlobalSeq: -1, Reason: "evidence text does not match its digest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, backend string) {
				f := newCampaignFixture(t, backend)
				f.customer("before", "g", true, nil)
				mallory := f.customer("mallory", "g", true, nil)
				mustSetConsent(t, f.s, "mallory", campaignTopic, models.ConsentOptedOut)
				mustSetConsent(t, f.s, "mallory", "pricing-guides", models.ConsentOptedIn)
				var third int64
				if err := f.s.DB().Raw("SELECT global_seq FROM consent_events WHERE customer_id = ? AND seq = 3", mallory.ID).
					Scan(&third).Error; err != nil {
					t.Fatal(err)
				}

				tt.tamper(t, f.s.DB(), mallory.ID)

				want := tt.want
				want.CustomerID = mallory.ID
				if want.GlobalSeq == -1 {
					want.GlobalSeq = third
				}
				var got []models.LedgerProblem
				for _, p := range verifyLedger(t, f.s).Problems {
					if p.CustomerID != 0 { // the global chain's own problems aside
						got = append(got, p)
					}
				}
				if diff := cmp.Diff([]models.LedgerProblem{want}, got); diff != "" {
					t.Errorf("customer problems (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// intactLedger returns a fixture with one customer's consent in the
// ledger, and its verification, which found it intact.
func intactLedger(t *testing.T, backend string) (*campaignFixture, *models.LedgerReport) {
	t.Helper()
	f := newCampaignFixture(t, backend)
	f.customer("a", "g", true, nil)
	rep := verifyLedger(t, f.s)
	if !rep.OK() {
		t.Fatalf("an intact ledger: %+v", rep)
	}
	return f, rep
}

// A ledger whose last events were cut off and whose head was replaced by
// an older one is consistent in itself: only the head an earlier
// verification recorded shows it went back.
func TestLedgerVerificationReportsAHeadShorterThanARecordedOne(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f, rep := intactLedger(t, backend)
		ctx := context.Background()
		record := func(head int64, problems ...int64) {
			t.Helper()
			v := &models.LedgerVerification{FinishedAt: time.Now(), HeadSeq: head, Worker: "test"}
			if len(problems) > 0 {
				v.Problems = problems[0]
			}
			if err := f.s.RecordLedgerVerification(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("a head shorter than the one the caller verified itself is a break", func(t *testing.T) {
			got, err := f.s.VerifyLedger(ctx, []models.LedgerFloor{{Seq: rep.HeadSeq + 3}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := []models.LedgerProblem{{GlobalSeq: rep.HeadSeq,
				Reason: fmt.Sprintf("the ledger head went back from %d to %d events since an earlier verification", rep.HeadSeq+3, rep.HeadSeq)}}
			if diff := cmp.Diff(want, got.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
		t.Run("the head an earlier verification saw is no problem", func(t *testing.T) {
			record(rep.HeadSeq)
			if again := verifyLedger(t, f.s); !again.OK() {
				t.Errorf("report = %+v, want intact", again)
			}
		})
		t.Run("a longer head seen by a run that found problems (a forged head, since repaired) is no floor", func(t *testing.T) {
			record(rep.HeadSeq+1000, 1)
			if again := verifyLedger(t, f.s); !again.OK() {
				t.Errorf("report = %+v, want intact", again)
			}
		})
		t.Run("a head shorter than the longest recorded one is a break", func(t *testing.T) {
			record(rep.HeadSeq + 5)
			record(rep.HeadSeq + 1) // the longest counts, not the newest
			again := verifyLedger(t, f.s)
			want := []models.LedgerProblem{{GlobalSeq: rep.HeadSeq,
				Reason: fmt.Sprintf("the ledger head went back from %d to %d events since an earlier verification", rep.HeadSeq+5, rep.HeadSeq)}}
			if diff := cmp.Diff(want, again.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
		t.Run("the newest verification is read back", func(t *testing.T) {
			last, err := f.s.LastLedgerVerification(ctx)
			if err != nil || last.HeadSeq != rep.HeadSeq+1 || last.Worker != "test" {
				t.Errorf("LastLedgerVerification = %+v, %v; want the head %d by test", last, err, rep.HeadSeq+1)
			}
		})
	})
}

// The records of earlier verifications are rows a database writer
// without the secret could add or change: only sealed ones count.
func TestLedgerVerificationCountsOnlySealedRecords(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f, rep := intactLedger(t, backend)
		ctx := context.Background()
		if err := f.s.RecordLedgerVerification(ctx, &models.LedgerVerification{FinishedAt: time.Now(), HeadSeq: rep.HeadSeq, Worker: "honest"}); err != nil {
			t.Fatal(err)
		}
		insert := func(worker string, head int64) {
			t.Helper()
			err := f.s.DB().Exec(`INSERT INTO ledger_verifications (finished_at, head_seq, customers, events, problems, duration_ms, worker)
				VALUES (?, ?, 0, 0, 0, 0, ?)`, time.Now().UTC(), head, worker).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		t.Run("a record without a MAC is neither the last verification nor a floor", func(t *testing.T) {
			insert("forger", rep.HeadSeq+50)
			if again := verifyLedger(t, f.s); !again.OK() {
				t.Errorf("report = %+v, want intact: the forged head is no floor", again)
			}
			last, err := f.s.LastLedgerVerification(ctx)
			if err != nil || last.Worker != "honest" {
				t.Errorf("LastLedgerVerification = %+v, %v; want the sealed record by honest", last, err)
			}
		})
		t.Run("a record sealed under a key the ring no longer holds counts for nothing and is no problem", func(t *testing.T) {
			if err := f.s.RecordLedgerVerification(ctx, &models.LedgerVerification{FinishedAt: time.Now(), HeadSeq: rep.HeadSeq + 20, Worker: "retired"}); err != nil {
				t.Fatal(err)
			}
			if err := f.s.DB().Exec("UPDATE ledger_verifications SET key_id = 'retired000000000' WHERE worker = 'retired'").Error; err != nil {
				t.Fatal(err)
			}
			if again := verifyLedger(t, f.s); !again.OK() {
				t.Errorf("report = %+v, want intact: a retired key's record is neither a floor nor a forgery", again)
			}
		})
		t.Run("a record altered after it was written is a problem, and its head no floor", func(t *testing.T) {
			if err := f.s.RecordLedgerVerification(ctx, &models.LedgerVerification{FinishedAt: time.Now(), HeadSeq: rep.HeadSeq, Worker: "altered"}); err != nil {
				t.Fatal(err)
			}
			var id int64
			if err := f.s.DB().Raw("SELECT id FROM ledger_verifications WHERE worker = 'altered'").Scan(&id).Error; err != nil {
				t.Fatal(err)
			}
			if err := f.s.DB().Exec("UPDATE ledger_verifications SET head_seq = head_seq + 7 WHERE id = ?", id).Error; err != nil {
				t.Fatal(err)
			}
			want := []models.LedgerProblem{{Reason: fmt.Sprintf("the record of verification %d does not verify: it was altered or forged", id)}}
			if diff := cmp.Diff(want, verifyLedger(t, f.s).Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			last, err := f.s.LastLedgerVerification(ctx)
			if err != nil || last.Worker != "honest" {
				t.Errorf("LastLedgerVerification = %+v, %v; want the sealed record by honest", last, err)
			}
		})
	})
}
