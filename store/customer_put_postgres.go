package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/candor/candor/models"
)

// A single PUT's read: whether the email ($2) or phone ($3) fingerprint
// is suppressed (NULL for an absent address), the row's version (xmin,
// which every UPDATE of the row changes), then the customer's columns in
// scanCustomerPg's order, or NULLs when there is no such customer. One
// statement where there were two (the read and the suppression check):
// each statement costs the backend a bind-execute cycle and an executor
// start and end, a large share of a PUT's backend CPU (issue 17). The
// fingerprints are scalars so that the prepared statement gets a generic
// plan. customerReadPg does not lock (putCustomerPostgres writes only if
// the version is still the one read); customerLockPg locks the row, for
// the retry after a lost race.
const (
	customerVersionedPg = `SELECT xmin::text AS row_version, ` + customerColumnsPg + ` FROM customers WHERE external_id = $1`
	customerReadPg      = `SELECT EXISTS (SELECT 1 FROM suppressions WHERE fingerprint IN ($2, $3)), c.*
 FROM (SELECT) AS one LEFT JOIN (` + customerVersionedPg + `) AS c ON true`
	customerLockPg = `WITH c AS (` + customerVersionedPg + ` FOR UPDATE)
 SELECT EXISTS (SELECT 1 FROM suppressions WHERE fingerprint IN ($2, $3)), c.* FROM (SELECT) AS one LEFT JOIN c ON true`
)

// The write of a single PUT that changed its customer, with its outbox
// events, as one statement: a data-modifying WITH, then the events for
// the row it wrote. The events' foreign-key check runs at the end of the
// statement, after the row is written. The update writes only the
// version read (xmin as text): when another transaction changed the row
// since, it writes nothing, no event either, and putCustomerPostgres
// decides again on a locked read. Without a BEGIN, the statement is a
// transaction of its own. The parameters are scalars on purpose: with
// the batch's arrays, PostgreSQL's estimate for a one-element unnest beat
// the generic plan's every time, so the statement was planned anew on
// every PUT (planning was 9-13 % of a PUT's backend CPU, issue 17). The
// update sets the customerWritable columns only: consent_seq belongs to
// the consent ledger, and writing back the value read could undo a
// concurrent SetConsent.
//
// Almost every write has one event (customer.created or
// customer.updated, $15 type and $16 data at $17; the update's version
// is $18): customerEventPg inserts it from w alone. A write that newly
// suppresses the customer has a second, customer.suppressed ($18 and
// $19; the update's version is $20), and customerEventsPg inserts both
// in order, from a VALUES list sorted by position. The one-event form
// is the common case's own statement because the two-event form costs
// every PUT four more plan nodes to start and end (a sort with its
// memory context, a nested loop, a subquery and a values scan) for a
// second row that is almost never there (issue 17).
const (
	customerEventPg = `INSERT INTO events (type, customer_id, data, created_at)
 SELECT $15::text, w.id, CAST($16::text AS jsonb), $17 FROM w`
	customerEventsPg = `INSERT INTO events (type, customer_id, data, created_at)
 SELECT e.t, w.id, CAST(e.d AS jsonb), $17 FROM w
 CROSS JOIN (VALUES (1, $15::text, $16::text), (2, $18::text, $19::text)) AS e(n, t, d)
 WHERE e.t IS NOT NULL ORDER BY e.n`
	updateCustomerSetPg = `UPDATE customers SET external_id = $2, email = $3, phone = $4, name = $5, locale = $6,
 timezone = $7, preferred_channel = $8, preferred_windows = CAST($9::text AS jsonb), cadence = CAST($10::text AS jsonb),
 attributes = CAST($11::text AS jsonb), preference_version = $12, suppressed = $13, updated_at = $14
 WHERE id = $1 AND xmin = CAST(`
	updateCustomerWithEventPg = `WITH w AS (` + updateCustomerSetPg + `$18::text AS xid) RETURNING id)
 ` + customerEventPg
	// updateCustomerKeepingWishesPg is updateCustomerWithEventPg, with
	// the same parameters, for a PUT that keeps the stored wishes: it
	// leaves the wishes' columns out of its SET list, so the triggers
	// limited to them (migration 00026: the preference history, the
	// erasure's report move) are skipped without their WHEN clauses
	// being read and compiled, about a fifth of the write's backend
	// instructions (issue 17). decidePut's verdict is checked where it
	// counts: the row is written only if each of those columns holds
	// exactly what the full statement would have written (the JSON as
	// PostgreSQL prints it, kept in the text columns of 00032), else the statement writes nothing and
	// putCustomerPostgres writes with the full statement on its locked
	// try. So the row ends as it would have, byte for byte.
	updateCustomerKeepingWishesPg = `WITH w AS (UPDATE customers SET external_id = $2, email = $3, phone = $4, name = $5, locale = $6,
 attributes = CAST($11::text AS jsonb), suppressed = $13, updated_at = $14
 WHERE id = $1 AND xmin = CAST($18::text AS xid) AND timezone = $7 AND preferred_channel = $8
 AND preferred_windows_text = CAST(CAST($9::text AS jsonb) AS text)
 AND cadence_text IS NOT DISTINCT FROM CAST(CAST($10::text AS jsonb) AS text) AND preference_version = $12
 RETURNING id)
 ` + customerEventPg
	updateCustomerWithEventsPg = `WITH w AS (` + updateCustomerSetPg + `$20::text AS xid) RETURNING id)
 ` + customerEventsPg
	insertCustomerWithEventPg = `WITH w AS (` + insertCustomerPg + `)
 ` + customerEventPg + ` RETURNING customer_id`
	insertCustomerWithEventsPg = `WITH w AS (` + insertCustomerPg + `)
 ` + customerEventsPg + ` RETURNING customer_id`
)

// putCustomerPostgres is putCustomer on PostgreSQL. The first try takes
// no lock and opens no transaction: the read (with the suppression
// check), decidePut, then one statement that writes the row, if it is
// still the version read, with its outbox events. Two statements and two
// round trips in all; through an explicit transaction with a locking read
// it was six statements (BEGIN, the locking read, the suppression check,
// the write, the event, COMMIT), and the lock itself is a WAL record and
// a dirtied page. When another writer changed the row in between, the
// write writes nothing and the PUT is decided again on a locked read in
// a transaction, so concurrent PUTs of one customer still queue and no
// preference version bump is lost.
func (s *Store) putCustomerPostgres(ctx context.Context, norm *models.CustomerInput) (out *models.Customer, created, changed bool, err error) {
	var emailFP, phoneFP *string
	if norm.Email != "" {
		fp := s.keys.Fingerprint("email", norm.Email)
		emailFP = &fp
	}
	if norm.Phone != "" {
		fp := s.keys.Fingerprint("phone", norm.Phone)
		phoneFP = &fp
	}
	for _, locked := range []bool{false, true} {
		lost := false
		err = s.pipelined(ctx, true, func(t *pipeTx) error {
			t.implicit = !locked
			read := customerReadPg
			if locked {
				read = customerLockPg
			}
			var stored customerRow
			var version string
			found, hit := false, false
			b := &pgx.Batch{}
			b.Queue(read, norm.ExternalID, emailFP, phoneFP).Query(func(rs pgx.Rows) error {
				if !rs.Next() {
					if err := rs.Err(); err != nil {
						return err
					}
					return errors.New("store: the customer read returned no row")
				}
				// The version and the customer's columns are all NULL
				// when it does not exist.
				found = rs.RawValues()[1] != nil
				if !found {
					return rs.Scan(append([]any{&hit}, make([]any, len(rs.RawValues())-1)...)...)
				}
				r := &stored
				return rs.Scan(&hit, &version, &r.ID, &r.ExternalID, &r.Email, &r.Phone, &r.Name, &r.Locale, &r.Timezone,
					&r.PreferredChannel, &r.PreferredWindows, &r.Cadence, &r.Attributes, &r.PreferenceVersion, &r.Suppressed,
					&r.ConsentSeq, &r.TokenEpoch, &r.ErasedAt, &r.CreatedAt, &r.UpdatedAt)
			})
			if err := t.send(b, false); err != nil {
				return err
			}
			var prev *customerRow
			if found {
				prev = &stored
			}
			ch, err := decidePut(prev, norm, hit, s.now())
			if err != nil {
				return err
			}
			created, changed = ch.created, ch.changed
			if !ch.changed {
				if out, err = prev.model(); err != nil {
					return err
				}
				return t.commit()
			}
			b = &pgx.Batch{}
			written := queueCustomerWrite(b, &ch, version, !locked)
			if err := t.send(b, true); err != nil {
				return err
			}
			if !*written {
				lost = true
				return nil
			}
			out, err = ch.written(norm)
			return err
		})
		if err != nil {
			return nil, false, false, mapError(err, "Customer")
		}
		if !lost {
			return out, created, changed, nil
		}
	}
	// The locked try holds the row from its read to its write, whose
	// version therefore matches.
	return nil, false, false, errors.New("store: the customer changed under its lock")
}

// queueCustomerWrite queues the write of one changed customer with its
// outbox events, as one statement (insertCustomerWithEventPg or
// updateCustomerWithEventPg for one event, the ...EventsPg forms for
// two; an update only over version). With keep set, an update that
// keeps the wishes leaves them out (updateCustomerKeepingWishesPg); the
// locked try does not set it, so that its write, which cannot lose the
// row, cannot miss on the wishes either. A created customer's id is read
// back into ch.row. The returned flag says, once the batch has run,
// whether the row was written: false when its version was no longer the
// one read (or, with keep, its wishes not the ones decided on).
func queueCustomerWrite(b *pgx.Batch, ch *customerChange, version string, keep bool) *bool {
	r := ch.row
	events := ch.events(make([]eventRow, 0, 2))
	first, at := events[0], events[0].CreatedAt
	args := []any{r.ExternalID, r.Email, r.Phone, r.Name, r.Locale, r.Timezone, r.PreferredChannel,
		r.PreferredWindows, r.Cadence, r.Attributes, r.PreferenceVersion, r.Suppressed}
	written := new(bool)
	if ch.created {
		args = append(args, r.CreatedAt, r.UpdatedAt, first.Type, first.Data, at)
		sql := insertCustomerWithEventPg
		if len(events) > 1 {
			sql = insertCustomerWithEventsPg
			args = append(args, events[1].Type, events[1].Data)
		}
		b.Queue(sql, args...).Query(func(rs pgx.Rows) error {
			if rs.Next() {
				*written = true
				if err := rs.Scan(&r.ID); err != nil {
					return err
				}
			}
			for rs.Next() {
			}
			return rs.Err()
		})
		return written
	}
	args = append(append([]any{r.ID}, args...), r.UpdatedAt, first.Type, first.Data, at)
	sql := updateCustomerWithEventPg
	if keep && ch.wishesKept {
		sql = updateCustomerKeepingWishesPg
	}
	if len(events) > 1 {
		sql = updateCustomerWithEventsPg
		args = append(args, events[1].Type, events[1].Data)
	}
	b.Queue(sql, append(args, version)...).Exec(func(ct pgconn.CommandTag) error {
		*written = ct.RowsAffected() > 0
		return nil
	})
	return written
}
