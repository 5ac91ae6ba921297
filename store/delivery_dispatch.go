package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// dueRow is what dispatch reads of a due delivery.
type dueRow struct {
	ID          int64
	CampaignID  int64
	ScheduledAt time.Time
	Generation  int
	Attempts    int
}

// DispatchDue hands the queue the work that is due: up to limit planned
// deliveries of scheduled or running campaigns whose time is at or before
// until become queued, in batches of at most batchSize in scheduled
// order, each with a task id derived from its deliveries and their
// generations. A campaign whose first delivery is handed on becomes
// running. Everything happens in one transaction, so a crash leaves either
// planned deliveries (dispatched again) or queued ones with a task id
// (recreated by the reconciler if the task never reached Redis). Only the
// deliveries this call moved are returned: a second dispatcher racing it
// moves none of the same.
func (s *Store) DispatchDue(ctx context.Context, until time.Time, limit, batchSize int, worker string) ([]models.SendBatch, error) {
	if batchSize <= 0 {
		batchSize = 1
	}
	var batches []models.SendBatch
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		batches = nil
		lock := ""
		if s.dialect == DialectPostgres {
			lock = " FOR UPDATE OF d SKIP LOCKED"
		}
		var due []dueRow
		// The statuses are literals so SQLite uses the partial index
		// deliveries_pending_idx (its predicate must be repeated).
		err := tx.Raw("SELECT d.id, d.campaign_id, d.scheduled_at, d.generation, d.attempts FROM deliveries d "+
			"JOIN campaigns c ON c.id = d.campaign_id "+
			"WHERE d.status IN ('planned', 'queued') AND d.status = 'planned' AND d.scheduled_at <= ? "+
			"AND c.state IN ('scheduled', 'running') ORDER BY d.scheduled_at, d.id LIMIT ?"+lock,
			until.UTC(), limit).Scan(&due).Error
		if err != nil || len(due) == 0 {
			return err
		}
		now := s.now()
		campaigns := map[int64]bool{}
		// One event for every delivery this call moves.
		event, err := eventJSON(now, models.DeliveryPlanned, models.DeliveryQueued, "", worker)
		if err != nil {
			return err
		}
		for start := 0; start < len(due); start += batchSize {
			chunk := due[start:min(start+batchSize, len(due))]
			b := models.SendBatch{TaskID: batchTaskID("send", chunk), IDs: make([]int64, len(chunk))}
			for i, d := range chunk {
				b.IDs[i] = d.ID
				if d.ScheduledAt.After(b.ProcessAt) {
					b.ProcessAt = d.ScheduledAt.UTC()
				}
				campaigns[d.CampaignID] = true
			}
			res := tx.Exec("UPDATE deliveries SET status = 'queued', queued_at = ?, task_id = ?, updated_at = ?, events = "+
				s.appendEvent("?")+" WHERE id IN ? AND status = 'planned'", now, b.TaskID, now, event, b.IDs)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != int64(len(chunk)) {
				return fmt.Errorf("store: dispatch moved %d of %d deliveries", res.RowsAffected, len(chunk))
			}
			batches = append(batches, b)
		}
		return s.startCampaigns(tx, campaigns)
	})
	if err != nil {
		return nil, mapError(err, "Deliveries")
	}
	return batches, nil
}

// startCampaigns moves the scheduled campaigns among ids to running: their
// first delivery fell due.
func (s *Store) startCampaigns(tx *gorm.DB, ids map[int64]bool) error {
	keys := make([]int64, 0, len(ids))
	for id := range ids {
		keys = append(keys, id)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var rows []campaignRow
	if err := s.forUpdate(tx).Where("id IN ? AND state = ?", keys, string(models.CampaignScheduled)).Order("id").Find(&rows).Error; err != nil {
		return err
	}
	for i := range rows {
		if err := s.setCampaignState(tx, &rows[i], models.CampaignRunning, nil); err != nil {
			return err
		}
	}
	return nil
}

// batchTaskID derives a task id from a batch's deliveries, their
// generations and attempts: the same work always gets the same id
// (re-enqueueing it is harmless), re-planned or retried work a new one (a
// retained earlier task never blocks it).
func batchTaskID(prefix string, rows []dueRow) string {
	h := fnv.New64a()
	for _, r := range rows {
		fmt.Fprintf(h, "%d:%d:%d,", r.ID, r.Generation, r.Attempts)
	}
	return fmt.Sprintf("%s-%d-%d-%x", prefix, rows[0].ID, len(rows), h.Sum64())
}
