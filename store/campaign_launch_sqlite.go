package store

import (
	"context"
	"maps"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// A SQLite launch never holds the database's one writer for long (issue
// 15: an erasure waited for a whole launch, 164 s behind a heavy segment).
// Under the planning lock (enterPlanning) it reads and decides as a
// preview does, outside any transaction (WAL readers neither wait for the
// writer nor block it), and writes its deliveries and exclusions in short
// transactions of at most launchWriteBatch rows, each of which releases
// the writer, so an erasure or any other write commits between two of
// them. Until the last short transaction moves the campaign to scheduled,
// its rows belong to a campaign that was never launched, which nobody
// acts on or shows:
//   - the dispatcher hands on only deliveries of scheduled and running
//     campaigns;
//   - every reader of deliveries that could show or count them leaves
//     out the campaigns that were never launched (launchedOnly);
//   - a launch that fails removes its rows (dropLaunch), and one that
//     died (a crash, a lost disk) leaves rows that the next holder of the
//     planning lock removes before it plans (dropHalfLaunches);
//   - each write and the last transaction check, holding the writer, that
//     the campaign is still the draft the launch read: one edited,
//     cancelled or deleted meanwhile ends the launch (ECONFLICT or
//     ENOTFOUND) and gets no rows;
//   - the last transaction skips the planned deliveries of customers
//     erased meanwhile (skipErased) and counts every delivery of the
//     launch skipped as erased, whoever skipped it: an erasure that
//     committed between two writes skipped the rows already written.

// launchWriteBatch is how many deliveries and exclusions a SQLite launch
// writes per transaction (Store.launchBatch, which tests lower so that a
// small launch writes several times): a few milliseconds of the writer.
const launchWriteBatch = 2000

// unlaunchedCampaigns selects the campaigns that were never launched: a
// draft, or a draft cancelled. On SQLite a launch writes the rows of
// such a campaign before it becomes scheduled; on PostgreSQL they have
// none.
const unlaunchedCampaigns = "SELECT id FROM campaigns WHERE state IN ('draft', 'cancelled') AND launched_at IS NULL"

// launchedOnly returns, on SQLite, the condition " AND col NOT IN (...)"
// that leaves out the deliveries of campaigns never launched, for the
// readers of deliveries to append; "" on PostgreSQL, whose launch
// commits as one transaction.
func (s *Store) launchedOnly(col string) string {
	if s.dialect != DialectSQLite {
		return ""
	}
	return " AND " + col + " NOT IN (" + unlaunchedCampaigns + ")"
}

// launchInSteps is one attempt of LaunchCampaign on SQLite (see above);
// it returns what launchOnce returns.
func (s *Store) launchInSteps(ctx context.Context, id int64, planner models.Planner) (*campaignRow, error) {
	db := s.db.WithContext(ctx)
	row, err := campaignByID(db, id)
	if err != nil {
		return nil, err
	}
	switch models.CampaignState(row.State) {
	case models.CampaignScheduled, models.CampaignRunning, models.CampaignCompleted:
		return row, nil
	case models.CampaignPaused, models.CampaignCancelled:
		return nil, models.Errorf(models.ECONFLICT, "Campaign %d is %s and cannot be launched.", id, row.State)
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
	out, err := s.planInSteps(ctx, row, p, now)
	if err != nil {
		s.dropLaunch(ctx, id)
	}
	return out, err
}

// planInSteps plans p, writing as it goes, and ends the launch of row.
func (s *Store) planInSteps(ctx context.Context, row *campaignRow, p *plan, now time.Time) (*campaignRow, error) {
	st, err := s.runPlan(ctx, planReads{db: s.db.WithContext(ctx)}, p, &stepSink{s: s, launching: row})
	if err != nil {
		return nil, err
	}
	var out *campaignRow
	err = s.tx(ctx, false, func(tx *gorm.DB) error {
		if err := stillLaunching(tx, row); err != nil {
			return err
		}
		if _, err := s.skipErased(tx, row.ID); err != nil {
			return err
		}
		// Counted rather than taken from skipErased: an erasure that
		// committed between two writes skipped its customer's delivery
		// itself. The index on (campaign_id, customer_id) answers it
		// for each erased customer.
		var erased int64
		err := tx.Model(&deliveryRow{}).Where("campaign_id = ? AND status = ? AND reason = ? AND customer_id IN "+
			"(SELECT id FROM customers WHERE erased_at IS NOT NULL)", row.ID, string(models.DeliverySkipped),
			string(models.ReasonErased)).Count(&erased).Error
		if err != nil {
			return err
		}
		// Copies: markLaunched changes both, and s.tx may run this again.
		cur, stats := *row, *st
		stats.excluded = maps.Clone(st.excluded)
		out, err = s.markLaunched(tx, &cur, p, &stats, erased, now)
		return err
	})
	return out, err
}

// stillLaunching checks, in a transaction holding the writer, that the
// campaign is still the draft that the launch read as was: ENOTFOUND
// when it was deleted meanwhile, ECONFLICT when it was edited or
// cancelled.
func stillLaunching(tx *gorm.DB, was *campaignRow) error {
	row, err := campaignByID(tx, was.ID)
	if err != nil {
		return err
	}
	if !sameDraft(row, was) {
		return models.Errorf(models.ECONFLICT, "Campaign %d was edited or cancelled while it was being launched, "+
			"and nothing was planned; it is %s now.", was.ID, row.State)
	}
	return nil
}

// sameDraft says whether row is still the draft was: every change of a
// draft moves updated_at, and what planning reads of it is compared too,
// in case two changes fall in the same microsecond.
func sameDraft(row, was *campaignRow) bool {
	return row.State == string(models.CampaignDraft) && row.LaunchedAt == nil && row.UpdatedAt.Equal(was.UpdatedAt) &&
		row.ContentID == was.ContentID && equalID(row.SegmentID, was.SegmentID) &&
		equalID(row.RecipientsOf, was.RecipientsOf) && row.NotBefore.Equal(was.NotBefore) &&
		row.NotAfter.Equal(was.NotAfter) && row.Spread == was.Spread
}

// equalID compares two optional ids.
func equalID(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// dropLaunch removes what a failed launch of campaign id wrote. It runs
// even when ctx has ended (a client that left must not leave rows
// behind); if it fails the rows stay invisible, and the next planner
// removes them (dropHalfLaunches), so the failure is only logged.
func (s *Store) dropLaunch(ctx context.Context, id int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := s.tx(ctx, false, func(tx *gorm.DB) error { return dropHalfLaunches(tx, id) }); err != nil {
		s.log.WarnContext(ctx, "removing a failed launch's deliveries failed; the next launch removes them",
			"campaign_id", id, "err", err)
	}
}

// dropHalfLaunches deletes in tx the deliveries and exclusions of
// campaign id, or of every campaign when id is 0, that was never
// launched (or no longer exists): what a SQLite launch wrote before it
// failed or its process died. Only the holder of the planning lock may
// call it, or a transaction that deletes the campaign: nobody else writes
// such rows.
func dropHalfLaunches(tx *gorm.DB, id int64) error {
	where, args := "campaign_id IN ("+unlaunchedCampaigns+")", []any(nil)
	if id != 0 {
		where = "campaign_id = ? AND NOT EXISTS (SELECT 1 FROM campaigns WHERE id = ? AND launched_at IS NOT NULL)"
		args = []any{id, id}
	}
	for _, table := range []string{"deliveries", "campaign_exclusions"} {
		if err := tx.Exec("DELETE FROM "+table+" WHERE "+where, args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// stepSink writes a SQLite launch's deliveries and exclusions in short
// transactions of up to launchWriteBatch rows, each after checking that
// the campaign is still the draft being launched.
type stepSink struct {
	s         *Store
	launching *campaignRow
	buf       planRows
}

func (k *stepSink) add(ctx context.Context, d deliveryRow) error {
	k.buf.deliveries = append(k.buf.deliveries, d)
	return k.flushFull(ctx)
}

func (k *stepSink) exclude(ctx context.Context, e exclusionRow) error {
	k.buf.exclusions = append(k.buf.exclusions, e)
	return k.flushFull(ctx)
}

func (k *stepSink) flushFull(ctx context.Context) error {
	if len(k.buf.deliveries)+len(k.buf.exclusions) < k.s.launchBatch {
		return nil
	}
	return k.finish(ctx)
}

// finish writes what is buffered in one transaction; 13 columns x 1000
// deliveries and 3 columns x 5000 exclusions stay under SQLite's
// variable limit.
func (k *stepSink) finish(ctx context.Context) error {
	if k.buf.empty() {
		return nil
	}
	err := k.s.tx(ctx, false, func(tx *gorm.DB) error {
		if err := stillLaunching(tx, k.launching); err != nil {
			return err
		}
		if len(k.buf.deliveries) > 0 {
			if err := tx.Select(deliveryCopyColumns).CreateInBatches(k.buf.deliveries, 1000).Error; err != nil {
				return err
			}
		}
		if len(k.buf.exclusions) > 0 {
			return tx.CreateInBatches(k.buf.exclusions, 5000).Error
		}
		return nil
	})
	if err != nil {
		return err
	}
	k.buf.deliveries, k.buf.exclusions = k.buf.deliveries[:0], k.buf.exclusions[:0]
	return nil
}
