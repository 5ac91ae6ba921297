package store

import (
	"context"
	"time"

	"github.com/candor/candor/models"
)

// ledgerVerificationRow is a ledger_verifications row (00029), sealed
// under a ledger key (00030), with its head's hash (00031).
type ledgerVerificationRow struct {
	ID         int64 `gorm:"primaryKey"`
	FinishedAt time.Time
	HeadSeq    int64
	HeadHash   string
	Customers  int64
	Events     int64
	Problems   int64
	DurationMS int64 `gorm:"column:duration_ms"`
	Worker     string
	KeyID      string
	Mac        string
}

func (ledgerVerificationRow) TableName() string { return "ledger_verifications" }

func (r *ledgerVerificationRow) model() *models.LedgerVerification {
	return &models.LedgerVerification{FinishedAt: r.FinishedAt.UTC(), HeadSeq: r.HeadSeq, HeadHash: r.HeadHash, Customers: r.Customers,
		Events: r.Events, Problems: r.Problems, Duration: time.Duration(r.DurationMS) * time.Millisecond, Worker: r.Worker}
}

// verificationSeal says whether r is a record the ledger wrote:
// models.SealUnknownKey (no MAC, written before 00030 or by someone
// without the key who did not try, or a key the ring no longer holds) counts
// for nothing; models.SealBroken (altered after it was written, or forged)
// is reported by verification.
func (s *Store) verificationSeal(r *ledgerVerificationRow) models.SealCheck {
	return models.CheckSeal(s.keys.Ledger(), r.KeyID, r.Mac, func(key []byte) string {
		return models.LedgerVerificationMAC(key, r.KeyID, r.model())
	})
}

// RecordLedgerVerification keeps v, sealed under the current ledger key,
// as the newest completed verification of the ledger; later verifications
// report a head shorter than its (VerifyLedger). FinishedAt is kept to the
// microsecond. Errors are the database's.
func (s *Store) RecordLedgerVerification(ctx context.Context, v *models.LedgerVerification) error {
	kept := *v
	kept.FinishedAt = v.FinishedAt.UTC().Truncate(time.Microsecond)
	kid, key := s.keys.Ledger().CurrentLedgerKey()
	row := ledgerVerificationRow{FinishedAt: kept.FinishedAt, HeadSeq: v.HeadSeq, HeadHash: v.HeadHash, Customers: v.Customers, Events: v.Events,
		Problems: v.Problems, DurationMS: v.Duration.Milliseconds(), Worker: v.Worker, KeyID: kid,
		Mac: models.LedgerVerificationMAC(key, kid, &kept)}
	return mapError(s.db.WithContext(ctx).Create(&row).Error, "Ledger verification")
}

// lastVerificationsRead bounds how many of the newest records
// LastLedgerVerification reads to find a sealed one: more unsealed ones
// on top (a flood of forgeries) make it answer "none", so the ledger is
// verified at once, the safe side.
const lastVerificationsRead = 100

// LastLedgerVerification returns the newest completed verification of the
// ledger whose seal verifies; ENOTFOUND when none was recorded (or none
// of the newest records is sealed).
func (s *Store) LastLedgerVerification(ctx context.Context) (*models.LedgerVerification, error) {
	var rows []ledgerVerificationRow
	err := s.db.WithContext(ctx).Order("id DESC").Limit(lastVerificationsRead).Find(&rows).Error
	if err != nil {
		return nil, mapError(err, "Ledger verification")
	}
	for i := range rows {
		if s.verificationSeal(&rows[i]) == models.SealValid {
			return rows[i].model(), nil
		}
	}
	return nil, models.Errorf(models.ENOTFOUND, "The consent ledger has not been verified yet.")
}
