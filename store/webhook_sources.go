package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// webhookSourceRow is a row of webhook_sources. Secrets are sealed with
// the encryption subkey of CANDOR_SECRET_KEY, never stored in clear.
type webhookSourceRow struct {
	ID             int64
	Name           string
	SecretSealed   []byte
	PreviousSealed []byte
	PreviousUntil  *time.Time
	RotatedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (webhookSourceRow) TableName() string { return "webhook_sources" }

// model returns the source as clients see it; a previous secret whose
// overlap has ended is not mentioned.
func (r *webhookSourceRow) model(now time.Time) *models.WebhookSource {
	src := &models.WebhookSource{ID: r.ID, Name: r.Name, RotatedAt: utcPtr(r.RotatedAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.PreviousUntil != nil && r.PreviousUntil.After(now) {
		src.PreviousSecretUntil = utcPtr(r.PreviousUntil)
	}
	return src
}

// Audit actions of webhook sources.
const (
	auditSourceCreated = "webhook_source.created"
	auditSourceRotated = "webhook_source.rotated"
	auditSourceDeleted = "webhook_source.deleted"
)

// CreateWebhookSource implements models.WebhookSourceService.
func (s *Store) CreateWebhookSource(ctx context.Context, in *models.WebhookSourceInput) (*models.WebhookSource, string, error) {
	if in == nil {
		return nil, "", models.Errorf(models.EINVALID, "A webhook source name is required.")
	}
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	secret := secrets.NewWebhookSecret()
	now := s.now()
	row := webhookSourceRow{Name: in.Name, SecretSealed: s.keys.Encrypt([]byte(secret)), CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			if isUniqueViolation(err) {
				return models.Errorf(models.ECONFLICT, "A webhook source named %q exists already.", in.Name)
			}
			return err
		}
		return s.audit(tx, auditSourceCreated, "webhook_source", row.ID, map[string]any{"name": in.Name})
	})
	if err != nil {
		return nil, "", mapError(err, "Webhook source")
	}
	return row.model(now), secret, nil
}

// WebhookSource implements models.WebhookSourceService.
func (s *Store) WebhookSource(ctx context.Context, id int64) (*models.WebhookSource, error) {
	row, err := webhookSource(s.db.WithContext(ctx), id)
	if err != nil {
		return nil, err
	}
	return row.model(s.now()), nil
}

func webhookSource(tx *gorm.DB, id int64) (*webhookSourceRow, error) {
	var row webhookSourceRow
	if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, mapError(err, "Webhook source")
	}
	return &row, nil
}

// WebhookSources implements models.WebhookSourceService.
func (s *Store) WebhookSources(ctx context.Context, page models.Page) ([]*models.WebhookSource, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	return pageBy(s.db.WithContext(ctx), ks, "Webhook sources", func(r webhookSourceRow) int64 { return r.ID },
		infallible(func(r *webhookSourceRow) *models.WebhookSource { return r.model(now) }))
}

// RotateWebhookSource implements models.WebhookSourceService.
func (s *Store) RotateWebhookSource(ctx context.Context, id int64, overlap time.Duration) (*models.WebhookSource, string, error) {
	if overlap < 0 || overlap > models.MaxSecretOverlap {
		return nil, "", models.Errorf(models.EINVALID, "The overlap must be between 0 and 7 days.")
	}
	secret := secrets.NewWebhookSecret()
	var out *models.WebhookSource
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		row, err := webhookSource(s.forUpdate(tx), id)
		if err != nil {
			return err
		}
		now := s.now()
		until := now.Add(overlap)
		// Only the secret in use now overlaps: a secret rotated out
		// before stops at once, so at most two ever verify.
		row.PreviousSealed, row.PreviousUntil = row.SecretSealed, &until
		row.SecretSealed, row.RotatedAt, row.UpdatedAt = s.keys.Encrypt([]byte(secret)), &now, now
		if err := tx.Save(row).Error; err != nil {
			return err
		}
		out = row.model(now)
		return s.audit(tx, auditSourceRotated, "webhook_source", row.ID, map[string]any{"overlap_seconds": int64(overlap / time.Second)})
	})
	if err != nil {
		return nil, "", mapError(err, "Webhook source")
	}
	return out, secret, nil
}

// DeleteWebhookSource implements models.WebhookSourceService.
func (s *Store) DeleteWebhookSource(ctx context.Context, id int64) error {
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&webhookSourceRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "Webhook source not found.")
		}
		return s.audit(tx, auditSourceDeleted, "webhook_source", id, nil)
	})
	return mapError(err, "Webhook source")
}

// WebhookSourceSecrets implements models.WebhookSourceService. A secret
// sealed under CANDOR_SECRET_KEY_PREVIOUS still opens; one that opens
// with neither key is an internal error (the wrong secret key).
func (s *Store) WebhookSourceSecrets(ctx context.Context, id int64) ([]string, error) {
	row, err := webhookSource(s.db.WithContext(ctx), id)
	if err != nil {
		return nil, err
	}
	sealed := [][]byte{row.SecretSealed}
	if row.PreviousSealed != nil && row.PreviousUntil != nil && row.PreviousUntil.After(s.now()) {
		sealed = append(sealed, row.PreviousSealed)
	}
	out := make([]string, 0, len(sealed))
	for _, b := range sealed {
		plain, _, err := s.keys.Decrypt(b)
		if err != nil {
			return nil, fmt.Errorf("store: webhook source %d: secret does not open with CANDOR_SECRET_KEY: %w", id, err)
		}
		out = append(out, string(plain))
	}
	return out, nil
}

// resealWebhookSecrets reseals under the current CANDOR_SECRET_KEY every
// source secret still sealed under CANDOR_SECRET_KEY_PREVIOUS, so a
// rotation of the server key can be completed by dropping the previous
// one (as the fingerprint key is resealed, see InstallFingerprintKey). A
// secret that opens with neither key is left alone and logged by id: its
// source's requests fail verification until it is rotated.
func (s *Store) resealWebhookSecrets(ctx context.Context) error {
	// A schema before migration 00013 (tools that migrate step by step)
	// has no sources to reseal.
	if !s.db.WithContext(ctx).Migrator().HasTable(&webhookSourceRow{}) {
		return nil
	}
	var rows []webhookSourceRow
	if err := s.db.WithContext(ctx).Find(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		upd := map[string]any{}
		for col, sealed := range map[string][]byte{"secret_sealed": r.SecretSealed, "previous_sealed": r.PreviousSealed} {
			if sealed == nil {
				continue
			}
			plain, stale, err := s.keys.Decrypt(sealed)
			if err != nil {
				s.log.Warn("webhook source secret opens with neither secret key", "source_id", r.ID)
				continue
			}
			if stale {
				upd[col] = s.keys.Encrypt(plain)
			}
		}
		if len(upd) == 0 {
			continue
		}
		if err := s.db.WithContext(ctx).Model(&webhookSourceRow{}).Where("id = ?", r.ID).Updates(upd).Error; err != nil {
			return err
		}
		s.log.Info("webhook source secret resealed under the current secret key", "source_id", r.ID)
	}
	return nil
}
