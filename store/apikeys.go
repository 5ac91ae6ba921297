package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// lastUsedGranularity bounds how often authentication writes last_used_at,
// so an API key in busy use does not turn every request into a write.
const lastUsedGranularity = time.Minute

// apiKeyRow is a row of api_keys. Only the hash of a key is stored.
type apiKeyRow struct {
	ID         int64
	Name       string
	Role       string
	OwnerName  string
	OwnerEmail string
	Prefix     string
	Hash       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (apiKeyRow) TableName() string { return "api_keys" }

func (r *apiKeyRow) model() *models.APIKey {
	return &models.APIKey{
		ID:         r.ID,
		Name:       r.Name,
		Role:       models.Role(r.Role),
		OwnerName:  r.OwnerName,
		OwnerEmail: r.OwnerEmail,
		Prefix:     r.Prefix,
		CreatedAt:  r.CreatedAt.UTC(),
		LastUsedAt: utcPtr(r.LastUsedAt),
		RevokedAt:  utcPtr(r.RevokedAt),
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateAPIKey implements models.APIKeyService.
func (s *Store) CreateAPIKey(ctx context.Context, in *models.APIKeyInput) (*models.APIKey, string, error) {
	if in == nil {
		return nil, "", models.Errorf(models.EINVALID, "An API key name and role are required.")
	}
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	if err := in.ValidateOwner(); err != nil {
		return nil, "", err
	}
	plain := secrets.NewAPIKey()
	row := apiKeyRow{
		Name:       in.Name,
		Role:       string(in.Role),
		OwnerName:  in.OwnerName,
		OwnerEmail: in.OwnerEmail,
		Prefix:     secrets.DisplayPrefix(plain),
		Hash:       secrets.HashAPIKey(plain),
		CreatedAt:  s.now(),
	}
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, models.AuditAPIKeyCreated, "api_key", row.ID, map[string]any{
			"name": row.Name, "role": row.Role, "owner_name": row.OwnerName, "owner_email": row.OwnerEmail})
	})
	if err != nil {
		return nil, "", mapError(err, "API key")
	}
	return row.model(), plain, nil
}

// EnsureAPIKey implements models.APIKeyService.
func (s *Store) EnsureAPIKey(ctx context.Context, name, plain string, role models.Role) error {
	in := models.APIKeyInput{Name: name, Role: role}
	if err := in.Validate(); err != nil {
		return err
	}
	if plain == "" {
		return models.Errorf(models.EINVALID, "The API key to ensure is empty.")
	}
	row := apiKeyRow{
		Name:       name,
		Role:       string(role),
		OwnerName:  models.BootstrapOwnerName,
		OwnerEmail: models.BootstrapOwnerEmail,
		Prefix:     secrets.DisplayPrefix(plain),
		Hash:       secrets.HashAPIKey(plain),
		CreatedAt:  s.now(),
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "hash"}},
		DoUpdates: clause.Assignments(map[string]any{
			"name":        name,
			"role":        string(role),
			"owner_name":  models.BootstrapOwnerName,
			"owner_email": models.BootstrapOwnerEmail,
			"revoked_at":  nil,
		}),
	}).Create(&row).Error
	return mapError(err, "API key")
}

// APIKeys implements models.APIKeyService.
func (s *Store) APIKeys(ctx context.Context) ([]*models.APIKey, error) {
	var rows []apiKeyRow
	if err := s.db.WithContext(ctx).Order("created_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, mapError(err, "API keys")
	}
	out := make([]*models.APIKey, len(rows))
	for i := range rows {
		out[i] = rows[i].model()
	}
	return out, nil
}

// RevokeAPIKey implements models.APIKeyService.
func (s *Store) RevokeAPIKey(ctx context.Context, id int64) error {
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var row apiKeyRow
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return err
		}
		if row.RevokedAt != nil {
			return nil
		}
		if models.Role(row.Role) == models.RoleAdmin {
			// Lock every active admin key, so two admins revoking each
			// other at once cannot both see the other as still active.
			var admins []int64
			err := s.forUpdate(tx).Model(&apiKeyRow{}).Where("role = ? AND revoked_at IS NULL", string(models.RoleAdmin)).
				Pluck("id", &admins).Error
			if err != nil {
				return err
			}
			if len(admins) <= 1 {
				return models.Errorf(models.ECONFLICT, "This is the last active admin key; create another admin key first (candor apikey create --role admin), so the API is never left without one.")
			}
		}
		if err := tx.Model(&apiKeyRow{}).Where("id = ?", id).Update("revoked_at", s.now()).Error; err != nil {
			return err
		}
		return s.audit(tx, models.AuditAPIKeyRevoked, "api_key", id, map[string]any{"name": row.Name, "role": row.Role, "owner_email": row.OwnerEmail})
	})
	if err == nil {
		s.apiKeys.forget()
	}
	return mapError(err, "API key")
}

// AuthenticateAPIKey implements models.APIKeyService. It records the key's
// use, at most once a minute. A key verified in the last APIKeyCacheTTL is
// trusted without a query (revocation through this store forgets it at
// once). EUNAUTHORIZED for a missing, unknown or revoked key.
func (s *Store) AuthenticateAPIKey(ctx context.Context, plain string) (*models.APIKey, error) {
	if plain == "" {
		return nil, models.Errorf(models.EUNAUTHORIZED, "An API key is required.")
	}
	db := s.db.WithContext(ctx)
	hash := secrets.HashAPIKey(plain)
	now := s.now()
	row, ok := s.apiKeys.get(hash, now)
	if !ok {
		var rows []apiKeyRow
		if err := db.Where("hash = ?", hash).Limit(1).Find(&rows).Error; err != nil {
			return nil, mapError(err, "API key")
		}
		if len(rows) == 0 {
			return nil, models.Errorf(models.EUNAUTHORIZED, "The API key is not valid.")
		}
		row = rows[0]
		if row.RevokedAt != nil {
			return nil, models.Errorf(models.EUNAUTHORIZED, "The API key has been revoked.")
		}
		s.apiKeys.put(hash, row, now)
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= lastUsedGranularity {
		// The condition repeats the check so that concurrent requests
		// write once between them.
		res := db.Model(&apiKeyRow{}).
			Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", row.ID, now.Add(-lastUsedGranularity)).
			Update("last_used_at", now)
		if res.Error != nil {
			// Bookkeeping must not turn a valid key into a failed request.
			s.log.WarnContext(ctx, "record api key use", "api_key_id", row.ID, "error", res.Error)
		} else {
			// Written now, or by a concurrent request or process within
			// the granularity: either way the next minute need not write.
			row.LastUsedAt = &now
			s.apiKeys.touch(hash, now)
		}
	}
	return row.model(), nil
}
