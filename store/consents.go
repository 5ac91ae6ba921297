package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// consentEventRow is a row of consent_events, the append-only ledger. The
// raw evidence columns are NULL after erasure; the digests stay.
type consentEventRow struct {
	ID                  int64
	CustomerID          int64
	Seq                 int64
	Topic               string
	Status              string
	Source              string
	EvidenceText        string
	EvidenceFormVersion string
	EvidenceIP          *string `gorm:"column:evidence_ip"`
	EvidenceUserAgent   *string `gorm:"column:evidence_user_agent"`
	EvidenceSalt        *string `gorm:"column:evidence_salt"`
	IPDigest            string  `gorm:"column:ip_digest"`
	UserAgentDigest     string  `gorm:"column:user_agent_digest"`
	TextDigest          string  `gorm:"column:text_digest"`
	FormVersionDigest   string  `gorm:"column:form_version_digest"`
	CreatedAt           time.Time
	PrevHash            string
	Hash                string
	KeyID               string `gorm:"column:key_id"`
	GlobalSeq           *int64 // NULL until adopted, for events written before the keyed ledger
	GlobalPrev          string
	Seal                string
}

func (consentEventRow) TableName() string { return "consent_events" }

func (r *consentEventRow) model() models.ConsentEvent {
	return models.ConsentEvent{
		ID:         r.ID,
		CustomerID: r.CustomerID,
		Seq:        r.Seq,
		Topic:      r.Topic,
		Status:     models.ConsentStatus(r.Status),
		Source:     models.ConsentSource(r.Source),
		Evidence: models.Evidence{
			Text:              r.EvidenceText,
			FormVersion:       r.EvidenceFormVersion,
			IP:                deref(r.EvidenceIP),
			UserAgent:         deref(r.EvidenceUserAgent),
			Salt:              deref(r.EvidenceSalt),
			IPDigest:          r.IPDigest,
			UserAgentDigest:   r.UserAgentDigest,
			TextDigest:        r.TextDigest,
			FormVersionDigest: r.FormVersionDigest,
		},
		CreatedAt:  r.CreatedAt.UTC(),
		PrevHash:   r.PrevHash,
		Hash:       r.Hash,
		KeyID:      r.KeyID,
		GlobalSeq:  deref64(r.GlobalSeq),
		GlobalPrev: r.GlobalPrev,
		Seal:       r.Seal,
	}
}

// consentEventColumns are the columns consentEventRow.scan reads, in order.
const consentEventColumns = "id, customer_id, seq, topic, status, source, evidence_text, evidence_form_version, evidence_ip, " +
	"evidence_user_agent, evidence_salt, ip_digest, user_agent_digest, text_digest, form_version_digest, created_at, prev_hash, " +
	"hash, key_id, global_seq, global_prev, seal"

// scan reads a row of consentEventColumns into r without gorm: the
// ledger verification reads every event, and gorm's reflection over each
// row was most of its CPU (docs/benchmarks.md, "Session 11").
func (r *consentEventRow) scan(s rowScanner) error {
	var ip, agent, salt sql.NullString
	var global sql.NullInt64
	err := s.Scan(&r.ID, &r.CustomerID, &r.Seq, &r.Topic, &r.Status, &r.Source, &r.EvidenceText, &r.EvidenceFormVersion, &ip,
		&agent, &salt, &r.IPDigest, &r.UserAgentDigest, &r.TextDigest, &r.FormVersionDigest, &r.CreatedAt, &r.PrevHash, &r.Hash,
		&r.KeyID, &global, &r.GlobalPrev, &r.Seal)
	r.EvidenceIP, r.EvidenceUserAgent, r.EvidenceSalt = nullString(ip), nullString(agent), nullString(salt)
	r.GlobalSeq = nil
	if global.Valid {
		r.GlobalSeq = &global.Int64
	}
	return err
}

// nullString is s as a pointer, nil for NULL.
func nullString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

func deref64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// consentRow is a row of consents: the current state of one
// (customer, topic) pair, kept in step with the ledger. Mac binds it to
// its event's hash (sealedConsentRow, consentVerifier).
type consentRow struct {
	CustomerID int64  `gorm:"primaryKey;autoIncrement:false"`
	Topic      string `gorm:"primaryKey"`
	Status     string
	Source     string
	Seq        int64
	UpdatedAt  time.Time
	KeyID      string `gorm:"column:key_id"`
	EventHash  string
	Mac        string
}

func (consentRow) TableName() string { return "consents" }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// validateConsent checks a change recorded by Candor itself or by an API
// client (whose narrower rules models.ConsentInput.Validate enforces).
func validateConsent(status models.ConsentStatus, source models.ConsentSource, ev models.Evidence) error {
	var p models.Problems
	switch status {
	case models.ConsentOptedIn, models.ConsentOptedOut, models.ConsentPending:
	default:
		p.Add("/status", "enum", "must be opted_in, opted_out or pending, got %q", status)
	}
	switch source {
	case models.SourceAPI, models.SourceCRM, models.SourceImport,
		models.SourcePreferenceCenter, models.SourceOneClick, models.SourceDoubleOptIn, models.SourceChannel:
	default:
		p.Add("/source", "enum", "is not a known consent source: %q", source)
	}
	models.ValidateEvidence(&p, ev)
	return p.Err()
}

// SetConsent implements models.ConsentService.
func (s *Store) SetConsent(ctx context.Context, externalID, topic string, in *models.ConsentInput) (*models.Consent, bool, error) {
	if in == nil {
		return nil, false, models.Errorf(models.EINVALID, "A consent change is required.")
	}
	source := in.Source
	if source == "" {
		source = models.SourceAPI
	}
	if err := validateConsent(in.Status, source, in.Evidence); err != nil {
		return nil, false, err
	}
	if !models.ValidTopicKey(topic) {
		return nil, false, errTopicNotFound(topic)
	}
	var out *models.Consent
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		cust, err := liveCustomer(tx, externalID)
		if err != nil {
			return err
		}
		var topics []topicRow
		if err := tx.Where("key = ?", topic).Limit(1).Find(&topics).Error; err != nil {
			return err
		}
		if len(topics) == 0 {
			return models.Errorf(models.ENOTFOUND, "Topic %q not found.", topic)
		}
		status := in.Status
		if topics[0].DoubleOptIn && status == models.ConsentOptedIn && source != models.SourceDoubleOptIn {
			// Double opt-in: the consent waits for the customer's own
			// confirmation (ConfirmConsent), asked by a message.
			status = models.ConsentPending
		}
		// Read before locking: a repeated request (the common retry case)
		// then costs no write at all.
		if cur, err := currentConsent(tx, cust.ID, topic); err != nil {
			return err
		} else if sameConsent(cur.Status, status) {
			out = cur
			return errNoChange
		}
		seq, suppressed, err := nextSeq(tx, cust.ID)
		if err != nil {
			return err
		}
		// Another writer may have made the same change while we waited.
		if cur, err := currentConsent(tx, cust.ID, topic); err != nil {
			return err
		} else if sameConsent(cur.Status, status) {
			out = cur
			return errNoChange
		}
		if suppressed && in.Status == models.ConsentOptedIn && isBulkSource(source) {
			return models.Errorf(models.ECONFLICT,
				"This customer's address belonged to an erased customer, so consent cannot be given on their behalf (source %s); the customer must opt in again themselves through the preference center.", source)
		}
		done, err := s.appendConsentEvents(tx, []newConsentEvent{{CustomerID: cust.ID, ExternalID: deref(cust.ExternalID),
			Seq: seq, Topic: topic, Status: status, Source: source, Evidence: in.Evidence}})
		if err != nil {
			return err
		}
		out = &done[0]
		if status == models.ConsentPending {
			// Inserted after the ledger head's lock, which allows inserts only.
			return s.planConfirmation(tx, cust.ID, topic, seq, isBulkSource(source))
		}
		return nil
	})
	if errors.Is(err, errNoChange) {
		return out, false, nil
	}
	if err != nil {
		return nil, false, mapError(err, "Consent")
	}
	return out, true, nil
}

// sameConsent reports whether asking for want changes nothing: the same
// status, or a double opt-in asked again of a customer who is already
// opted in (they confirmed before; asking must not undo it).
func sameConsent(cur, want models.ConsentStatus) bool {
	return cur == want || (want == models.ConsentPending && cur == models.ConsentOptedIn)
}

func isBulkSource(src models.ConsentSource) bool {
	for _, s := range models.APISources {
		if s == src {
			return true
		}
	}
	return false
}

// currentConsent returns the stored state of one pair, status none if
// there is no record.
func currentConsent(tx *gorm.DB, customerID int64, topic string) (*models.Consent, error) {
	var rows []consentRow
	if err := tx.Where("customer_id = ? AND topic = ?", customerID, topic).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return &models.Consent{Topic: topic, Status: models.ConsentNone}, nil
	}
	return rows[0].model(), nil
}

func (r *consentRow) model() *models.Consent {
	t := r.UpdatedAt.UTC()
	return &models.Consent{Topic: r.Topic, Status: models.ConsentStatus(r.Status), Source: models.ConsentSource(r.Source), UpdatedAt: &t}
}

// nextSeq reserves the customer's next ledger seq. The UPDATE locks the
// customer row until commit, which serialises concurrent writers of one
// customer's chain; it also returns the suppression flag under that lock.
// ENOTFOUND if the customer was erased meanwhile.
func nextSeq(tx *gorm.DB, customerID int64) (int64, bool, error) {
	var res struct {
		ConsentSeq int64
		Suppressed bool
	}
	err := tx.Raw("UPDATE customers SET consent_seq = consent_seq + 1 WHERE id = ? AND erased_at IS NULL RETURNING consent_seq, suppressed", customerID).
		Scan(&res).Error
	if err != nil {
		return 0, false, err
	}
	if res.ConsentSeq == 0 {
		return 0, false, models.Errorf(models.ENOTFOUND, "Customer not found.")
	}
	return res.ConsentSeq, res.Suppressed, nil
}

// OptOutAll implements models.ConsentService.
func (s *Store) OptOutAll(ctx context.Context, customerID int64, source models.ConsentSource, ev models.Evidence) (int, error) {
	if err := validateConsent(models.ConsentOptedOut, source, ev); err != nil {
		return 0, err
	}
	changed := 0
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		changed = 0
		// Lock before reading state so two concurrent calls cannot both
		// see a topic as not yet opted out.
		res := tx.Exec("UPDATE customers SET consent_seq = consent_seq WHERE id = ? AND erased_at IS NULL", customerID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "Customer not found.")
		}
		var cust customerRow
		if err := tx.Where("id = ?", customerID).Take(&cust).Error; err != nil {
			return err
		}
		l, err := s.ledger(tx, customerID)
		if err != nil {
			return err
		}
		// Every seq is reserved before the ledger's head is locked (see
		// appendConsentEvents).
		var events []newConsentEvent
		for _, c := range l.Current {
			if c.Status == models.ConsentOptedOut {
				continue
			}
			seq, _, err := nextSeq(tx, customerID)
			if err != nil {
				return err
			}
			events = append(events, newConsentEvent{CustomerID: customerID, ExternalID: deref(cust.ExternalID), Seq: seq,
				Topic: c.Topic, Status: models.ConsentOptedOut, Source: source, Evidence: ev})
		}
		// Pending deliveries are skipped before the ledger's head is
		// locked: nothing may wait on a lock after it (appendConsentEvents),
		// and the skip never waits (SKIP LOCKED leaves a delivery being
		// claimed to the claim, which sees the opt-out itself).
		if err := s.skipPendingDeliveries(tx, customerID, source); err != nil {
			return err
		}
		changed = len(events)
		_, err = s.appendConsentEvents(tx, events)
		return err
	})
	if err != nil {
		return 0, mapError(err, "Customer")
	}
	return changed, nil
}
