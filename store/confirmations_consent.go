package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// PendingConsent returns the customer's pending (double opt-in) consent
// for topic with the ledger seq it was recorded at and when it lapses
// (possibly in the past: the expiry sweep may not have run yet).
// ENOTFOUND when the customer is erased or unknown, the topic unknown, or
// the consent is not pending.
func (s *Store) PendingConsent(ctx context.Context, customerID int64, topic string) (*models.PendingConfirmation, error) {
	db := s.db.WithContext(ctx)
	p, err := s.pendingConsent(db, customerID, topic)
	if err != nil {
		return nil, mapError(err, "Consent")
	}
	return p, nil
}

func (s *Store) pendingConsent(tx *gorm.DB, customerID int64, topic string) (*models.PendingConfirmation, error) {
	var cust []customerRow
	if err := tx.Where("id = ? AND erased_at IS NULL", customerID).Limit(1).Find(&cust).Error; err != nil {
		return nil, err
	}
	var consent []consentRow
	if err := tx.Where("customer_id = ? AND topic = ?", customerID, topic).Limit(1).Find(&consent).Error; err != nil {
		return nil, err
	}
	if len(cust) == 0 || len(consent) == 0 || consent[0].Status != string(models.ConsentPending) {
		return nil, models.Errorf(models.ENOTFOUND, "Nothing waits for your confirmation.")
	}
	var conf []confirmationRow
	if err := tx.Where("customer_id = ? AND consent_seq = ?", customerID, consent[0].Seq).Limit(1).Find(&conf).Error; err != nil {
		return nil, err
	}
	if len(conf) == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "Nothing waits for your confirmation.")
	}
	var t topicRow
	if err := tx.Where("key = ?", topic).Take(&t).Error; err != nil {
		return nil, err
	}
	return &models.PendingConfirmation{Topic: t.model(), ConsentSeq: consent[0].Seq, ExpiresAt: conf[0].ExpiresAt.UTC()}, nil
}

// Confirmations lists the customer's confirmations for topic, newest
// first (at most 20).
func (s *Store) Confirmations(ctx context.Context, customerID int64, topic string) ([]*models.Confirmation, error) {
	var rows []confirmationRow
	err := s.db.WithContext(ctx).Where("customer_id = ? AND topic = ?", customerID, topic).Order("id DESC").Limit(20).Find(&rows).Error
	if err != nil {
		return nil, mapError(err, "Confirmations")
	}
	out := make([]*models.Confirmation, len(rows))
	for i := range rows {
		out[i] = rows[i].model()
	}
	return out, nil
}

// ConfirmConsent records the customer's confirmation of the pending
// consent recorded at ledger seq for topic: the consent becomes opted_in
// with source double_opt_in and ev as evidence, in the consent ledger,
// and the confirmation is marked confirmed, in one transaction.
// ENOTFOUND when nothing is pending; ECONFLICT when the consent changed
// since seq (the link is stale) or the confirmation lapsed.
func (s *Store) ConfirmConsent(ctx context.Context, customerID int64, topic string, seq int64, ev models.Evidence) (*models.Consent, error) {
	if err := validateConsent(models.ConsentOptedIn, models.SourceDoubleOptIn, ev); err != nil {
		return nil, err
	}
	var out *models.Consent
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		next, _, err := nextSeq(tx, customerID) // locks the customer; rolled back with any refusal
		if err != nil {
			return err
		}
		p, err := s.pendingConsent(tx, customerID, topic)
		if err != nil {
			return err
		}
		switch {
		case p.ConsentSeq != seq:
			return models.Errorf(models.ECONFLICT, "This confirmation link is no longer valid: your choice for this topic changed since it was sent.")
		case !p.ExpiresAt.After(s.now()):
			return models.Errorf(models.ECONFLICT, "This confirmation link expired on %s.", p.ExpiresAt.Format("2 January 2006"))
		}
		var ext []string
		if err := tx.Model(&customerRow{}).Where("id = ?", customerID).Pluck("external_id", &ext).Error; err != nil || len(ext) == 0 {
			return err
		}
		// The confirmation row is updated before the ledger head is locked
		// (appendConsentEvents allows only inserts after it).
		now := s.now()
		res := tx.Model(&confirmationRow{}).Where("customer_id = ? AND consent_seq = ?", customerID, seq).
			Updates(map[string]any{"status": string(models.ConfirmationConfirmed), "lease_until": nil, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		done, err := s.appendConsentEvents(tx, []newConsentEvent{{CustomerID: customerID, ExternalID: ext[0], Seq: next,
			Topic: topic, Status: models.ConsentOptedIn, Source: models.SourceDoubleOptIn, Evidence: ev}})
		if err != nil {
			return err
		}
		out = &done[0]
		return nil
	})
	if err != nil {
		return nil, mapError(err, "Consent")
	}
	return out, nil
}

// ExpireConfirmations lets pending consents whose confirmation was not
// used in time lapse: each still-pending consent becomes opted_out in the
// ledger (source double_opt_in, the evidence says it lapsed), so it no
// longer waits and a later opt-in asks again; the confirmation becomes
// expired. It handles at most limit per call and returns how many lapsed.
func (s *Store) ExpireConfirmations(ctx context.Context, limit int) (int, error) {
	var rows []confirmationRow
	now := s.now()
	err := s.db.WithContext(ctx).Where("status IN ? AND expires_at <= ?", openConfirmation, now).
		Order("expires_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return 0, mapError(err, "Confirmations")
	}
	lapsed := 0
	for i := range rows {
		// One transaction each: a customer's ledger is written alone.
		ok, err := s.expireConfirmation(ctx, &rows[i])
		if err != nil {
			return lapsed, mapError(err, "Confirmations")
		}
		if ok {
			lapsed++
		}
	}
	return lapsed, nil
}

func (s *Store) expireConfirmation(ctx context.Context, r *confirmationRow) (bool, error) {
	lapsed := false
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		lapsed = false
		now := s.now()
		res := tx.Model(&confirmationRow{}).Where("id = ? AND status IN ?", r.ID, openConfirmation).
			Updates(map[string]any{"status": string(models.ConfirmationExpired), "lease_until": nil, "updated_at": now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		if err := s.confirmationEvent(tx, r, models.ConfirmationExpired, ""); err != nil {
			return err
		}
		var consent []consentRow
		if err := tx.Where("customer_id = ? AND topic = ?", r.CustomerID, r.Topic).Limit(1).Find(&consent).Error; err != nil {
			return err
		}
		if len(consent) == 0 || consent[0].Status != string(models.ConsentPending) || consent[0].Seq != r.ConsentSeq {
			return nil // the consent moved on: nothing lapses
		}
		seq, _, err := nextSeq(tx, r.CustomerID)
		if models.ErrorCode(err) == models.ENOTFOUND {
			return nil // erased meanwhile: erasure ended it
		} else if err != nil {
			return err
		}
		var ext []string
		if err := tx.Model(&customerRow{}).Where("id = ?", r.CustomerID).Pluck("external_id", &ext).Error; err != nil || len(ext) == 0 {
			return err
		}
		ev := models.Evidence{Text: fmt.Sprintf("double opt-in not confirmed by %s: the opt-in lapsed", r.ExpiresAt.UTC().Format(time.RFC3339)),
			FormVersion: models.DoubleOptInFormVersion}
		_, err = s.appendConsentEvents(tx, []newConsentEvent{{CustomerID: r.CustomerID, ExternalID: ext[0], Seq: seq,
			Topic: r.Topic, Status: models.ConsentOptedOut, Source: models.SourceDoubleOptIn, Evidence: ev}})
		lapsed = err == nil
		return err
	})
	return lapsed, err
}
