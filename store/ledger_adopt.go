package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// adoptPage is how many events or consent rows one adoption transaction
// seals: short transactions, so consent writes wait little for the head.
const adoptPage = 2000

// AdoptLedger brings data written without the ledger key into the keyed
// ledger: consent events written before migration 00011 (or bulk-loaded
// by seed) are sealed with the current key (LegacySeal: their unkeyed
// hash stays, so their links keep holding) and appended to the global
// chain, and current consent rows without a MAC get one. It trusts the
// database as it is when it runs, so it is an operator's step (`candor
// ledger adopt`, once after upgrading), never automatic: run
// automatically, it would also seal what a writer without the secret
// added. It returns how many events and rows it sealed; it is safe to run
// concurrently with consent writes and to run again.
func (s *Store) AdoptLedger(ctx context.Context) (events, rows int64, err error) {
	if err := s.analyzeForAdoption(ctx); err != nil {
		return 0, 0, mapError(err, "Consent ledger")
	}
	var cur adoptCursor
	for {
		n, err := s.adoptEvents(ctx, &cur)
		if err != nil {
			return events, rows, mapError(err, "Consent ledger")
		}
		events += n
		if n < adoptPage {
			break
		}
	}
	var ccur consentCursor
	for {
		n, more, err := s.adoptConsents(ctx, &ccur)
		if err != nil {
			return events, rows, mapError(err, "Consent ledger")
		}
		rows += n
		if !more {
			break
		}
	}
	if events > 0 || rows > 0 {
		s.log.Warn("adopted consent ledger data written without the ledger key", "events", events, "consent_rows", rows)
	}
	return events, rows, nil
}

// adoptCursor is the last (customer_id, seq) adopted: pages follow the
// unique index on (customer_id, seq) instead of scanning the table for
// unanchored events each time.
type adoptCursor struct{ customer, seq int64 }

// adoptEvents seals and anchors one page of unanchored events after cur,
// in customer and seq order, holding the head lock (taken first: adoption
// locks no customer, so it cannot deadlock with consent writers).
func (s *Store) adoptEvents(ctx context.Context, cur *adoptCursor) (int64, error) {
	var n int64
	next := *cur // moved only once the page committed (s.tx may retry)
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var head ledgerHeadRow
		if err := tx.Raw("UPDATE ledger_head SET seq = seq WHERE id = 1 RETURNING id, seq, hash, key_id, mac").Scan(&head).Error; err != nil {
			return err
		}
		var rows []consentEventRow
		// A row-value comparison, so both databases walk the (customer_id,
		// seq) index from the cursor; the OR form made PostgreSQL re-read
		// the rest of the table for every page (quadratic: a 1M seed spent
		// over ten minutes here).
		err := tx.Where("(customer_id, seq) > (?, ?) AND global_seq IS NULL", cur.customer, cur.seq).
			Order("customer_id, seq").Limit(adoptPage).Find(&rows).Error
		if err != nil {
			return err
		}
		n = int64(len(rows))
		if n == 0 {
			return nil
		}
		gprev := head.Hash
		if !s.headVerifies(head.Seq, head) {
			gprev = unverifiedHeadPrefix + head.Hash
		}
		kid, key := s.keys.Ledger().CurrentLedgerKey()
		values := make([]string, len(rows))
		args := make([]any, 0, 7*len(rows))
		tuple := "(?, ?, ?, ?, ?, ?, ?)"
		if s.dialect == DialectPostgres {
			tuple = "(?::bigint, ?, ?::bigint, ?, ?, ?, ?)" // VALUES parameters are text otherwise
		}
		for i := range rows {
			e := rows[i].model()
			if e.Evidence.TextDigest == "" && e.Evidence.FormVersionDigest == "" {
				models.DigestEvidenceText(&e.Evidence, key) // erasure may have digested them already
			}
			e.KeyID, e.GlobalSeq, e.GlobalPrev = kid, head.Seq+int64(i)+1, gprev
			e.Seal = e.LegacySeal(key)
			gprev = e.Hash
			values[i] = tuple
			args = append(args, rows[i].ID, kid, e.GlobalSeq, e.GlobalPrev, e.Seal, e.Evidence.TextDigest, e.Evidence.FormVersionDigest)
		}
		// One statement for the page (PostgreSQL and SQLite 3.33+ both
		// have UPDATE ... FROM).
		err = tx.Exec("WITH v (id, key_id, global_seq, global_prev, seal, text_digest, form_version_digest) AS (VALUES "+
			strings.Join(values, ", ")+") UPDATE consent_events SET key_id = v.key_id, global_seq = v.global_seq, "+
			"global_prev = v.global_prev, seal = v.seal, text_digest = v.text_digest, form_version_digest = v.form_version_digest "+
			"FROM v WHERE consent_events.id = v.id AND consent_events.global_seq IS NULL", args...).Error
		if err != nil {
			return err
		}
		last := rows[len(rows)-1]
		next = adoptCursor{last.CustomerID, last.Seq}
		seq := head.Seq + n
		return tx.Model(&ledgerHeadRow{}).Where("id = 1").Updates(map[string]any{
			"seq": seq, "hash": gprev, "key_id": kid, "mac": models.LedgerHeadMAC(key, kid, seq, gprev), "updated_at": s.now(),
		}).Error
	})
	if err == nil {
		*cur = next
	}
	return n, err
}

// consentCursor is the last (customer_id, topic) adoptConsents looked at:
// pages follow the primary key instead of scanning for unsealed rows anew.
type consentCursor struct {
	customer int64
	topic    string
}

// adoptedConsent is a consent row with the hash of the event it reflects
// (flat: gorm's Raw scan does not fill an embedded row struct).
type adoptedConsent struct {
	CustomerID int64
	Topic      string
	Status     string
	Source     string
	Seq        int64
	UpdatedAt  time.Time
	EvHash     string
}

// adoptConsents gives one page of consent rows without a MAC the MAC of
// their event (an empty event hash where the row has no event, as bulk
// loads of benchmarks write them; VerifyLedger reports those).
func (s *Store) adoptConsents(ctx context.Context, cur *consentCursor) (int64, bool, error) {
	var n int64
	var more bool
	next := *cur
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var found []adoptedConsent
		err := tx.Raw("SELECT c.customer_id, c.topic, c.status, c.source, c.seq, c.updated_at, COALESCE(e.hash, '') AS ev_hash FROM consents c "+
			"LEFT JOIN consent_events e ON e.customer_id = c.customer_id AND e.seq = c.seq "+
			"WHERE (c.customer_id, c.topic) > (?, ?) AND c.mac = '' ORDER BY c.customer_id, c.topic LIMIT ?",
			cur.customer, cur.topic, adoptPage).Scan(&found).Error
		if err != nil {
			return err
		}
		more = len(found) == adoptPage
		if len(found) == 0 {
			return nil
		}
		rows := make([]consentRow, len(found))
		hashOf := map[[2]int64]string{}
		for i, f := range found {
			rows[i] = consentRow{CustomerID: f.CustomerID, Topic: f.Topic, Status: f.Status, Source: f.Source, Seq: f.Seq, UpdatedAt: f.UpdatedAt}
			hashOf[[2]int64{f.CustomerID, f.Seq}] = f.EvHash
		}
		last := found[len(found)-1]
		next = consentCursor{last.CustomerID, last.Topic}
		values := make([]string, len(rows))
		args := make([]any, 0, 7*len(rows))
		tuple := "(?, ?, ?, ?, ?, ?, ?)"
		if s.dialect == DialectPostgres {
			tuple = "(?::bigint, ?, ?::bigint, ?, ?, ?, ?)"
		}
		for i, r := range rows {
			sealed := s.sealedConsentRow(r.CustomerID, r.Topic, models.ConsentStatus(r.Status), models.ConsentSource(r.Source),
				r.Seq, hashOf[[2]int64{r.CustomerID, r.Seq}], r.UpdatedAt)
			values[i] = tuple
			args = append(args, r.CustomerID, r.Topic, r.Seq, r.Status, sealed.KeyID, sealed.EventHash, sealed.Mac)
		}
		// Only rows still as read: a consent write meanwhile sealed its
		// row itself.
		args = append(args, found[0].CustomerID, last.CustomerID)
		res := tx.Exec(sealConsentsSQL(values), args...)
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return nil
	})
	if err == nil {
		*cur = next
	}
	return n, more, err
}

// sealConsentsSQL is the statement that gives a page of consent rows their
// MAC, values being one placeholder tuple a row, followed by the page's
// first and last customer id. It touches only rows still as adoption read
// them: a consent write meanwhile sealed its row itself. The id range lets
// PostgreSQL read just the page's rows by the primary key whatever its
// statistics say; without it a page was joined to a scan of the whole
// table, so adoption read the table once per 2,000 rows.
func sealConsentsSQL(values []string) string {
	return "WITH v (customer_id, topic, seq, status, key_id, event_hash, mac) AS (VALUES " + strings.Join(values, ", ") +
		") UPDATE consents SET key_id = v.key_id, event_hash = v.event_hash, mac = v.mac FROM v " +
		"WHERE consents.customer_id = v.customer_id AND consents.topic = v.topic AND consents.seq = v.seq " +
		"AND consents.status = v.status AND consents.mac = '' AND consents.customer_id BETWEEN ? AND ?"
}

// analyzeForAdoption refreshes PostgreSQL's statistics of the two ledger
// tables before adoption pages through them. Adoption runs right after
// rows were loaded without the key; with the statistics of before the
// load the planner believes no row lacks a MAC and joins each page of
// 2,000 rows to a sequential scan of consents per row: a 100,000-customer
// bench fixture spent over ten minutes there (quadratic). SQLite plans by
// its indexes and needs nothing.
func (s *Store) analyzeForAdoption(ctx context.Context) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	return s.db.WithContext(ctx).Exec("ANALYZE consents, consent_events").Error
}
