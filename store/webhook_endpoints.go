package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// webhookEndpointRow is a row of webhook_endpoints. The secret is sealed
// with the encryption subkey of CANDOR_SECRET_KEY, never stored in clear;
// event_types is a JSON array of type names.
type webhookEndpointRow struct {
	ID             int64
	URL            string
	Description    string
	EventTypes     string
	SecretSealed   []byte
	Status         string
	DisabledReason string
	FailureRun     int
	FailingSince   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (webhookEndpointRow) TableName() string { return "webhook_endpoints" }

func (r *webhookEndpointRow) events() []models.EventType {
	var ev []models.EventType
	_ = json.Unmarshal([]byte(r.EventTypes), &ev) // written by this package from a []EventType
	return ev
}

func (r *webhookEndpointRow) model() *models.WebhookEndpoint {
	return &models.WebhookEndpoint{ID: r.ID, URL: r.URL, Description: r.Description, Events: r.events(),
		Status: models.EndpointStatus(r.Status), DisabledReason: r.DisabledReason, ConsecutiveFailures: r.FailureRun,
		FailingSince: utcPtr(r.FailingSince), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// Audit actions of webhook endpoints.
const (
	auditEndpointCreated  = "webhook_endpoint.created"
	auditEndpointUpdated  = "webhook_endpoint.updated"
	auditEndpointDeleted  = "webhook_endpoint.deleted"
	auditEndpointReplayed = "webhook_endpoint.replayed"
)

func encodeEventTypes(ev []models.EventType) string {
	raw, _ := json.Marshal(ev) // a slice of strings always encodes
	return string(raw)
}

// CreateWebhookEndpoint implements models.WebhookEndpointService.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, in *models.WebhookEndpointInput) (*models.WebhookEndpoint, string, error) {
	if in == nil {
		return nil, "", models.Errorf(models.EINVALID, "A webhook endpoint needs a url and events.")
	}
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	secret := secrets.NewWebhookSecret()
	now := s.now()
	row := webhookEndpointRow{URL: in.URL, Description: in.Description, EventTypes: encodeEventTypes(in.Events),
		SecretSealed: s.keys.Encrypt([]byte(secret)), Status: string(models.EndpointEnabled), CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, auditEndpointCreated, "webhook_endpoint", row.ID, map[string]any{"events": in.Events})
	})
	if err != nil {
		return nil, "", mapError(err, "Webhook endpoint")
	}
	return row.model(), secret, nil
}

// WebhookEndpoint implements models.WebhookEndpointService.
func (s *Store) WebhookEndpoint(ctx context.Context, id int64) (*models.WebhookEndpoint, error) {
	row, err := webhookEndpoint(s.db.WithContext(ctx), id)
	if err != nil {
		return nil, err
	}
	return row.model(), nil
}

func webhookEndpoint(tx *gorm.DB, id int64) (*webhookEndpointRow, error) {
	var row webhookEndpointRow
	if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, mapError(err, "Webhook endpoint")
	}
	return &row, nil
}

// WebhookEndpoints implements models.WebhookEndpointService.
func (s *Store) WebhookEndpoints(ctx context.Context, page models.Page) ([]*models.WebhookEndpoint, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	return pageBy(s.db.WithContext(ctx), ks, "Webhook endpoints", func(r webhookEndpointRow) int64 { return r.ID },
		infallible((*webhookEndpointRow).model))
}

// UpdateWebhookEndpoint implements models.WebhookEndpointService.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, id int64, in *models.WebhookEndpointPatch) (*models.WebhookEndpoint, error) {
	if in == nil {
		in = &models.WebhookEndpointPatch{}
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *models.WebhookEndpoint
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		row, err := webhookEndpoint(s.forUpdate(tx), id)
		if err != nil {
			return err
		}
		changed := map[string]any{}
		if in.URL != nil {
			row.URL, changed["url"] = *in.URL, true
		}
		if in.Events != nil {
			row.EventTypes, changed["events"] = encodeEventTypes(in.Events), in.Events
		}
		if in.Description != nil {
			row.Description, changed["description"] = *in.Description, true
		}
		if in.Status != nil && string(*in.Status) != row.Status {
			row.Status, changed["status"] = string(*in.Status), *in.Status
			row.DisabledReason = ""
			if *in.Status == models.EndpointDisabled {
				row.DisabledReason = "disabled through the API"
			}
		}
		if in.Status != nil && *in.Status == models.EndpointEnabled {
			row.FailureRun, row.FailingSince = 0, nil
		}
		row.UpdatedAt = s.now()
		if err := tx.Save(row).Error; err != nil {
			return err
		}
		out = row.model()
		return s.audit(tx, auditEndpointUpdated, "webhook_endpoint", id, changed)
	})
	if err != nil {
		return nil, mapError(err, "Webhook endpoint")
	}
	return out, nil
}

// DeleteWebhookEndpoint implements models.WebhookEndpointService. The
// queue and the attempt log go with it (ON DELETE CASCADE, spelled out
// here too so the order of deletes never depends on the dialect).
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id int64) error {
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		for _, table := range []string{"webhook_attempts", "webhook_messages"} {
			if err := tx.Exec("DELETE FROM "+table+" WHERE endpoint_id = ?", id).Error; err != nil {
				return err
			}
		}
		res := tx.Where("id = ?", id).Delete(&webhookEndpointRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "Webhook endpoint not found.")
		}
		return s.audit(tx, auditEndpointDeleted, "webhook_endpoint", id, nil)
	})
	return mapError(err, "Webhook endpoint")
}

// TestWebhookEndpoint implements models.WebhookEndpointService: the test
// event is written already fanned out, with its one message, so it goes
// to this endpoint alone (enabled or not: a disabled endpoint's messages
// wait for it to be enabled).
func (s *Store) TestWebhookEndpoint(ctx context.Context, id int64) (*models.TestMessage, error) {
	var out *models.TestMessage
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		if _, err := webhookEndpoint(tx, id); err != nil {
			return err
		}
		now := s.now()
		raw, _ := json.Marshal(map[string]int64{"endpoint_id": id})
		row := eventRow{Type: string(models.EventWebhookTest), Data: string(raw), CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store: write test event: %w", err)
		}
		if err := tx.Exec("UPDATE events SET fanout_pending = ? WHERE id = ?", false, row.ID).Error; err != nil {
			return err
		}
		msg := webhookMessageRow{EndpointID: id, EventID: row.ID, Status: messagePending, NextAttemptAt: now, CreatedAt: now}
		if err := tx.Create(&msg).Error; err != nil {
			return err
		}
		out = &models.TestMessage{EventID: row.ID, WebhookID: models.WebhookID(row.ID)}
		return nil
	})
	if err != nil {
		return nil, mapError(err, "Webhook endpoint")
	}
	return out, nil
}

// WebhookAttempts implements models.WebhookEndpointService.
func (s *Store) WebhookAttempts(ctx context.Context, id int64, page models.Page) ([]*models.WebhookAttempt, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	db := s.db.WithContext(ctx)
	if _, err := webhookEndpoint(db, id); err != nil {
		return nil, "", err
	}
	return pageBy(db.Where("endpoint_id = ?", id), ks, "Webhook attempts", func(r webhookAttemptRow) int64 { return r.ID },
		infallible((*webhookAttemptRow).model))
}
