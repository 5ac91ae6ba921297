package store

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// RecordOutcomes records what the sends of claimed deliveries came to, in
// one short transaction: sent (with the provider's message id), failed
// with a reason, unknown, or queued again for a transient failure (its
// send time cleared, since nothing reached the customer). A delivery that
// is no longer sending (its lease ran out and the reconciler moved it)
// still becomes sent when the send succeeded: that is what happened; the
// other outcomes apply only while worker still holds the lease. Each
// change is kept as a delivery event with an outbox event for final
// statuses; campaigns left without open deliveries complete.
func (s *Store) RecordOutcomes(ctx context.Context, worker string, outcomes []models.SendOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		campaigns := map[int64]bool{}
		rest := outcomes
		if s.dialect == DialectPostgres {
			var sent []models.SendOutcome
			rest, sent = splitSent(outcomes)
			if err := s.recordSentPostgres(tx, worker, sent, campaigns); err != nil {
				return err
			}
		}
		if err := s.recordEach(tx, worker, rest, campaigns); err != nil {
			return err
		}
		_, err := s.completeCampaigns(tx, idsOf(campaigns))
		return err
	})
	return mapError(err, "Deliveries")
}

// splitSent returns the outcomes other than sent, and the sent ones.
func splitSent(outcomes []models.SendOutcome) (rest, sent []models.SendOutcome) {
	for _, o := range outcomes {
		if o.Status == models.DeliverySent {
			sent = append(sent, o)
		} else {
			rest = append(rest, o)
		}
	}
	return rest, sent
}

// recordEach records outcomes one delivery at a time (the sent ones in
// one statement at the end), adding the campaigns of the deliveries it
// found to campaigns.
func (s *Store) recordEach(tx *gorm.DB, worker string, outcomes []models.SendOutcome, campaigns map[int64]bool) error {
	if len(outcomes) == 0 {
		return nil
	}
	ids := make([]int64, len(outcomes))
	for i, o := range outcomes {
		ids[i] = o.DeliveryID
	}
	// Locked (in id order), so a reconciler moving one of them commits
	// wholly before or after: read unlocked, a sent outcome racing its
	// move to unknown matched no row and was lost.
	rows, ev, err := s.lockOutcomes(tx, worker, ids)
	if err != nil {
		return err
	}
	byID := make(map[int64]*deliveryRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	for _, o := range outcomes {
		d := byID[o.DeliveryID]
		if d == nil {
			continue
		}
		if err := ev.record(tx, d, o); err != nil {
			return err
		}
		campaigns[d.CampaignID] = true
	}
	return ev.flush(tx)
}

// lockOutcomes locks the deliveries among ids (in id order) and returns
// them with an event batch that knows their customers' external ids (the
// outbox events name each customer by it). On PostgreSQL both come from
// one statement.
func (s *Store) lockOutcomes(tx *gorm.DB, worker string, ids []int64) ([]deliveryRow, *eventBatch, error) {
	ev := newEventBatch(s, worker, s.now())
	if s.dialect == DialectPostgres {
		rows, external, err := lockOutcomesPostgres(tx, ids)
		ev.external = external
		return rows, ev, err
	}
	var rows []deliveryRow
	if err := tx.Omit("events").Where("id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	return rows, ev, ev.loadExternal(tx, rows)
}

// record applies one outcome to d.
func (b *eventBatch) record(tx *gorm.DB, d *deliveryRow, o models.SendOutcome) error {
	switch o.Status {
	case models.DeliverySent:
		// The message went out, whatever happened to the row meanwhile
		// (its lease ran out, another claim re-planned or skipped it):
		// recording it is what keeps it from going out again and makes it
		// count for cadence.
		if d.Status == string(models.DeliverySent) {
			return nil
		}
		b.sent(d, o.ProviderID)
		return nil
	case models.DeliveryQueued:
		if !b.holds(d) {
			return nil
		}
		// queued_at starts the reconciler's clock (StaleQueued): the
		// retry is the task that claimed it, which Redis may lose. The
		// clock starts when that retry is due, so a provider's long
		// Retry-After is not taken for a lost task and cut short.
		extra := map[string]any{"sent_at": nil, "lease_owner": "", "queued_at": b.now.Add(o.RetryIn)}
		if o.NotAttempted {
			// Nothing reached the channel: the claim's attempt is given
			// back, so restarts never exhaust a delivery's retries.
			extra["attempts"] = max(d.Attempts-1, 0)
		}
		return b.move(tx, d, models.DeliveryQueued, o.Reason, extra)
	default: // failed, unknown
		if !b.holds(d) {
			return nil
		}
		return b.move(tx, d, o.Status, o.Reason, map[string]any{"lease_owner": ""})
	}
}

// holds reports whether d is sending under the batch's worker's lease. A
// worker whose lease ran out may report a failure after another worker
// claimed the delivery again: that send is not its to settle. (A sent
// outcome is always recorded: the message went out.)
func (b *eventBatch) holds(d *deliveryRow) bool {
	return d.Status == string(models.DeliverySending) && d.LeaseOwner == b.worker
}

// withoutPendingCounts returns the campaigns among ids whose report
// counts (campaign_report_counts, kept by 00022's triggers in the
// transaction that moves a delivery) hold no pending delivery: only those
// can have completed. Most batches of outcomes leave their campaign with
// pending deliveries, and this answers that from a few counts rows where
// the probe of deliveries_open_idx walked the index entries of every
// delivery already sent (they stay until a vacuum): about 3 ms a batch,
// 10-30 us a message of PostgreSQL time at 100,000 messages
// (docs/benchmarks.md, "Session 9"). The counts only skip the probe, never
// replace it: a campaign they call finished is completed only when the
// probe finds nothing open. (Counts that called a finished campaign
// pending would leave it running, and its report showing pending
// deliveries that do not exist: the same triggers keep both, in the
// transaction of every write to deliveries.)
func (s *Store) withoutPendingCounts(tx *gorm.DB, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var pending []int64
	err := tx.Raw("SELECT campaign_id FROM campaign_report_counts WHERE campaign_id IN ? AND status = 'planned' "+
		"GROUP BY campaign_id HAVING SUM(n) > 0", ids).Scan(&pending).Error
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(pending, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// completeCampaigns moves the scheduled or running campaigns among ids
// that have no open delivery left (planned, queued or sending) to
// completed. deliveries_open_idx makes each check one probe.
func (s *Store) completeCampaigns(tx *gorm.DB, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	ids, err := s.withoutPendingCounts(tx, ids)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	if err := s.probeOpenByIndex(tx, true); err != nil {
		return 0, err
	}
	// A failed reset aborts the transaction: its commit fails too.
	defer func() { _ = s.probeOpenByIndex(tx, false) }()
	// Most calls find open work and stop there, without locking the
	// campaign row every worker's outcomes would otherwise queue on.
	var done []int64
	for _, id := range ids {
		open, err := s.hasOpenDeliveries(tx, id)
		if err != nil {
			return 0, err
		}
		if !open {
			done = append(done, id)
		}
	}
	if len(done) == 0 {
		return 0, nil
	}
	var rows []campaignRow
	err = s.forUpdate(tx).Where("id IN ? AND state IN ?", done,
		[]string{string(models.CampaignScheduled), string(models.CampaignRunning)}).Order("id").Find(&rows).Error
	if err != nil {
		return 0, err
	}
	completed := 0
	for i := range rows {
		// Asked again under the lock: a resend may have reopened it.
		open, err := s.hasOpenDeliveries(tx, rows[i].ID)
		if err != nil {
			return completed, err
		}
		if open {
			continue
		}
		if err := s.setCampaignState(tx, &rows[i], models.CampaignCompleted, nil); err != nil {
			return completed, err
		}
		completed++
	}
	return completed, nil
}

// probeOpenByIndex turns PostgreSQL's sequential scans off (on) for the
// rest of the transaction, or back on (off). The probe below is meant
// for deliveries_open_idx, but the planner estimates its rows from the
// statistics of the last ANALYZE, which for a campaign being sent were
// taken when all of its deliveries were planned: it then expects the
// first row of a sequential scan to match and reads past every delivery
// already sent, 426 ms (12,458 pages) at 100,000 sent (docs/benchmarks.md,
// "Session 9"). Autovacuum's ANALYZE waits for a tenth of the table to
// change, which a campaign's sends can be.
func (s *Store) probeOpenByIndex(tx *gorm.DB, on bool) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	if on {
		return tx.Exec("SET LOCAL enable_seqscan = off").Error
	}
	return tx.Exec("SET LOCAL enable_seqscan = on").Error
}

// hasOpenDeliveries reports whether campaign id has a planned, queued or
// sending delivery (deliveries_open_idx makes it one probe; see
// probeOpenByIndex).
func (s *Store) hasOpenDeliveries(tx *gorm.DB, id int64) (bool, error) {
	var open []int64
	err := tx.Raw(openDeliveryProbe, id).Scan(&open).Error
	return len(open) > 0, err
}

// openDeliveryProbe finds one open delivery of a campaign.
const openDeliveryProbe = "SELECT id FROM deliveries WHERE campaign_id = ? AND status IN ('planned', 'queued', 'sending') LIMIT 1"

// CompleteCampaigns completes every scheduled or running campaign with
// no open delivery left, and returns how many it completed (the
// reconciler's sweep, for campaigns whose last delivery was skipped,
// expired or cancelled outside a worker's outcome).
func (s *Store) CompleteCampaigns(ctx context.Context) (int, error) {
	var n int
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var ids []int64
		err := tx.Model(&campaignRow{}).Where("state IN ?", []string{string(models.CampaignScheduled), string(models.CampaignRunning)}).
			Pluck("id", &ids).Error
		if err != nil {
			return err
		}
		n, err = s.completeCampaigns(tx, ids)
		return err
	})
	return n, mapError(err, "Campaigns")
}

// idsOf returns the ids of a set.
func idsOf(set map[int64]bool) []int64 {
	out := make([]int64, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}

// AcquireLease takes or renews the named lease for owner until now+ttl,
// unless another owner holds it unexpired; it reports whether owner holds
// it now. Periodic work (dispatch, reconcile) runs only in the process
// holding its lease, however many processes run.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	now := s.now()
	res := s.db.WithContext(ctx).Exec("INSERT INTO worker_leases (name, owner, until) VALUES (?, ?, ?) "+
		"ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until "+
		"WHERE worker_leases.until < ? OR worker_leases.owner = excluded.owner", name, owner, now.Add(ttl), now)
	if res.Error != nil {
		return false, mapError(res.Error, "Lease")
	}
	return res.RowsAffected == 1, nil
}
