package store

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
)

// skipLocked claims rows no other transaction holds (PostgreSQL): two
// workers handed the same task never wait for, or take, each other's rows.
var skipLocked = clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}

// deliveryEventTypes are the outbox events of the final statuses an
// integration hears about.
var deliveryEventTypes = map[models.DeliveryStatus]models.EventType{
	models.DeliverySent:    models.EventDeliverySent,
	models.DeliveryFailed:  models.EventDeliveryFailed,
	models.DeliverySkipped: models.EventDeliverySkipped,
	models.DeliveryExpired: models.EventDeliveryExpired,
	models.DeliveryUnknown: models.EventDeliveryUnknown,
}

// eventBatch moves deliveries from status to status inside a transaction
// and keeps every move as a delivery event (written together by flush),
// plus an outbox event for the moves integrations care about.
type eventBatch struct {
	s      *Store
	worker string
	now    time.Time
	rows   []deliveryEventRow
	// external caches customers' external ids for the outbox events.
	external map[int64]string
}

func newEventBatch(s *Store, worker string, now time.Time) *eventBatch {
	return &eventBatch{s: s, worker: worker, now: now, external: map[int64]string{}}
}

// move sets d's status and reason (and extra columns) if d is still in
// the status it was read in, and records the change. A delivery another
// transaction moved meanwhile is left alone.
func (b *eventBatch) move(tx *gorm.DB, d *deliveryRow, to models.DeliveryStatus, reason models.Reason, extra map[string]any) error {
	updates := map[string]any{"status": string(to), "reason": string(reason), "updated_at": b.now}
	if to != models.DeliverySending {
		updates["lease_until"] = nil
	}
	for k, v := range extra {
		updates[k] = v
	}
	res := tx.Model(&deliveryRow{}).Where("id = ? AND status = ?", d.ID, d.Status).Updates(updates)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	from := d.Status
	d.Status, d.Reason, d.UpdatedAt = string(to), string(reason), b.now
	if v, ok := extra["lease_until"].(time.Time); ok {
		d.LeaseUntil = &v
	}
	b.rows = append(b.rows, deliveryEventRow{DeliveryID: d.ID, At: b.now, FromStatus: from, ToStatus: string(to), Reason: string(reason), Worker: b.worker})
	provider, _ := extra["provider_id"].(string)
	return b.outboxEvent(tx, d, to, reason, provider)
}

// outboxEvent writes the integration event of a final status, if any.
func (b *eventBatch) outboxEvent(tx *gorm.DB, d *deliveryRow, to models.DeliveryStatus, reason models.Reason, providerID string) error {
	typ, ok := deliveryEventTypes[to]
	if !ok {
		return nil
	}
	ext, ok := b.external[d.CustomerID]
	if !ok {
		var err error
		if ext, err = externalIDOf(tx, d.CustomerID); err != nil {
			return err
		}
		b.external[d.CustomerID] = ext
	}
	data := map[string]any{"delivery_id": d.ID, "campaign_id": d.CampaignID, "external_id": ext, "channel": d.Channel}
	switch {
	case to == models.DeliverySent:
		data["provider_id"] = providerID
	case reason != "":
		data["reason"] = string(reason)
	}
	cid := d.CustomerID
	return b.s.writeEvent(tx, typ, &cid, data)
}

// externalIDOf returns a customer's external id: "" for an erased
// customer, whose external id is NULL.
func externalIDOf(db *gorm.DB, customerID int64) (string, error) {
	var ext []sql.NullString
	if err := db.Model(&customerRow{}).Where("id = ?", customerID).Pluck("external_id", &ext).Error; err != nil || len(ext) == 0 {
		return "", err
	}
	return ext[0].String, nil
}

// flush writes the delivery events collected so far.
func (b *eventBatch) flush(tx *gorm.DB) error {
	if len(b.rows) == 0 {
		return nil
	}
	err := tx.CreateInBatches(b.rows, 1000).Error
	b.rows = b.rows[:0]
	return err
}

// Delivery returns one delivery with its status changes, oldest first.
// ENOTFOUND.
func (s *Store) Delivery(ctx context.Context, id int64) (*models.Delivery, error) {
	db := s.db.WithContext(ctx)
	var row deliveryRow
	if err := db.Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, mapError(err, "Delivery")
	}
	d := row.model()
	var err error
	if d.ExternalID, err = externalIDOf(db, row.CustomerID); err != nil {
		return nil, mapError(err, "Delivery")
	}
	var events []deliveryEventRow
	if err := db.Where("delivery_id = ?", id).Order("id").Find(&events).Error; err != nil {
		return nil, mapError(err, "Delivery")
	}
	d.Events = make([]models.DeliveryEvent, len(events))
	for i, e := range events {
		d.Events[i] = models.DeliveryEvent{At: e.At.UTC(), From: models.DeliveryStatus(e.FromStatus), To: models.DeliveryStatus(e.ToStatus),
			Reason: models.Reason(e.Reason), Worker: e.Worker}
	}
	return d, nil
}
