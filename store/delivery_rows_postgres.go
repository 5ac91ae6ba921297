package store

import (
	"database/sql"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The send path's reads of deliveries rows on PostgreSQL: the ids go as
// one bigint[] parameter (the statement's text is the same for any
// batch, so pgx prepares it once per connection) and the rows are
// scanned field by field instead of through gorm's reflection.

// scanTargets are the destinations of deliveryColumns, in order.
func (r *deliveryRow) scanTargets() []any {
	return []any{&r.ID, &r.CampaignID, &r.CustomerID, &r.Channel, &r.Locale, &r.ContentID, &r.ContentVersion, &r.ScheduledAt,
		&r.Status, &r.Reason, &r.Generation, &r.SentAt, &r.CreatedAt, &r.UpdatedAt, &r.PreferenceVersion, &r.QueuedAt,
		&r.TaskID, &r.LeaseUntil, &r.LeaseOwner, &r.Attempts, &r.ProviderID, &r.AddressFingerprint, &r.SendTimezone,
		&r.SendWindow, &r.SendLocal}
}

// lockClaimablePostgres locks the deliveries among ids that are queued,
// or planned and due at now, and that no other transaction holds, in id
// order. The status test is kept out of index matching by concatenation,
// as loadClaim explains.
func lockClaimablePostgres(tx *gorm.DB, ids []int64, now time.Time) ([]deliveryRow, error) {
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, "SELECT "+deliveryColumns+
		" FROM deliveries WHERE id = ANY($1) AND (status || '' = 'queued' OR (status || '' = 'planned' AND scheduled_at <= $2))"+
		" ORDER BY id FOR UPDATE SKIP LOCKED", ids, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]deliveryRow, 0, len(ids))
	// One row of scan targets for all rows (Scan sets every column).
	var r deliveryRow
	targets := r.scanTargets()
	for rows.Next() {
		if err := rows.Scan(targets...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// lockOutcomesPostgres locks the deliveries among ids, in id order, and
// returns them with their customers' external ids ("" once erased), read
// in the same statement: the outbox events name each customer by it.
func lockOutcomesPostgres(tx *gorm.DB, ids []int64) ([]deliveryRow, map[int64]string, error) {
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, "SELECT d."+strings.ReplaceAll(deliveryColumns, ", ", ", d.")+
		", c.external_id FROM deliveries d LEFT JOIN customers c ON c.id = d.customer_id WHERE d.id = ANY($1) ORDER BY d.id FOR UPDATE OF d", ids)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	out := make([]deliveryRow, 0, len(ids))
	external := make(map[int64]string, len(ids))
	for rows.Next() {
		out = append(out, deliveryRow{})
		r := &out[len(out)-1]
		var ext sql.NullString
		if err := rows.Scan(append(r.scanTargets(), &ext)...); err != nil {
			return nil, nil, err
		}
		external[r.CustomerID] = ext.String
	}
	return out, external, rows.Err()
}

// claimCustomerColumns are the customers columns a claim reads, in the
// order of customerRow.scanTargets.
const claimCustomerColumns = "id, external_id, email, phone, name, locale, timezone, preferred_channel, preferred_windows, " +
	"cadence, attributes, preference_version, suppressed, consent_seq, token_epoch, erased_at, created_at, updated_at"

func (r *customerRow) scanTargets() []any {
	return []any{&r.ID, &r.ExternalID, &r.Email, &r.Phone, &r.Name, &r.Locale, &r.Timezone, &r.PreferredChannel,
		&r.PreferredWindows, &r.Cadence, &r.Attributes, &r.PreferenceVersion, &r.Suppressed, &r.ConsentSeq, &r.TokenEpoch,
		&r.ErasedAt, &r.CreatedAt, &r.UpdatedAt}
}

// lockCustomersPostgres locks the customers ids (sorted: concurrent
// claims take them in the same order and never deadlock) and reads them.
func lockCustomersPostgres(tx *gorm.DB, ids []int64) ([]customerRow, error) {
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, "SELECT "+claimCustomerColumns+
		" FROM customers WHERE id = ANY($1) ORDER BY id FOR UPDATE", ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]customerRow, 0, len(ids))
	var r customerRow
	targets := r.scanTargets()
	for rows.Next() {
		if err := rows.Scan(targets...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// claimConsentsPostgres reads the consent rows of customers ids on topics.
func claimConsentsPostgres(tx *gorm.DB, ids []int64, topics []string) ([]consentRow, error) {
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, "SELECT customer_id, topic, status, source, seq, updated_at, "+
		"key_id, event_hash, mac FROM consents WHERE customer_id = ANY($1) AND topic = ANY($2)", ids, topics)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]consentRow, 0, len(ids))
	for rows.Next() {
		var r consentRow
		if err := rows.Scan(&r.CustomerID, &r.Topic, &r.Status, &r.Source, &r.Seq, &r.UpdatedAt, &r.KeyID, &r.EventHash, &r.Mac); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// claimCountedPostgres returns, per customer among ids, the send times of
// their deliveries that count for cadence since since. The statuses are
// literals, as the partial index needs (deliveries_customer_idx comment).
func claimCountedPostgres(tx *gorm.DB, ids []int64, since time.Time) (map[int64][]time.Time, error) {
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, "SELECT customer_id, sent_at FROM deliveries "+
		"WHERE customer_id = ANY($1) AND status IN ('sending', 'sent', 'unknown') AND sent_at > $2", ids, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]time.Time{}
	for rows.Next() {
		var id int64
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = append(out[id], at.UTC())
	}
	return out, rows.Err()
}

// bouncedPostgres returns which of the address fingerprints fps bounced
// hard. One text[] parameter: a claim's 200 fingerprints (email and
// phone of 100 customers) as a gorm IN list were a new 200-placeholder
// statement to build and plan in every claim.
func bouncedPostgres(tx *gorm.DB, fps []string) ([]string, error) {
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context,
		"SELECT fingerprint FROM bounced_addresses WHERE fingerprint = ANY($1)", fps)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var fp string
		if err := rows.Scan(&fp); err != nil {
			return nil, err
		}
		out = append(out, fp)
	}
	return out, rows.Err()
}
