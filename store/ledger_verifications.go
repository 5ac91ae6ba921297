package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// ledgerVerificationRow is a ledger_verifications row (00029).
type ledgerVerificationRow struct {
	ID         int64 `gorm:"primaryKey"`
	FinishedAt time.Time
	HeadSeq    int64
	Customers  int64
	Events     int64
	Problems   int64
	DurationMS int64 `gorm:"column:duration_ms"`
	Worker     string
}

func (ledgerVerificationRow) TableName() string { return "ledger_verifications" }

// RecordLedgerVerification keeps v as the newest completed verification
// of the ledger; later verifications report a head shorter than its
// (VerifyLedger). Errors are the database's.
func (s *Store) RecordLedgerVerification(ctx context.Context, v *models.LedgerVerification) error {
	row := ledgerVerificationRow{FinishedAt: v.FinishedAt.UTC(), HeadSeq: v.HeadSeq, Customers: v.Customers, Events: v.Events,
		Problems: v.Problems, DurationMS: v.Duration.Milliseconds(), Worker: v.Worker}
	return mapError(s.db.WithContext(ctx).Create(&row).Error, "Ledger verification")
}

// LastLedgerVerification returns the newest completed verification of the
// ledger; ENOTFOUND when none was recorded.
func (s *Store) LastLedgerVerification(ctx context.Context) (*models.LedgerVerification, error) {
	var row ledgerVerificationRow
	err := s.db.WithContext(ctx).Order("id DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.Errorf(models.ENOTFOUND, "The consent ledger has not been verified yet.")
	}
	if err != nil {
		return nil, mapError(err, "Ledger verification")
	}
	return &models.LedgerVerification{FinishedAt: row.FinishedAt.UTC(), HeadSeq: row.HeadSeq, Customers: row.Customers,
		Events: row.Events, Problems: row.Problems, Duration: time.Duration(row.DurationMS) * time.Millisecond, Worker: row.Worker}, nil
}
