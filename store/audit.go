package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

var _ models.AuditService = (*Store)(nil)

// auditRow is a row of the append-only audit table.
type auditRow struct {
	ID           int64
	At           time.Time
	ActorName    string
	ActorEmail   string
	ActorKeyID   *int64
	Action       string
	ResourceType string
	ResourceID   string
	Detail       string
}

func (auditRow) TableName() string { return "audit" }

func (r *auditRow) model() (*models.AuditEntry, error) {
	detail := json.RawMessage(r.Detail)
	if !json.Valid(detail) {
		return nil, fmt.Errorf("store: audit %d: detail is not JSON", r.ID)
	}
	return &models.AuditEntry{ID: r.ID, At: r.At.UTC(), ActorName: r.ActorName, ActorEmail: r.ActorEmail,
		ActorKeyID: r.ActorKeyID, Action: r.Action, ResourceType: r.ResourceType, ResourceID: r.ResourceID, Detail: detail}, nil
}

// systemActor names actions taken without an API key (the CLI, the worker).
const systemActor = "system"

// audit appends a row to the audit trail inside tx, in the transaction of
// the action it records. The actor is the one the context of tx carries
// (models.WithActor); without one it is the system. detail must hold no
// customer PII.
func (s *Store) audit(tx *gorm.DB, action, resourceType string, resourceID any, detail map[string]any) error {
	var ctx context.Context = context.Background()
	if tx.Statement != nil && tx.Statement.Context != nil {
		ctx = tx.Statement.Context
	}
	a := models.ActorFrom(ctx)
	if detail == nil {
		detail = map[string]any{}
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("store: encode audit detail: %w", err)
	}
	row := auditRow{At: s.now(), ActorName: a.OwnerName, ActorEmail: a.OwnerEmail, Action: action,
		ResourceType: resourceType, ResourceID: fmt.Sprint(resourceID), Detail: string(raw)}
	if a.KeyID != 0 {
		row.ActorKeyID = &a.KeyID
	} else if row.ActorName == "" {
		row.ActorName = systemActor
	}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("store: write audit %s: %w", action, err)
	}
	return nil
}

// AuditEntries implements models.AuditService.
func (s *Store) AuditEntries(ctx context.Context, f models.AuditFilter, page models.Page) ([]*models.AuditEntry, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	q := s.db.WithContext(ctx).Model(&auditRow{})
	if f.Actor != "" {
		q = q.Where("actor_email = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.ResourceType != "" {
		q = q.Where("resource_type = ?", f.ResourceType)
	}
	if f.ResourceID != "" {
		q = q.Where("resource_id = ?", f.ResourceID)
	}
	if f.Since != nil {
		q = q.Where("at >= ?", f.Since.UTC())
	}
	if f.Until != nil {
		q = q.Where("at < ?", f.Until.UTC())
	}
	return pageBy(q, ks, "Audit", func(r auditRow) int64 { return r.ID }, (*auditRow).model)
}
