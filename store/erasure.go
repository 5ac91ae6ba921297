package store

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
)

// ErasedPseudonym is the keyed pseudonym that replaces an erased
// customer's external id wherever it was written (outbox events, the
// outbox transport's messages): the same id always gives the same
// pseudonym, so an audit can still tell that rows belonged to one
// person, but nobody without the key can tell whom. The fingerprint key
// keys it, so it survives a rotation of CANDOR_SECRET_KEY.
func (s *Store) ErasedPseudonym(externalID string) string {
	return "erased-" + s.keys.Fingerprint("external_id", externalID)[:32]
}

// eraseTraces removes, in EraseCustomer's transaction, what identifies the
// customer outside the customer row: the free text of the consent
// evidence (its keyed digest stays, and the chain covers the digest, so
// the ledger still verifies), raw IPs and user agents, and the external
// id in outbox events and outbox messages, which becomes the pseudonym.
// The messages' rendered bodies go too: they were personalised.
func (s *Store) eraseTraces(tx *gorm.DB, customerID int64, externalID string) error {
	if err := digestUnsealedEvidence(tx, s, customerID); err != nil {
		return err
	}
	err := tx.Model(&consentEventRow{}).Where("customer_id = ?", customerID).Updates(map[string]any{
		"evidence_text":         "",
		"evidence_form_version": "",
		"evidence_ip":           nil,
		"evidence_user_agent":   nil,
		"evidence_salt":         nil,
	}).Error
	if err != nil {
		return err
	}
	pseudonym := s.ErasedPseudonym(externalID)
	var events []eventRow
	if err := tx.Where("customer_id = ?", customerID).Find(&events).Error; err != nil {
		return err
	}
	for _, e := range events {
		data, changed, err := replaceString([]byte(e.Data), externalID, pseudonym)
		if err != nil {
			return err
		}
		if changed {
			if err := tx.Model(&eventRow{}).Where("id = ?", e.ID).Update("data", string(data)).Error; err != nil {
				return err
			}
		}
	}
	return tx.Model(&outboxRow{}).Where("customer_id = ?", customerID).Updates(map[string]any{
		"recipient": pseudonym, "subject": "", "text": "", "html": "", "headers": "{}", "raw": nil,
	}).Error
}

// digestUnsealedEvidence gives events written before the keyed ledger,
// and not adopted yet, the digests of their evidence text before the
// text goes, so adoption seals the digest rather than nothing.
func digestUnsealedEvidence(tx *gorm.DB, s *Store, customerID int64) error {
	var rows []consentEventRow
	err := tx.Where("customer_id = ? AND text_digest = '' AND form_version_digest = '' AND (evidence_text <> '' OR evidence_form_version <> '')",
		customerID).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return err
	}
	_, key := s.keys.Ledger().CurrentLedgerKey()
	for _, r := range rows {
		ev := models.Evidence{Text: r.EvidenceText, FormVersion: r.EvidenceFormVersion}
		models.DigestEvidenceText(&ev, key)
		err := tx.Model(&consentEventRow{}).Where("id = ?", r.ID).
			Updates(map[string]any{"text_digest": ev.TextDigest, "form_version_digest": ev.FormVersionDigest}).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// replaceString replaces every JSON string value equal to old with new,
// at any depth of doc.
func replaceString(doc []byte, old, new string) ([]byte, bool, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, false, err
	}
	changed := false
	v = models.MapJSONLeaves(v, func(leaf any) any {
		if leaf == old {
			changed = true
			return new
		}
		return leaf
	})
	if !changed {
		return doc, false, nil
	}
	out, err := json.Marshal(v)
	return out, true, err
}

// EraseCustomer implements models.CustomerService.
func (s *Store) EraseCustomer(ctx context.Context, externalID string) error {
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		// The erasure fence, shared, first: it never waits for a
		// planner, only for a planner's final skip of erased customers
		// (see lockErasure).
		if err := s.lockErasure(tx); err != nil {
			return err
		}
		row, err := liveCustomer(s.forUpdate(tx), externalID)
		if err != nil {
			return err
		}
		now := s.now()
		for fp, kind := range s.fingerprints(row.Email, row.Phone) {
			sup := suppressionRow{Fingerprint: fp, Kind: kind, CreatedAt: now}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&sup).Error; err != nil {
				return err
			}
		}
		err = tx.Model(&customerRow{}).Where("id = ?", row.ID).Updates(map[string]any{
			"external_id":       nil,
			"email":             "",
			"phone":             "",
			"name":              "",
			"locale":            "",
			"timezone":          "",
			"preferred_windows": "[]",
			"cadence":           nil,
			"attributes":        "{}",
			"erased_at":         now,
			"updated_at":        now,
		}).Error
		if err != nil {
			return err
		}
		if err := s.eraseTraces(tx, row.ID, externalID); err != nil {
			return err
		}
		// Planned deliveries die with the profile: nothing may be sent to an
		// erased customer, and their rows no longer count for capacity.
		// (Queued and later states belong to the send path, which checks
		// erasure again at send time; so does a planned one a claim holds
		// at this moment, left to it: see unclaimedOf.)
		where, args := unclaimedOf(s.dialect, models.DeliveryPlanned, row.ID)
		_, err = s.moveWhere(tx, models.DeliveryPlanned, models.DeliverySkipped, models.ReasonErased, "erasure", where, args...)
		if err != nil {
			return err
		}
		if err := scrubInbox(tx, externalID); err != nil {
			return err
		}
		// The audit trail names the customer by internal id only.
		if err := s.audit(tx, models.AuditCustomerErased, "customer", row.ID, nil); err != nil {
			return err
		}
		// Not even the external id: the CRM that asked knows whom it
		// erased, and the id may be an address (issue 15).
		return s.writeEvent(tx, models.EventCustomerErased, &row.ID, map[string]any{"external_id": s.ErasedPseudonym(externalID)})
	})
	return mapError(err, "Customer")
}
