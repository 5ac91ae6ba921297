package store

import (
	"context"
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
	var page models.DuePage
	// Each due delivery is read at least once per message sent, so
	// PostgreSQL's rows are scanned by hand: through gorm the read cost
	// the Go process about 3.8 us a row (docs/benchmarks.md, "Session 8").
	if s.dialect == DialectPostgres {
		rows, err := s.sqlDB.QueryContext(ctx, dueDeliveriesPostgres, until.UTC(), after.ScheduledAt.UTC(), after.ID, limit)
		if err != nil {
			return page, mapError(err, "Deliveries")
		}
		defer rows.Close()
		for rows.Next() {
			var d models.DueDelivery
			var state string
			if err := rows.Scan(&d.ID, &d.CampaignID, &d.ScheduledAt, &d.Generation, &d.Attempts, &d.Channel, &state); err != nil {
				return page, mapError(err, "Deliveries")
			}
			addDue(&page, d, state)
		}
		return page, mapError(rows.Err(), "Deliveries")
	}
	var rows []struct {
		models.DueDelivery
		State string
	}
	err := s.db.WithContext(ctx).Raw(dueDeliveriesSQLite, until.UTC(), after.ScheduledAt.UTC(), after.ScheduledAt.UTC(), after.ID, limit).
		Scan(&rows).Error
	if err != nil {
		return page, mapError(err, "Deliveries")
	}
	for _, r := range rows {
		addDue(&page, r.DueDelivery, r.State)
	}
	return page, nil
}

// addDue adds a due delivery read in the dispatcher's order to page: the
// position moves past it, and it is handed on only if its campaign is
// scheduled or running.
func addDue(page *models.DuePage, d models.DueDelivery, state string) {
	d.ScheduledAt = d.ScheduledAt.UTC()
	page.Read++
	page.Last = models.DueCursor{ScheduledAt: d.ScheduledAt, ID: d.ID}
	if state == string(models.CampaignScheduled) || state == string(models.CampaignRunning) {
		page.Deliveries = append(page.Deliveries, d)
	}
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
	dueDeliveriesPostgres = "SELECT d.id, d.campaign_id, d.scheduled_at, d.generation, d.attempts, d.channel, c.state FROM deliveries d " +
		"JOIN campaigns c ON c.id = d.campaign_id " +
		"WHERE d.status IN ('planned', 'queued') AND d.status = 'planned' AND d.scheduled_at <= $1 " +
		"AND (d.scheduled_at, d.id) > ($2, $3) " +
		"ORDER BY d.scheduled_at, d.id LIMIT $4"
	// dueDeliveriesSQLite: until, the position's time twice, its id, limit.
	dueDeliveriesSQLite = "SELECT d.id, d.campaign_id, d.scheduled_at, d.generation, d.attempts, d.channel, c.state FROM deliveries d " +
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
