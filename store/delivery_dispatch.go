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

// DueDeliveries returns the deliveries of DuePage (a test's and a
// benchmark's question).
func (s *Store) DueDeliveries(ctx context.Context, after models.DueCursor, until time.Time, limit int) ([]models.DueDelivery, error) {
	page, err := s.DuePage(ctx, after, until, limit)
	return page.Deliveries, err
}

// DuePage reads up to limit planned deliveries whose time is at or before
// until, after the position after, in the dispatcher's order (scheduled
// time, then id), and returns those of scheduled or running campaigns
// with the count read and the last position read. It reads and writes
// nothing else: a send task claims planned deliveries itself
// (ClaimDeliveries), so handing them to the queue does not rewrite each
// row to queued (docs/benchmarks.md, "Webhook send path (issue 10,
// session 6)"). The dispatcher keeps its own position and knows what it
// handed on (worker/dispatch.go). The campaign's state is filtered here,
// not in SQL: with the filter in the statement PostgreSQL estimated that
// few rows would pass it and sorted every due delivery of every page
// instead of reading the index in order (docs/benchmarks.md, "Session 8").
func (s *Store) DuePage(ctx context.Context, after models.DueCursor, until time.Time, limit int) (models.DuePage, error) {
	var rows []struct {
		models.DueDelivery
		State string
	}
	q, args := dueDeliveriesPostgres, []any{until.UTC(), after.ScheduledAt.UTC(), after.ID, limit}
	if s.dialect == DialectSQLite {
		q, args = dueDeliveriesSQLite, []any{until.UTC(), after.ScheduledAt.UTC(), after.ScheduledAt.UTC(), after.ID, limit}
	}
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return models.DuePage{}, mapError(err, "Deliveries")
	}
	page := models.DuePage{Read: len(rows)}
	for _, r := range rows {
		d := r.DueDelivery
		d.ScheduledAt = d.ScheduledAt.UTC()
		page.Last = models.DueCursor{ScheduledAt: d.ScheduledAt, ID: d.ID}
		if r.State == string(models.CampaignScheduled) || r.State == string(models.CampaignRunning) {
			page.Deliveries = append(page.Deliveries, d)
		}
	}
	return page, nil
}

// The statements of DuePage. The statuses are literals so that both
// planners use the partial index deliveries_pending_idx (its predicate
// must be repeated). PostgreSQL starts the index scan at the position
// through the row comparison (scheduled_at, id): with a bound on
// scheduled_at alone, every page of a campaign whose deliveries share one
// time walked every entry before the position, those of rows claimed
// since included (migration 00024). SQLite's planner does not match a row
// comparison to the index, so there the position is spelled out.
const (
	// dueDeliveriesPostgres: until, the position's time and id, limit.
	dueDeliveriesPostgres = "SELECT d.id, d.campaign_id, d.scheduled_at, d.generation, d.attempts, c.state FROM deliveries d " +
		"JOIN campaigns c ON c.id = d.campaign_id " +
		"WHERE d.status IN ('planned', 'queued') AND d.status = 'planned' AND d.scheduled_at <= ? " +
		"AND (d.scheduled_at, d.id) > (?, ?) " +
		"ORDER BY d.scheduled_at, d.id LIMIT ?"
	// dueDeliveriesSQLite: until, the position's time twice, its id, limit.
	dueDeliveriesSQLite = "SELECT d.id, d.campaign_id, d.scheduled_at, d.generation, d.attempts, c.state FROM deliveries d " +
		"JOIN campaigns c ON c.id = d.campaign_id " +
		"WHERE d.status IN ('planned', 'queued') AND d.status = 'planned' AND d.scheduled_at <= ? " +
		"AND d.scheduled_at >= ? AND (d.scheduled_at > ? OR d.id > ?) " +
		"ORDER BY d.scheduled_at, d.id LIMIT ?"
)

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
