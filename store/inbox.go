package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
)

// inboxEventRow is a row of inbox_events: one event of one verified
// inbound request.
type inboxEventRow struct {
	ID          int64
	SourceID    int64
	WebhookID   string
	Position    int
	Type        string
	ExternalID  string
	OccurredAt  *time.Time
	Payload     string
	Status      string
	Error       string
	Attempts    int
	ReceivedAt  time.Time
	ProcessedAt *time.Time
}

func (inboxEventRow) TableName() string { return "inbox_events" }

func (r *inboxEventRow) model() *models.InboxEvent {
	e := &models.InboxEvent{ID: r.ID, SourceID: r.SourceID, WebhookID: r.WebhookID, Position: r.Position,
		Type: models.InboundEventType(r.Type), ExternalID: r.ExternalID, OccurredAt: utcPtr(r.OccurredAt),
		Status: models.InboxStatus(r.Status), Error: r.Error, Attempts: r.Attempts, ReceivedAt: r.ReceivedAt.UTC(),
		ProcessedAt: utcPtr(r.ProcessedAt)}
	if r.Payload != "" {
		e.Payload = json.RawMessage(r.Payload)
	}
	return e
}

func (r *inboxEventRow) result() models.InboundEventResult {
	return models.InboundEventResult{Position: r.Position, ID: r.ID, Status: models.InboxStatus(r.Status), Error: r.Error}
}

// storableText makes client text storable in PostgreSQL (valid UTF-8, no
// NUL) and bounds it; what did not survive is not worth keeping.
func storableText(s string, limit int) string {
	if !models.ValidText(s) {
		s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	}
	if len(s) > limit {
		s = s[:limit]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// AddInboxEvents implements models.InboxService.
func (s *Store) AddInboxEvents(ctx context.Context, sourceID int64, webhookID string, events []models.ParsedEvent) (*models.InboundResult, error) {
	out := &models.InboundResult{WebhookID: webhookID}
	now := s.now()
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		rows := make([]inboxEventRow, len(events))
		for i, pe := range events {
			rows[i] = newInboxRow(sourceID, webhookID, i, pe, now)
		}
		// The unique key (source_id, webhook_id, position) answers "was
		// this webhook-id seen?" in the insert itself: a redelivery
		// inserts nothing (a concurrent one waits for the first to
		// commit, then inserts nothing either) and reads what the first
		// delivery stored.
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected < int64(len(rows)) {
			// Roll back whatever a redelivery with more events than the
			// first one inserted: a webhook-id is stored once, as first
			// delivered.
			return errDuplicate
		}
		out.Events = make([]models.InboundEventResult, len(rows))
		for i := range rows {
			out.Events[i] = rows[i].result()
		}
		return nil
	})
	if errors.Is(err, errDuplicate) {
		var rows []inboxEventRow
		err = s.db.WithContext(ctx).Select("id", "position", "status", "error").
			Where("source_id = ? AND webhook_id = ?", sourceID, webhookID).Order("position").Find(&rows).Error
		out.Duplicate = true
		out.Events = make([]models.InboundEventResult, len(rows))
		for i := range rows {
			out.Events[i] = rows[i].result()
		}
	}
	if err != nil {
		return nil, mapError(err, "Inbox event")
	}
	return out, nil
}

// errDuplicate rolls back the insert of a webhook-id stored before.
var errDuplicate = errors.New("store: webhook-id stored before")

// newInboxRow is the row of event i of a request: pending, or failed at
// once with the reason it cannot be applied.
func newInboxRow(sourceID int64, webhookID string, i int, pe models.ParsedEvent, now time.Time) inboxEventRow {
	r := inboxEventRow{SourceID: sourceID, WebhookID: webhookID, Position: i, Type: storableText(string(pe.Event.Type), 100),
		ExternalID: pe.ExternalID, Payload: storableText(string(pe.Raw), 1<<20), Status: string(models.InboxPending), ReceivedAt: now}
	if !pe.Event.OccurredAt.IsZero() {
		t := pe.Event.OccurredAt.UTC().Truncate(time.Microsecond)
		r.OccurredAt = &t
	}
	if pe.Err != "" {
		r.Status, r.Error, r.ProcessedAt = string(models.InboxFailed), storableText(pe.Err, 1000), &now
	}
	return r
}

// InboxEvents implements models.InboxService.
func (s *Store) InboxEvents(ctx context.Context, sourceID int64, status models.InboxStatus, page models.Page) ([]*models.InboxEvent, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	db := s.db.WithContext(ctx)
	if _, err := webhookSource(db, sourceID); err != nil {
		return nil, "", err
	}
	q := db.Where("source_id = ?", sourceID)
	if status != "" {
		q = q.Where("status = ?", string(status))
	}
	return pageBy(q, ks, "Inbox events", func(r inboxEventRow) int64 { return r.ID }, infallible((*inboxEventRow).model))
}

// PendingInboxEvents returns up to limit pending events, oldest first,
// with their payloads: the worker's next round.
func (s *Store) PendingInboxEvents(ctx context.Context, limit int) ([]*models.InboxEvent, error) {
	var rows []inboxEventRow
	err := s.db.WithContext(ctx).Where("status = ?", string(models.InboxPending)).Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, mapError(err, "Inbox events")
	}
	out := make([]*models.InboxEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].model()
	}
	return out, nil
}

// FinishInboxEvents records the outcomes of one round in one
// transaction. An applied or superseded event loses its payload (it may
// hold PII and is no longer needed); a pending outcome (a transient
// error) counts an attempt and keeps the event for the next round,
// unless maxAttempts are used up: it then fails with its last error.
func (s *Store) FinishInboxEvents(ctx context.Context, outcomes []models.InboxOutcome, maxAttempts int) error {
	now := s.now()
	var done []int64
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		done = done[:0]
		for _, o := range outcomes {
			if o.Status == models.InboxApplied && o.Error == "" {
				done = append(done, o.ID)
				continue
			}
			var err error
			if o.Status == models.InboxPending {
				err = tx.Exec("UPDATE inbox_events SET attempts = attempts + 1, error = ? WHERE id = ? AND status = 'pending'",
					storableText(o.Error, 1000), o.ID).Error
				if err == nil {
					err = tx.Exec("UPDATE inbox_events SET status = 'failed', processed_at = ? WHERE id = ? AND status = 'pending' AND attempts >= ?",
						now, o.ID, maxAttempts).Error
				}
			} else {
				upd := map[string]any{"status": string(o.Status), "error": storableText(o.Error, 1000),
					"attempts": gorm.Expr("attempts + 1"), "processed_at": now}
				if o.Status != models.InboxFailed {
					upd["payload"] = ""
				}
				err = tx.Model(&inboxEventRow{}).Where("id = ? AND status = 'pending'", o.ID).Updates(upd).Error
			}
			if err != nil {
				return err
			}
		}
		if len(done) == 0 {
			return nil
		}
		// The common case, one statement for the whole round.
		return tx.Model(&inboxEventRow{}).Where("id IN ? AND status = 'pending'", done).Updates(map[string]any{
			"status": string(models.InboxApplied), "attempts": gorm.Expr("attempts + 1"), "processed_at": now, "payload": ""}).Error
	})
	return mapError(err, "Inbox events")
}

// InboxWatermark returns the occurred_at of the newest event applied
// under key, ok false when there is none.
func (s *Store) InboxWatermark(ctx context.Context, key string) (time.Time, bool, error) {
	var ts []time.Time
	err := s.db.WithContext(ctx).Table("inbox_watermarks").Where("key = ?", key).Limit(1).Pluck("occurred_at", &ts).Error
	if err != nil || len(ts) == 0 {
		return time.Time{}, false, mapError(err, "Inbox watermark")
	}
	return ts[0].UTC(), true, nil
}

// AdvanceInboxWatermark moves key's watermark to at unless it is later
// already.
func (s *Store) AdvanceInboxWatermark(ctx context.Context, key string, at time.Time) error {
	at = at.UTC().Truncate(time.Microsecond)
	err := s.db.WithContext(ctx).Exec(`INSERT INTO inbox_watermarks (key, occurred_at) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET occurred_at = excluded.occurred_at
		WHERE inbox_watermarks.occurred_at < excluded.occurred_at`, key, at).Error
	return mapError(err, "Inbox watermark")
}

// scrubInbox clears the payloads of a customer's failed inbox events when
// the customer is erased: they may carry PII. Pending events keep theirs
// until applied (an erasure through the inbox also supersedes older
// profile events, see docs/webhooks.md).
func scrubInbox(tx *gorm.DB, externalID string) error {
	return tx.Model(&inboxEventRow{}).Where("external_id = ? AND status = 'failed' AND payload <> ''", externalID).
		Update("payload", "").Error
}
