package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// LaunchCampaign implements campaigns.Store: it pins the approved content
// version, has planner decide every customer of the audience and moves
// the campaign to scheduled (completed when nobody was eligible). The
// dispatcher and the API see the campaign launched whole or not at all:
// on PostgreSQL it is one transaction guarded by the campaign row, on
// SQLite short transactions under the planning lock whose last one makes
// the campaign scheduled (launchInSteps). A concurrent or retried launch
// (from any process) waits, finds the campaign launched and returns it
// unchanged, so nothing is planned twice. ENOTFOUND; ECONFLICT for content
// that is not approved, retired or expired, a deleted segment, a campaign
// window that already ended, a paused or cancelled campaign, or (SQLite)
// a campaign edited, cancelled or deleted while it was being launched.
func (s *Store) LaunchCampaign(ctx context.Context, id int64, planner models.Planner) (*models.Campaign, error) {
	leave, err := s.enterPlanning(ctx)
	if err != nil {
		return nil, mapError(err, "Campaign")
	}
	defer leave()
	var out *campaignRow
	once := s.launchOnce
	if s.dialect == DialectSQLite {
		once = s.launchInSteps
	}
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		out, err = once(ctx, id, planner)
		// Another campaign of the same content planned some of these
		// customers concurrently: the content-dedup index refused the
		// second plan, and a retry sees the first one's deliveries.
		if err == nil || !(isUniqueViolation(err) || isTransient(err)) {
			break
		}
	}
	if err != nil {
		return nil, mapError(err, "Campaign")
	}
	return out.model()
}

// launchOnce is one attempt of LaunchCampaign on PostgreSQL.
func (s *Store) launchOnce(ctx context.Context, id int64, planner models.Planner) (*campaignRow, error) {
	var out *campaignRow
	err := s.db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		// A dedicated connection: COPY on PostgreSQL needs the raw pgx
		// connection of the transaction.
		sqlConn, _ := conn.Statement.ConnPool.(*sql.Conn)
		return conn.Transaction(func(tx *gorm.DB) error {
			row, err := campaignByID(s.forUpdate(tx), id)
			if err != nil {
				return err
			}
			switch models.CampaignState(row.State) {
			case models.CampaignScheduled, models.CampaignRunning, models.CampaignCompleted:
				out = row
				return nil
			case models.CampaignPaused, models.CampaignCancelled:
				return models.Errorf(models.ECONFLICT, "Campaign %d is %s and cannot be launched.", id, row.State)
			}
			if err := s.lockPlanning(tx); err != nil {
				return err
			}
			now := s.now()
			if err := windowOpen(row, now); err != nil {
				return err
			}
			p, err := s.newPlan(tx, row, planner, now)
			if err == nil {
				p, err = s.withAudience(tx, p)
			}
			if err != nil {
				return err
			}
			// Reads go through a pooled connection while the
			// transaction's own connection COPYs the previous batch:
			// reading, deciding and writing overlap (see copySink).
			if sqlConn == nil {
				return fmt.Errorf("store: a launch needs a dedicated connection")
			}
			cs := newCopySink(ctx, sqlConn)
			defer cs.close()
			reads := planReads{db: s.db.WithContext(ctx), pg: s.withPgxReadTx}
			st, err := s.runPlan(ctx, reads, p, cs)
			if err != nil {
				return err
			}
			s.analyzeLaunch(ctx, tx, st.written(), analyzeLockWait)
			// Customers erased while the launch planned: their
			// deliveries are skipped, and counted as erased.
			erased, err := s.skipErased(tx, id)
			if err != nil {
				return err
			}
			out, err = s.markLaunched(tx, row, p, st, erased, now)
			return err
		})
	})
	return out, err
}

// markLaunched ends a launch of row in tx: erased of the planned
// deliveries were skipped because their customers were erased meanwhile,
// and are counted as such. It moves the campaign to scheduled (completed
// when nobody is planned), records the counts and the audit entry, and
// returns the campaign as it is now.
func (s *Store) markLaunched(tx *gorm.DB, row *campaignRow, p *plan, st *planStats, erased int64, now time.Time) (*campaignRow, error) {
	st.eligible -= erased
	if erased > 0 {
		st.excluded[models.ReasonErased] += erased
		if err := s.unplanErased(tx, row.ID, st); err != nil {
			return nil, err
		}
	}
	excluded, err := json.Marshal(st.excluded)
	if err != nil {
		return nil, err
	}
	// With nobody planned every delivery is final at once: no dispatcher
	// would ever move the campaign on.
	state := models.CampaignScheduled
	if st.eligible == 0 {
		state = models.CampaignCompleted
	}
	// The event says how many deliveries each channel got: the
	// planned-deliveries metric counts them (cmd/candor).
	err = s.setCampaignStateWith(tx, row, state, map[string]any{
		"content_version": p.version.Version, "excluded": string(excluded),
		"planned_count": st.eligible, "moved_count": st.moved, "launched_at": now,
	}, map[string]any{"planned_by_channel": st.byChannel})
	if err != nil {
		return nil, err
	}
	err = s.audit(tx, models.AuditCampaignLaunched, "campaign", row.ID, map[string]any{
		"content_version": p.version.Version, "planned_count": st.eligible, "state": string(state)})
	if err != nil {
		return nil, err
	}
	return campaignByID(tx, row.ID)
}

// unplanErased takes the deliveries skipped because their customer was
// erased during the launch out of st's count by channel.
func (s *Store) unplanErased(tx *gorm.DB, id int64, st *planStats) error {
	rows, err := tx.Raw(`SELECT channel, COUNT(*) FROM deliveries WHERE campaign_id = ? AND status = ? AND reason = ?
		GROUP BY channel`, id, models.DeliverySkipped, models.ReasonErased).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ch models.Channel
		var n int64
		if err := rows.Scan(&ch, &n); err != nil {
			return err
		}
		st.byChannel[ch] -= n
	}
	return rows.Err()
}

// windowOpen refuses to plan a campaign whose window already ended:
// launching it would plan nobody and leave it scheduled for ever.
// ECONFLICT naming the end.
func windowOpen(row *campaignRow, now time.Time) error {
	if row.NotAfter.After(now) {
		return nil
	}
	return models.Errorf(models.ECONFLICT, "Campaign %d cannot be planned: the campaign window ended at %s.",
		row.ID, row.NotAfter.UTC().Format(time.RFC3339))
}

// PreviewCampaign implements campaigns.Store: it plans the campaign with
// planner as a launch now would, without writing: eligible count, exclusions by reason, channel mix, sends per
// UTC hour, first and last send, and how many capacity moved. ENOTFOUND;
// ECONFLICT as LaunchCampaign.
func (s *Store) PreviewCampaign(ctx context.Context, id int64, planner models.Planner) (*models.CampaignPreview, error) {
	var out *models.CampaignPreview
	err := s.previewingOn(ctx, func(ctx context.Context, r planReads) error {
		var err error
		out, err = s.previewCampaign(ctx, r, id, planner)
		return err
	})
	return out, err
}

// previewCampaign is PreviewCampaign's plan on db, under the preview
// timeout.
func (s *Store) previewCampaign(ctx context.Context, r planReads, id int64, planner models.Planner) (*models.CampaignPreview, error) {
	db := r.db
	row, err := campaignByID(db, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := windowOpen(row, now); err != nil {
		return nil, err
	}
	p, err := s.newPlan(db, row, planner, now)
	if err == nil {
		p, err = s.withAudience(db, p)
	}
	if err != nil {
		return nil, err
	}
	sink := &previewSink{byChannel: map[models.Channel]int64{}, perHour: map[int64]int64{}}
	st, err := s.runPlan(ctx, r, p, sink)
	if err != nil {
		return nil, err
	}
	out := &models.CampaignPreview{ContentVersion: p.version.Version, Eligible: st.eligible, Excluded: st.excluded,
		ByChannel: sink.byChannel, Moved: st.moved, PerHour: []models.HourCount{}}
	for _, h := range slices.Sorted(maps.Keys(sink.perHour)) {
		out.PerHour = append(out.PerHour, models.HourCount{Hour: time.Unix(h*3600, 0).UTC(), Count: sink.perHour[h]})
	}
	if st.eligible > 0 {
		first, last := sink.first, sink.last
		out.FirstSend, out.LastSend = &first, &last
	}
	return out, nil
}

// previewSink aggregates planned deliveries; its memory is bounded by the
// campaign's hours, not the audience.
type previewSink struct {
	byChannel   map[models.Channel]int64
	perHour     map[int64]int64
	first, last time.Time
}

func (k *previewSink) add(_ context.Context, d deliveryRow) error {
	k.byChannel[models.Channel(d.Channel)]++
	k.perHour[d.ScheduledAt.Unix()/3600]++
	if k.first.IsZero() || d.ScheduledAt.Before(k.first) {
		k.first = d.ScheduledAt
	}
	if d.ScheduledAt.After(k.last) {
		k.last = d.ScheduledAt
	}
	return nil
}

// exclude ignores the customer: a preview only counts exclusions, which
// runPlan does.
func (k *previewSink) exclude(context.Context, exclusionRow) error { return nil }

func (k *previewSink) finish(context.Context) error { return nil }
