package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
)

// webhookMessageRow is a row of webhook_messages: one event queued for
// one endpoint.
type webhookMessageRow struct {
	ID            int64
	EndpointID    int64
	EventID       int64
	CustomerID    *int64
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   *time.Time
}

func (webhookMessageRow) TableName() string { return "webhook_messages" }

// Message statuses.
const (
	messagePending   = "pending"
	messageDelivered = "delivered"
	messageFailed    = "failed"
)

// webhookAttemptRow is a row of webhook_attempts, the attempt log.
type webhookAttemptRow struct {
	ID          int64
	EndpointID  int64
	MessageID   int64
	EventID     int64
	Attempt     int
	OK          bool `gorm:"column:ok"`
	StatusCode  int
	Error       string
	DurationMS  int `gorm:"column:duration_ms"`
	AttemptedAt time.Time
}

func (webhookAttemptRow) TableName() string { return "webhook_attempts" }

func (r *webhookAttemptRow) model() *models.WebhookAttempt {
	return &models.WebhookAttempt{ID: r.ID, EndpointID: r.EndpointID, EventID: r.EventID, WebhookID: models.WebhookID(r.EventID),
		Attempt: r.Attempt, OK: r.OK, StatusCode: r.StatusCode, Error: r.Error, DurationMS: r.DurationMS, AttemptedAt: r.AttemptedAt.UTC()}
}

// FanOutWebhookEvents queues up to limit events not yet fanned out for
// every enabled endpoint that subscribes to their type and existed when
// they were written, and marks them fanned out, in one transaction; it
// returns how many events it read. Events commit out of id order, so a
// late commit is simply read by a later call. Running it twice at once
// (a lease lost mid-round) queues nothing twice: (endpoint, event) is
// unique.
func (s *Store) FanOutWebhookEvents(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var events []eventRow
		if err := tx.Select("id", "type", "customer_id", "created_at").Where("fanout_pending").
			Order("id").Limit(limit).Find(&events).Error; err != nil {
			return err
		}
		n = len(events)
		if n == 0 {
			return nil
		}
		var endpoints []webhookEndpointRow
		if err := tx.Select("id", "event_types", "created_at").Where("status = ?", string(models.EndpointEnabled)).
			Order("id").Find(&endpoints).Error; err != nil {
			return err
		}
		now := s.now()
		var msgs []webhookMessageRow
		ids := make([]int64, len(events))
		for i, e := range events {
			ids[i] = e.ID
			for _, ep := range endpoints {
				if models.Subscribed(ep.events(), models.EventType(e.Type)) && !e.CreatedAt.Before(ep.CreatedAt) {
					msgs = append(msgs, webhookMessageRow{EndpointID: ep.ID, EventID: e.ID, CustomerID: e.CustomerID,
						Status: messagePending, NextAttemptAt: now, CreatedAt: now})
				}
			}
		}
		if len(msgs) > 0 {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(msgs, 500).Error; err != nil {
				return err
			}
		}
		return tx.Exec("UPDATE events SET fanout_pending = ? WHERE id IN ?", false, ids).Error
	})
	return n, mapError(err, "Webhook fan-out")
}

// dueMessageRow is a due message with its event, as DueWebhookMessages
// reads it.
type dueMessageRow struct {
	ID         int64
	EndpointID int64
	EventID    int64
	CustomerID *int64
	Attempts   int
	Type       string
	Data       string
	CreatedAt  time.Time
}

// DueWebhookMessages returns up to limit pending messages of enabled
// endpoints that are due at now, in event order. A message waits while an
// earlier event of the same customer is pending for the same endpoint and
// not due (it is being retried): events of one customer reach an endpoint
// in order. Every earlier due one is in the same answer (event order), so
// the caller keeps the order by sending each customer's messages one
// after the other.
func (s *Store) DueWebhookMessages(ctx context.Context, now time.Time, limit int) ([]*models.WebhookMessage, error) {
	// UTC to the microsecond, as every stored time: SQLite compares times
	// as text.
	now = now.UTC().Truncate(time.Microsecond)
	var rows []dueMessageRow
	err := s.db.WithContext(ctx).Raw(`SELECT m.id, m.endpoint_id, m.event_id, m.customer_id, m.attempts, e.type, e.data, e.created_at
FROM webhook_messages m
JOIN events e ON e.id = m.event_id
JOIN webhook_endpoints w ON w.id = m.endpoint_id
WHERE m.status = 'pending' AND m.next_attempt_at <= ? AND w.status = 'enabled'
AND (m.customer_id IS NULL OR NOT EXISTS (
	SELECT 1 FROM webhook_messages p
	WHERE p.status = 'pending' AND p.endpoint_id = m.endpoint_id AND p.customer_id = m.customer_id
	AND p.event_id < m.event_id AND p.next_attempt_at > ?))
ORDER BY m.event_id, m.id
LIMIT ?`, now, now, limit).Scan(&rows).Error
	if err != nil {
		return nil, mapError(err, "Webhook messages")
	}
	out := make([]*models.WebhookMessage, len(rows))
	for i, r := range rows {
		out[i] = &models.WebhookMessage{ID: r.ID, EndpointID: r.EndpointID, EventID: r.EventID, CustomerID: r.CustomerID,
			Attempts: r.Attempts, Type: models.EventType(r.Type), Data: json.RawMessage(r.Data), CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// WebhookTargets returns the URL and the opened secret of each endpoint
// in ids that still exists. A secret that opens with neither secret key
// is an internal error.
func (s *Store) WebhookTargets(ctx context.Context, ids []int64) (map[int64]models.WebhookTarget, error) {
	var rows []webhookEndpointRow
	if err := s.db.WithContext(ctx).Select("id", "url", "secret_sealed").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, mapError(err, "Webhook endpoints")
	}
	out := make(map[int64]models.WebhookTarget, len(rows))
	for _, r := range rows {
		plain, _, err := s.keys.Decrypt(r.SecretSealed)
		if err != nil {
			return nil, fmt.Errorf("store: webhook endpoint %d: secret does not open with CANDOR_SECRET_KEY: %w", r.ID, err)
		}
		out[r.ID] = models.WebhookTarget{URL: r.URL, Secret: string(plain)}
	}
	return out, nil
}

// ReplayWebhookEndpoint implements models.WebhookEndpointService. A
// message already queued is set pending and due again with its attempts
// reset; an event never queued for the endpoint (written while it was
// disabled) is queued now.
func (s *Store) ReplayWebhookEndpoint(ctx context.Context, id int64, in *models.ReplayInput) (*models.ReplayResult, error) {
	if in == nil {
		in = &models.ReplayInput{}
	}
	now := s.now()
	if err := in.Validate(now); err != nil {
		return nil, err
	}
	out := &models.ReplayResult{}
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		ep, err := webhookEndpoint(tx, id)
		if err != nil {
			return err
		}
		q := tx.Select("id", "type", "customer_id", "created_at").Order("id")
		if in.EventID != nil {
			q = q.Where("id = ?", *in.EventID)
		} else {
			q = q.Where("created_at >= ?", in.Since.UTC())
		}
		if evs := ep.events(); !models.Subscribed(evs, models.EventWildcard) {
			q = q.Where("type IN ?", eventTypeNames(evs))
		}
		var events []eventRow
		if err := q.Find(&events).Error; err != nil {
			return err
		}
		if in.EventID != nil && len(events) == 0 {
			return models.Errorf(models.ENOTFOUND, "Event %d does not exist or is not of a type the endpoint subscribes to.", *in.EventID)
		}
		msgs := make([]webhookMessageRow, len(events))
		for i, e := range events {
			msgs[i] = webhookMessageRow{EndpointID: id, EventID: e.ID, CustomerID: e.CustomerID, Status: messagePending,
				NextAttemptAt: now, CreatedAt: now}
		}
		if len(msgs) > 0 {
			err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "endpoint_id"}, {Name: "event_id"}},
				DoUpdates: clause.Assignments(map[string]any{"status": messagePending, "attempts": 0, "next_attempt_at": now,
					"last_error": "", "delivered_at": nil})}).CreateInBatches(msgs, 500).Error
			if err != nil {
				return err
			}
		}
		out.Replayed = len(msgs)
		detail := map[string]any{"replayed": len(msgs)}
		if in.EventID != nil {
			detail["event_id"] = *in.EventID
		} else {
			detail["since"] = in.Since.UTC()
		}
		return s.audit(tx, auditEndpointReplayed, "webhook_endpoint", id, detail)
	})
	if err != nil {
		return nil, mapError(err, "Webhook endpoint")
	}
	return out, nil
}

func eventTypeNames(ev []models.EventType) []string {
	out := make([]string, len(ev))
	for i, e := range ev {
		out[i] = string(e)
	}
	return out
}
