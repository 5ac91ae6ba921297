package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// keyMaterialRow is a row of key_material: a key sealed with the
// encryption subkey of CANDOR_SECRET_KEY.
type keyMaterialRow struct {
	Purpose   string `gorm:"primaryKey"`
	Sealed    []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (keyMaterialRow) TableName() string { return "key_material" }

const purposeFingerprint = "fingerprint"

// InstallFingerprintKey loads the suppression fingerprint key from the
// database into s's keys, creating it on first use from the key derived
// from the current secret (so fingerprints made before it was stored keep
// matching). A key sealed under CANDOR_SECRET_KEY_PREVIOUS is resealed
// under the current secret, so a rotation can be completed by dropping the
// previous key later; so are the webhook sources' secrets. It fails when
// the stored key opens with neither secret (a wrong CANDOR_SECRET_KEY) or
// the database cannot be reached.
func (s *Store) InstallFingerprintKey(ctx context.Context) error {
	var key []byte
	err := s.tx(ctx, true, func(tx *gorm.DB) error {
		now := s.now()
		seed := keyMaterialRow{Purpose: purposeFingerprint, Sealed: s.keys.Encrypt(s.keys.DerivedFingerprintKey()), CreatedAt: now, UpdatedAt: now}
		// Several processes may start at once: the first insert wins and
		// everyone then reads the same row.
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&seed).Error; err != nil {
			return err
		}
		var row keyMaterialRow
		if err := tx.Where("purpose = ?", purposeFingerprint).Take(&row).Error; err != nil {
			return err
		}
		plain, stale, err := s.keys.Decrypt(row.Sealed)
		if err != nil {
			return fmt.Errorf("store: the fingerprint key in the database opens with neither CANDOR_SECRET_KEY nor CANDOR_SECRET_KEY_PREVIOUS: %w", err)
		}
		if stale {
			err := tx.Model(&keyMaterialRow{}).Where("purpose = ?", purposeFingerprint).
				Updates(map[string]any{"sealed": s.keys.Encrypt(plain), "updated_at": now}).Error
			if err != nil {
				return err
			}
			s.log.Info("fingerprint key resealed under the current secret key")
		}
		key = plain
		return nil
	})
	if err != nil {
		return err
	}
	s.keys.UseFingerprintKey(key)
	// The other secrets sealed with the encryption subkey follow the
	// same rotation.
	return s.resealWebhookSecrets(ctx)
}
