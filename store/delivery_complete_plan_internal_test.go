package store

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestCompletionProbeReadsOnlyOpenDeliveries: after a batch of outcomes,
// and in the reconciler's sweep, completion asks whether the campaign has
// an open delivery. The statistics of a campaign being sent were taken at
// its launch, when every delivery was planned, so PostgreSQL expected the
// first row of a sequential scan to match and read past every delivery
// already sent (426 ms, 12,458 pages, at the end of the 100,000-message
// send benchmark). Probed again, it must cost a few pages however many
// were sent.
func TestCompletionProbeReadsOnlyOpenDeliveries(t *testing.T) {
	onPostgres(t, func(t *testing.T, s *Store) {
		db := s.db.WithContext(context.Background())
		now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		planFixture(t, db, "complete", 5010, now, now)
		var campaign int64
		if err := db.Raw("SELECT MAX(id) FROM campaigns").Row().Scan(&campaign); err != nil {
			t.Fatal(err)
		}
		if err := db.Exec(`UPDATE deliveries SET status = 'sent', sent_at = ?, updated_at = ?
			WHERE id IN (SELECT id FROM deliveries ORDER BY id LIMIT 5000)`, now, now).Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name      string
			open      bool
			maxVisits int64
		}{
			{"with 10 of 5,010 deliveries still planned", true, 20},
			{"when every delivery is sent", false, 20},
		} {
			t.Run(c.name, func(t *testing.T) {
				if !c.open {
					if err := db.Exec("UPDATE deliveries SET status = 'sent', sent_at = ?, updated_at = ? WHERE status = 'planned'", now, now).Error; err != nil {
						t.Fatal(err)
					}
				}
				err := db.Transaction(func(tx *gorm.DB) error {
					if err := s.probeOpenByIndex(tx, true); err != nil {
						return err
					}
					// The first walk of the index visits the old versions
					// of the sent deliveries once and marks their entries
					// dead (105 buffers here); the probes after it skip
					// them. A sequential scan reads the table every time
					// (97 and 199 buffers here).
					completionProbeVisits(t, tx, campaign)
					visits, found := completionProbeVisits(t, tx, campaign)
					if found != c.open {
						t.Errorf("the probe found an open delivery: %v, want %v", found, c.open)
					}
					if visits > c.maxVisits {
						t.Errorf("the probe visited %d buffers, want at most %d", visits, c.maxVisits)
					}
					return s.probeOpenByIndex(tx, false)
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

// completionProbeVisits runs the completion probe of campaign in tx and
// returns the buffers it visited and whether it found an open delivery.
func completionProbeVisits(t *testing.T, tx *gorm.DB, campaign int64) (int64, bool) {
	t.Helper()
	visits, rows := explainVisits(t, tx, openDeliveryProbe, campaign)
	return visits, rows > 0
}
