package store

import (
	"context"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// ExpireLeases settles the deliveries whose sending lease ran out before
// now: their worker died (or lost its database) mid-send. On a channel
// where a re-send with the same idempotency key is safe (idempotent
// reports which), they are queued again under a new task id; on the
// others (SMTP) the message may have gone out, so they become unknown and
// are never re-sent without an admin asking. It handles at most limit
// deliveries per call and returns the batches to enqueue.
func (s *Store) ExpireLeases(ctx context.Context, limit, batchSize int, worker string, idempotent func(models.Channel) bool, maxAttempts int) ([]models.SendBatch, error) {
	var batches []models.SendBatch
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		batches = nil
		now := s.now()
		q := tx.Omit("events").Where("status = ? AND lease_until < ?", string(models.DeliverySending), now).Order("id").Limit(limit)
		if s.dialect == DialectPostgres {
			q = q.Clauses(skipLocked)
		}
		var rows []deliveryRow
		if err := q.Find(&rows).Error; err != nil || len(rows) == 0 {
			return err
		}
		ev := newEventBatch(s, worker, now)
		var again []*deliveryRow
		for i := range rows {
			d := &rows[i]
			switch {
			case !idempotent(models.Channel(d.Channel)):
				if err := ev.move(tx, d, models.DeliveryUnknown, "", map[string]any{"lease_owner": ""}); err != nil {
					return err
				}
			case d.Attempts >= maxAttempts:
				// Every try died with its worker (a delivery that crashes
				// whatever sends it): it is given up, not queued for ever.
				if err := ev.move(tx, d, models.DeliveryFailed, models.ReasonRetriesExhausted, map[string]any{"lease_owner": ""}); err != nil {
					return err
				}
			default:
				again = append(again, d)
			}
		}
		row := map[int64]*deliveryRow{}
		due := dueOf(again)
		for i, d := range again {
			row[d.ID] = d
			// A retry is due now, whenever it was planned: its task runs
			// at once, and one second of planned times does not split it.
			due[i].ScheduledAt = now
		}
		for _, t := range models.SendTasks("retry", due, batchSize) {
			for _, d := range t.Due {
				extra := map[string]any{"queued_at": now, "task_id": t.TaskID, "lease_owner": "", "sent_at": nil}
				if err := ev.move(tx, row[d.ID], models.DeliveryQueued, "", extra); err != nil {
					return err
				}
			}
			batches = append(batches, t.SendBatch)
		}
		return ev.flush(tx)
	})
	if err != nil {
		return nil, mapError(err, "Deliveries")
	}
	return batches, nil
}

// StaleQueued returns, grouped by the task they were handed to, the
// deliveries queued before olderThan that are still queued: either their
// task is late, or Redis lost it. The caller re-creates the tasks that no
// longer exist, under the same ids (an existing task makes that a no-op).
func (s *Store) StaleQueued(ctx context.Context, olderThan time.Time, limit int) ([]models.SendBatch, error) {
	var rows []deliveryRow
	err := s.db.WithContext(ctx).Omit("events").Where("status = ? AND queued_at < ?", string(models.DeliveryQueued), olderThan.UTC()).
		Order("queued_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, mapError(err, "Deliveries")
	}
	by := map[string]*models.SendBatch{}
	var orphans []*deliveryRow
	for i := range rows {
		r := &rows[i]
		if r.TaskID == "" {
			// Queued by a transient failure of its first send: its retry
			// is the task that claimed it from planned, whose id the row
			// never had. Without a task of its own, a Redis that lost
			// that task left it queued for ever.
			orphans = append(orphans, r)
			continue
		}
		b := by[r.TaskID]
		if b == nil {
			b = &models.SendBatch{TaskID: r.TaskID, Channel: models.Channel(r.Channel)}
			by[r.TaskID] = b
		}
		if b.Channel != models.Channel(r.Channel) {
			b.Channel = "" // a task handed on before tasks named their channel
		}
		b.IDs = append(b.IDs, r.ID)
		if r.ScheduledAt.After(b.ProcessAt) {
			b.ProcessAt = r.ScheduledAt.UTC()
		}
	}
	out := make([]models.SendBatch, 0, len(by))
	for _, b := range by {
		out = append(out, *b)
	}
	for _, t := range models.SendTasks("requeue", dueOf(orphans), defaultRequeueBatch) {
		out = append(out, t.SendBatch)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TaskID < out[j].TaskID })
	return out, nil
}

// ResendDelivery plans an unknown delivery again, on an admin's explicit
// request: a duplicate may reach the customer, which is why it never
// happens automatically. It goes through dispatch and the send-time check
// like any other (its campaign runs again if it had completed; a paused
// campaign sends it after resume). ENOTFOUND; ECONFLICT unless the
// delivery is unknown, or when its campaign was cancelled.
func (s *Store) ResendDelivery(ctx context.Context, id int64, worker string) (*models.Delivery, error) {
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var d deliveryRow
		if err := s.forUpdate(tx).Where("id = ?", id).Take(&d).Error; err != nil {
			return err
		}
		if d.Status != string(models.DeliveryUnknown) {
			return models.Errorf(models.ECONFLICT, "Delivery %d is %s; only unknown deliveries can be resent.", id, d.Status)
		}
		now := s.now()
		ev := newEventBatch(s, worker, now)
		extra := map[string]any{"scheduled_at": now, "generation": d.Generation + 1, "queued_at": nil, "task_id": "", "sent_at": nil}
		if err := ev.move(tx, &d, models.DeliveryPlanned, "", extra); err != nil {
			return err
		}
		var camp campaignRow
		if err := s.forUpdate(tx).Where("id = ?", d.CampaignID).Take(&camp).Error; err != nil {
			return err
		}
		if camp.State == string(models.CampaignCancelled) {
			// Nothing would ever dispatch it: say so instead.
			return models.Errorf(models.ECONFLICT, "Campaign %d is cancelled; its deliveries cannot be resent.", camp.ID)
		}
		if camp.State == string(models.CampaignCompleted) {
			if err := s.setCampaignState(tx, &camp, models.CampaignRunning, nil); err != nil {
				return err
			}
		}
		return ev.flush(tx)
	})
	if err != nil {
		return nil, mapError(err, "Delivery")
	}
	return s.Delivery(ctx, id)
}

// dueOf is what a task needs of each row, in order.
func dueOf(rows []*deliveryRow) []models.DueDelivery {
	out := make([]models.DueDelivery, len(rows))
	for i, d := range rows {
		out[i] = models.DueDelivery{ID: d.ID, CampaignID: d.CampaignID, ScheduledAt: d.ScheduledAt, Generation: d.Generation,
			Attempts: d.Attempts, Channel: models.Channel(d.Channel)}
	}
	return out
}

// defaultRequeueBatch is how many task-less queued deliveries one
// re-created task carries (the dispatcher's batch size).
const defaultRequeueBatch = 300
