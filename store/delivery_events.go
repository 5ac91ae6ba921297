package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
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
// and keeps every move as a delivery event (appended to the delivery's
// events in the UPDATE that moves it), plus an outbox event for the moves
// integrations care about (written together by flush).
type eventBatch struct {
	s      *Store
	worker string
	now    time.Time
	events []eventRow
	// claims and sents are the bulk moves (queued -> sending, sending ->
	// sent) flush applies in one statement each: their rows and values.
	claims        claimMoves
	sents         [][]any
	sentRows      []*deliveryRow
	sentProviders []string
	// claimEvents are the delivery events of claims by status moved
	// from: every claim of a batch has the same time and worker, so each
	// JSON is built once instead of once per claim.
	claimEvents map[string]string
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
	event, err := eventJSON(b.now, models.DeliveryStatus(d.Status), to, reason, b.worker)
	if err != nil {
		return err
	}
	updates["events"] = gorm.Expr(b.s.appendEvent("?"), event)
	res := tx.Model(&deliveryRow{}).Where("id = ? AND status = ?", d.ID, d.Status).Updates(updates)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	d.Status, d.Reason, d.UpdatedAt = string(to), string(reason), b.now
	if v, ok := extra["lease_until"].(time.Time); ok {
		d.LeaseUntil = &v
	}
	provider, _ := extra["provider_id"].(string)
	return b.outboxEvent(tx, d, to, reason, provider)
}

// outboxEvent queues the integration event of a final status, if any.
func (b *eventBatch) outboxEvent(tx *gorm.DB, d *deliveryRow, to models.DeliveryStatus, reason models.Reason, providerID string) error {
	e, ok, err := b.deliveryEvent(tx, d, to, reason, providerID)
	if ok {
		b.events = append(b.events, e)
	}
	return err
}

// claim queues d's move from its status to sending under a lease held by
// the batch's worker until until, sent at the batch's time, with its
// attempts and the snapshot of the send (see claimColumns); flush
// applies it.
func (b *eventBatch) claim(d *deliveryRow, until time.Time, attempts int, fp, tz string, window int, local string, preference int) error {
	event, ok := b.claimEvents[d.Status]
	if !ok {
		var err error
		if event, err = eventJSON(b.now, models.DeliveryStatus(d.Status), models.DeliverySending, "", b.worker); err != nil {
			return err
		}
		if b.claimEvents == nil {
			b.claimEvents = map[string]string{}
		}
		b.claimEvents[d.Status] = event
	}
	b.claims.add(d, until, attempts, fp, tz, window, local, preference, event)
	return nil
}

// sent queues d's move to sent with the provider's message id; flush
// applies it. A delivery queued again after its lease ran out lost its
// send time: the message went out, so it counts for cadence from now.
func (b *eventBatch) sent(d *deliveryRow, providerID string) error {
	at := b.now
	if d.SentAt != nil {
		at = *d.SentAt
	}
	event, err := eventJSON(b.now, models.DeliveryStatus(d.Status), models.DeliverySent, "", b.worker)
	if err != nil {
		return err
	}
	b.sents = append(b.sents, []any{d.ID, d.Status, string(models.DeliverySent), "", b.now, nil, "", providerID, at, event})
	b.sentRows = append(b.sentRows, d)
	b.sentProviders = append(b.sentProviders, providerID)
	return nil
}

// flushBulk applies the queued claims and sents, and returns the ids of
// the claims that moved.
func (b *eventBatch) flushBulk(tx *gorm.DB) (map[int64]bool, error) {
	claimed, err := b.applyClaims(tx)
	if err != nil {
		return nil, err
	}
	sent, err := b.s.bulkMove(tx, sentColumns, b.sents)
	if err != nil {
		return nil, err
	}
	for i, d := range b.sentRows {
		if !sent[d.ID] {
			continue
		}
		d.Status = string(models.DeliverySent)
		if err := b.outboxEvent(tx, d, models.DeliverySent, "", b.sentProviders[i]); err != nil {
			return nil, err
		}
	}
	b.claims, b.sents, b.sentRows, b.sentProviders = claimMoves{}, nil, nil, nil
	return claimed, nil
}

// loadExternal caches the external ids of the customers of rows.
func (b *eventBatch) loadExternal(tx *gorm.DB, rows []deliveryRow) error {
	var ids []int64
	for i := range rows {
		if _, ok := b.external[rows[i].CustomerID]; !ok {
			b.external[rows[i].CustomerID] = ""
			ids = append(ids, rows[i].CustomerID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var found []struct {
		ID         int64
		ExternalID sql.NullString
	}
	if err := tx.Raw("SELECT id, external_id FROM customers WHERE id IN ?", ids).Scan(&found).Error; err != nil {
		return err
	}
	for _, f := range found {
		b.external[f.ID] = f.ExternalID.String // "" for an erased customer
	}
	return nil
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

// flush applies the queued bulk moves and writes the delivery events and
// outbox events collected so far.
func (b *eventBatch) flush(tx *gorm.DB) error {
	_, err := b.flushAll(tx)
	return err
}

// flushAll is flush, returning the ids of the claims that moved.
func (b *eventBatch) flushAll(tx *gorm.DB) (map[int64]bool, error) {
	claimed, err := b.flushBulk(tx)
	if err != nil {
		return nil, err
	}
	if err := b.s.writeEvents(tx, b.events); err != nil {
		return nil, err
	}
	b.events = b.events[:0]
	return claimed, nil
}

// Delivery returns one delivery with its status changes, oldest first,
// in one query. ENOTFOUND.
func (s *Store) Delivery(ctx context.Context, id int64) (*models.Delivery, error) {
	var rows []struct {
		Row        deliveryRow `gorm:"embedded"`
		Events     string
		ExternalID sql.NullString
	}
	err := s.db.WithContext(ctx).Raw("SELECT d."+strings.ReplaceAll(deliveryColumns, ", ", ", d.")+", d.events, c.external_id "+
		"FROM deliveries d LEFT JOIN customers c ON c.id = d.customer_id WHERE d.id = ?"+s.launchedOnly("d.campaign_id"), id).Scan(&rows).Error
	if err != nil {
		return nil, mapError(err, "Delivery")
	}
	if len(rows) == 0 {
		return nil, mapError(gorm.ErrRecordNotFound, "Delivery")
	}
	d := rows[0].Row.model()
	d.ExternalID = rows[0].ExternalID.String
	var events []deliveryEvent
	if err := json.Unmarshal([]byte(rows[0].Events), &events); err != nil {
		return nil, err
	}
	d.Events = make([]models.DeliveryEvent, len(events))
	for i, e := range events {
		d.Events[i] = models.DeliveryEvent{At: e.At.UTC(), From: models.DeliveryStatus(e.From), To: models.DeliveryStatus(e.To),
			Reason: models.Reason(e.Reason), Worker: e.Worker}
	}
	return d, nil
}

// deliveryEvent is one element of a delivery's events: a status change.
type deliveryEvent struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason,omitempty"`
	Worker string    `json:"worker,omitempty"`
}

// eventJSON is the JSON of one status change, to append with appendEvent.
func eventJSON(at time.Time, from, to models.DeliveryStatus, reason models.Reason, worker string) (string, error) {
	raw, err := json.Marshal(deliveryEvent{At: at.UTC(), From: string(from), To: string(to), Reason: string(reason), Worker: worker})
	return string(raw), err
}

// appendEvent is the SQL of the deliveries row's events with the event
// whose JSON is param (a placeholder or a column) appended: the status
// change is kept by the UPDATE that makes it.
func (s *Store) appendEvent(param string) string {
	if s.dialect == DialectPostgres {
		return "events || jsonb_build_array(CAST(" + param + " AS jsonb))"
	}
	return "json_insert(events, '$[#]', json(" + param + "))"
}

// moveWhere moves every delivery in status from that where (SQL with
// args) selects to status to with reason, keeping the change in each
// one's events, in one UPDATE; actor names who moved them. It returns how
// many moved.
func (s *Store) moveWhere(tx *gorm.DB, from, to models.DeliveryStatus, reason models.Reason, actor, where string, args ...any) (int64, error) {
	now := s.now()
	event, err := eventJSON(now, from, to, reason, actor)
	if err != nil {
		return 0, err
	}
	res := tx.Exec("UPDATE deliveries SET status = ?, reason = ?, updated_at = ?, events = "+s.appendEvent("?")+
		" WHERE status = ? AND ("+where+")", append([]any{string(to), string(reason), now, event, string(from)}, args...)...)
	return res.RowsAffected, res.Error
}
