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
type dueRow = models.DueDelivery

// DueDeliveries returns up to limit planned deliveries of scheduled or
// running campaigns whose time is at or before until, after the position
// after, in the dispatcher's order (scheduled time, then id). It reads
// and writes nothing else: a send task claims planned deliveries itself
// (ClaimDeliveries), so handing them to the queue no longer rewrites each
// row to queued (docs/benchmarks.md, "Webhook send path (issue 10,
// session 6)"). The dispatcher keeps its own position and knows what it
// handed on (worker/dispatch.go).
func (s *Store) DueDeliveries(ctx context.Context, after models.DueCursor, until time.Time, limit int) ([]models.DueDelivery, error) {
	var due []models.DueDelivery
	// The statuses are literals so SQLite uses the partial index
	// deliveries_pending_idx (its predicate must be repeated). The
	// position is spelled out rather than as a row comparison, which
	// SQLite's planner does not match to the index.
	err := s.db.WithContext(ctx).Raw("SELECT d.id, d.campaign_id, d.scheduled_at, d.generation, d.attempts FROM deliveries d "+
		"JOIN campaigns c ON c.id = d.campaign_id "+
		"WHERE d.status IN ('planned', 'queued') AND d.status = 'planned' AND d.scheduled_at <= ? "+
		"AND d.scheduled_at >= ? AND (d.scheduled_at > ? OR d.id > ?) "+
		"AND c.state IN ('scheduled', 'running') ORDER BY d.scheduled_at, d.id LIMIT ?",
		until.UTC(), after.ScheduledAt.UTC(), after.ScheduledAt.UTC(), after.ID, limit).Scan(&due).Error
	if err != nil {
		return nil, mapError(err, "Deliveries")
	}
	for i := range due {
		due[i].ScheduledAt = due[i].ScheduledAt.UTC()
	}
	return due, nil
}

// StartCampaigns moves the scheduled campaigns among ids to running: the
// dispatcher handed on their first due delivery. Campaigns in any other
// state are left alone.
func (s *Store) StartCampaigns(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	err := s.tx(ctx, false, func(tx *gorm.DB) error { return s.startCampaigns(tx, set) })
	return mapError(err, "Campaigns")
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
