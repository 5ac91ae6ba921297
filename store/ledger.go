package store

import (
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// This file appends to the keyed consent ledger (models/ledger.go,
// docs/ledger.md). Every consent write goes through appendConsentEvents.

// ledgerHeadRow is the one row of ledger_head: the last event of the
// global chain, under a MAC.
type ledgerHeadRow struct {
	ID        int
	Seq       int64
	Hash      string
	KeyID     string
	Mac       string
	UpdatedAt time.Time
}

func (ledgerHeadRow) TableName() string { return "ledger_head" }

// newConsentEvent is one consent change for appendConsentEvents.
type newConsentEvent struct {
	CustomerID int64
	// ExternalID goes into the consent.changed outbox event.
	ExternalID string
	// Seq is the customer's next ledger seq, reserved by the caller with
	// the customer row locked (nextSeq, or consent_seq + n for several).
	Seq      int64
	Topic    string
	Status   models.ConsentStatus
	Source   models.ConsentSource
	Evidence models.Evidence
}

// appendConsentEvents appends events to the ledger in tx: each customer's
// events must come together and in seq order, their seqs reserved. It
// writes the events, the current consent rows and the outbox events, and
// returns the new current state of each event's topic, in order.
//
// It locks the global chain's head row, which every consent write takes,
// so appends serialise on it until commit. The lock is taken after the
// caller's customer locks and nothing is locked after it (only inserts
// follow), so writers never wait for each other in a cycle: callers must
// reserve every seq before calling, and call it once per transaction.
func (s *Store) appendConsentEvents(tx *gorm.DB, in []newConsentEvent) ([]models.Consent, error) {
	if len(in) == 0 {
		return nil, nil
	}
	prevOf, err := previousHashes(tx, in)
	if err != nil {
		return nil, err
	}
	n := int64(len(in))
	var head ledgerHeadRow
	if err := tx.Raw("UPDATE ledger_head SET seq = seq + ? WHERE id = 1 RETURNING id, seq, hash, key_id, mac", n).Scan(&head).Error; err != nil {
		return nil, err
	}
	if head.ID != 1 {
		return nil, errors.New("store: the ledger_head row is missing")
	}
	base := head.Seq - n
	gprev := head.Hash
	if !s.headVerifies(base, head) {
		// Chain on, so the opt-out (or whatever the change is) is not
		// lost, but to a value no honest head has: whoever rewound the
		// head cannot make the chain whole again (docs/ledger.md).
		gprev = unverifiedHeadPrefix + head.Hash
		s.log.Error("consent ledger head does not verify: appending anyway, verification will report the break",
			"head_seq", base)
	}
	kid, key := s.keys.Ledger().CurrentLedgerKey()
	now := s.now()
	rows := make([]consentEventRow, len(in))
	last := map[consentKey]int{}
	for i, c := range in {
		ev := c.Evidence
		models.SealEvidence(&ev, secrets.RandomHex(16))
		models.DigestEvidenceText(&ev, key)
		prev := prevOf[c.CustomerID]
		if i > 0 && in[i-1].CustomerID == c.CustomerID {
			prev = rows[i-1].Hash
		}
		e := models.ConsentEvent{CustomerID: c.CustomerID, Seq: c.Seq, Topic: c.Topic, Status: c.Status, Source: c.Source,
			Evidence: ev, CreatedAt: now, PrevHash: prev, KeyID: kid, GlobalSeq: base + int64(i) + 1, GlobalPrev: gprev}
		e.Hash = e.KeyedHash(key)
		gprev = e.Hash
		rows[i] = eventRowOf(&e)
		last[consentKey{c.CustomerID, c.Topic}] = i
	}
	if err := tx.CreateInBatches(rows, 500).Error; err != nil {
		return nil, err
	}
	err = tx.Model(&ledgerHeadRow{}).Where("id = 1").Updates(map[string]any{
		"hash": gprev, "key_id": kid, "mac": models.LedgerHeadMAC(key, kid, head.Seq, gprev), "updated_at": now,
	}).Error
	if err != nil {
		return nil, err
	}
	current := make([]consentRow, 0, len(last))
	for i, c := range in {
		if last[consentKey{c.CustomerID, c.Topic}] == i {
			current = append(current, s.sealedConsentRow(c.CustomerID, c.Topic, c.Status, c.Source, c.Seq, rows[i].Hash, now))
		}
	}
	err = tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "customer_id"}, {Name: "topic"}},
		DoUpdates: clause.AssignmentColumns([]string{"status", "source", "seq", "updated_at", "key_id", "event_hash", "mac"}),
	}).CreateInBatches(current, 500).Error
	if err != nil {
		return nil, err
	}
	out := make([]models.Consent, len(in))
	for i, c := range in {
		data := map[string]any{"external_id": c.ExternalID, "topic": c.Topic, "status": c.Status, "source": c.Source}
		if err := s.writeEvent(tx, models.EventConsentChanged, &in[i].CustomerID, data); err != nil {
			return nil, err
		}
		t := now
		out[i] = models.Consent{Topic: c.Topic, Status: c.Status, Source: c.Source, UpdatedAt: &t}
	}
	return out, nil
}

// previousHashes returns the hash of the event before the first of each
// customer's events in in (customers whose first event is seq 1 have
// none), in one query.
func previousHashes(tx *gorm.DB, in []newConsentEvent) (map[int64]string, error) {
	want := map[int64]int64{}
	var ids, seqs []int64
	for i, c := range in {
		if (i == 0 || in[i-1].CustomerID != c.CustomerID) && c.Seq > 1 {
			want[c.CustomerID] = c.Seq - 1
			ids, seqs = append(ids, c.CustomerID), append(seqs, c.Seq-1)
		}
	}
	out := make(map[int64]string, len(want))
	if len(want) == 0 {
		return out, nil
	}
	var rows []struct {
		CustomerID, Seq int64
		Hash            string
	}
	// A superset (every pair of the two lists), filtered below.
	err := tx.Model(&consentEventRow{}).Select("customer_id, seq, hash").
		Where("customer_id IN ? AND seq IN ?", ids, seqs).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if want[r.CustomerID] == r.Seq {
			out[r.CustomerID] = r.Hash
		}
	}
	if len(out) != len(want) {
		return nil, errors.New("store: consent ledger has no event before a reserved seq")
	}
	return out, nil
}

// headVerifies reports whether the head read before an append of events
// base+1.. is one the ledger wrote: empty before the first event, sealed
// by a key of the ring afterwards.
func (s *Store) headVerifies(base int64, head ledgerHeadRow) bool {
	if base == 0 && head.Hash == "" && head.Mac == "" {
		return true
	}
	return models.CheckSeal(s.keys.Ledger(), head.KeyID, head.Mac, func(key []byte) string {
		return models.LedgerHeadMAC(key, head.KeyID, base, head.Hash)
	}) == models.SealValid
}

// sealedConsentRow is the current consent row of an event, with the MAC
// that binds it to the event's hash.
func (s *Store) sealedConsentRow(customerID int64, topic string, status models.ConsentStatus, source models.ConsentSource,
	seq int64, eventHash string, at time.Time) consentRow {
	kid, key := s.keys.Ledger().CurrentLedgerKey()
	return consentRow{CustomerID: customerID, Topic: topic, Status: string(status), Source: string(source), Seq: seq,
		UpdatedAt: at, KeyID: kid, EventHash: eventHash,
		Mac: models.ConsentStateMAC(key, kid, customerID, topic, status, source, seq, eventHash)}
}

// consentVerifier returns a check that a current consent row carries a
// valid MAC: it was written by the ledger, not by someone without the
// secret (whether its event is still the head of the ledger is
// VerifyLedger's business). The check keeps one keyed HMAC per ledger key
// (models.ConsentMACChecker) for all the rows it is given; it is not safe
// for concurrent use.
func (s *Store) consentVerifier() func(*consentRow) bool {
	mac := models.NewConsentMACChecker(s.keys.Ledger())
	return func(r *consentRow) bool {
		return mac.Verify([]byte(r.KeyID), r.CustomerID, r.Topic, []byte(r.Status), []byte(r.Source), r.Seq,
			[]byte(r.EventHash), []byte(r.Mac))
	}
}

// eventRowOf is the consent_events row of a sealed event.
func eventRowOf(e *models.ConsentEvent) consentEventRow {
	ev := e.Evidence
	gs := e.GlobalSeq
	return consentEventRow{
		CustomerID: e.CustomerID, Seq: e.Seq, Topic: e.Topic, Status: string(e.Status), Source: string(e.Source),
		EvidenceText: ev.Text, EvidenceFormVersion: ev.FormVersion,
		EvidenceIP: nullable(ev.IP), EvidenceUserAgent: nullable(ev.UserAgent), EvidenceSalt: nullable(ev.Salt),
		IPDigest: ev.IPDigest, UserAgentDigest: ev.UserAgentDigest, TextDigest: ev.TextDigest, FormVersionDigest: ev.FormVersionDigest,
		CreatedAt: e.CreatedAt, PrevHash: e.PrevHash, Hash: e.Hash, KeyID: e.KeyID, GlobalSeq: &gs, GlobalPrev: e.GlobalPrev,
		Seal: e.Seal,
	}
}
