package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/candor/candor/models"
)

// The customer endpoints' PostgreSQL statements, sent with pgx rather
// than gorm: building and scanning through gorm's reflection was a large
// share of a GET's CPU, and a PUT through gorm cost six round trips
// where a pipelined transaction (pipeTx) costs two (issue 17). SQLite
// keeps the gorm path; both share decidePut, so they decide alike. The
// single PUT is in customer_put_postgres.go.

// customerSelectPg reads every column of customerRow in scanCustomerPg's
// order. JSON columns are read as text, as gorm reads them; the windows
// and cadence from the text PostgreSQL keeps beside them (migration
// 00032), which costs no jsonb printing.
const (
	customerColumnsPg = `id, external_id, email, phone, name, locale, timezone, preferred_channel,
 preferred_windows_text, cadence_text, attributes::text, preference_version, suppressed, consent_seq,
 token_epoch, erased_at, created_at, updated_at`
	customerSelectPg = `SELECT ` + customerColumnsPg + ` FROM customers`
)

// Erased customers have a NULL external id, so they never match.
const (
	customerByExternalIDPg = customerSelectPg + ` WHERE external_id = $1`
	customerForUpdatePg    = customerSelectPg + ` WHERE external_id = $1 FOR UPDATE`
	// Concurrent batches lock their rows in id order, so they queue
	// instead of deadlocking.
	customersForUpdatePg = customerSelectPg + ` WHERE external_id = ANY($1) ORDER BY id FOR UPDATE`
	suppressedWhichPg    = `SELECT fingerprint FROM suppressions WHERE fingerprint = ANY($1)`
)

// insertCustomerPg creates one customer; consent_seq, token_epoch and
// erased_at keep their defaults, as gorm's Create left them.
const insertCustomerPg = `INSERT INTO customers (external_id, email, phone, name, locale, timezone, preferred_channel,
 preferred_windows, cadence, attributes, preference_version, suppressed, created_at, updated_at)
 VALUES ($1, $2, $3, $4, $5, $6, $7, CAST($8::text AS jsonb), CAST($9::text AS jsonb), CAST($10::text AS jsonb),
 $11, $12, $13, $14) RETURNING id`

// insertCustomersPg creates the new customers of a batch, in item order
// (so their ids follow it, as one by one).
const insertCustomersPg = `INSERT INTO customers (external_id, email, phone, name, locale, timezone, preferred_channel,
 preferred_windows, cadence, attributes, preference_version, suppressed, created_at, updated_at)
 SELECT u.x, u.e, u.p, u.nm, u.l, u.tz, u.ch, CAST(u.w AS jsonb), CAST(u.cd AS jsonb), CAST(u.a AS jsonb), u.v, u.s, u.cr, u.up
 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
  $10::text[], $11::int[], $12::bool[], $13::timestamptz[], $14::timestamptz[])
  WITH ORDINALITY AS u(x, e, p, nm, l, tz, ch, w, cd, a, v, s, cr, up, n) ORDER BY u.n`

// upsertCustomersPg updates the changed customers of a batch, which
// exist and are locked: an upsert on the primary key finds each through
// the index whatever the planner thinks of the array's size, and sets
// the customerWritable columns only.
const upsertCustomersPg = `INSERT INTO customers (id, external_id, email, phone, name, locale, timezone, preferred_channel,
 preferred_windows, cadence, attributes, preference_version, suppressed, created_at, updated_at)
 SELECT u.id, u.x, u.e, u.p, u.nm, u.l, u.tz, u.ch, CAST(u.w AS jsonb), CAST(u.cd AS jsonb), CAST(u.a AS jsonb), u.v, u.s, u.cr, u.up
 FROM unnest($15::bigint[], $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
  $9::text[], $10::text[], $11::int[], $12::bool[], $13::timestamptz[], $14::timestamptz[])
  WITH ORDINALITY AS u(id, x, e, p, nm, l, tz, ch, w, cd, a, v, s, cr, up, n) ORDER BY u.n
 ON CONFLICT (id) DO UPDATE SET external_id = EXCLUDED.external_id, email = EXCLUDED.email, phone = EXCLUDED.phone,
  name = EXCLUDED.name, locale = EXCLUDED.locale, timezone = EXCLUDED.timezone,
  preferred_channel = EXCLUDED.preferred_channel, preferred_windows = EXCLUDED.preferred_windows,
  cadence = EXCLUDED.cadence, attributes = EXCLUDED.attributes, preference_version = EXCLUDED.preference_version,
  suppressed = EXCLUDED.suppressed, updated_at = EXCLUDED.updated_at`

// insertCustomerEventsPg writes outbox events in order. A new customer's
// id is not known when the statement is queued (it is created earlier in
// the same pipeline), so its events name it by external id, which the
// transaction has just written. (SELECT events_fanout_wanted()) is the
// column's default (00027) evaluated once for the batch, not per row.
const insertCustomerEventsPg = `INSERT INTO events (type, customer_id, data, created_at, fanout_pending)
 SELECT v.t, COALESCE(v.c, (SELECT c.id FROM customers c WHERE c.external_id = v.x)), CAST(v.d AS jsonb), v.at,
 (SELECT events_fanout_wanted())
 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[]) WITH ORDINALITY AS v(t, c, x, d, at, n)
 ORDER BY v.n`

// scanCustomerPg scans a row of customerSelectPg.
func scanCustomerPg(row pgx.Row, r *customerRow) error {
	return row.Scan(&r.ID, &r.ExternalID, &r.Email, &r.Phone, &r.Name, &r.Locale, &r.Timezone, &r.PreferredChannel,
		&r.PreferredWindows, &r.Cadence, &r.Attributes, &r.PreferenceVersion, &r.Suppressed, &r.ConsentSeq,
		&r.TokenEpoch, &r.ErasedAt, &r.CreatedAt, &r.UpdatedAt)
}

// customerPostgres is Customer on PostgreSQL. ENOTFOUND.
func (s *Store) customerPostgres(ctx context.Context, externalID string) (*models.Customer, error) {
	var row customerRow
	err := s.withPgx(ctx, func(c *pgx.Conn) error {
		qctx, end := s.traceStatement(ctx, "SELECT", "customers", customerByExternalIDPg)
		err := scanCustomerPg(c.QueryRow(qctx, customerByExternalIDPg, externalID), &row)
		end(err)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, models.Errorf(models.ENOTFOUND, "Customer not found.")
	}
	if err != nil {
		return nil, mapError(err, "Customer")
	}
	return row.model()
}

// putCustomersPostgres is putCustomersTx on PostgreSQL, in t: the
// locking read of the batch's customers and the suppression check in one
// round trip, decideBatch, then the new rows, the changed rows, the
// outbox events and COMMIT in another.
func (s *Store) putCustomersPostgres(t *pipeTx, items []batchPut) ([]models.CustomerPut, error) {
	ids := make([]string, len(items))
	for i := range items {
		ids[i] = items[i].in.ExternalID
	}
	owners := s.fingerprintOwners(items)
	var rows []customerRow
	var found []string
	b := &pgx.Batch{}
	b.Queue(customersForUpdatePg, ids).Query(func(rs pgx.Rows) error {
		for rs.Next() {
			rows = append(rows, customerRow{})
			if err := scanCustomerPg(rs, &rows[len(rows)-1]); err != nil {
				return err
			}
		}
		return rs.Err()
	})
	if len(owners) > 0 {
		fps := make([]string, 0, len(owners))
		for fp := range owners {
			fps = append(fps, fp)
		}
		b.Queue(suppressedWhichPg, fps).Query(func(rs pgx.Rows) error {
			var err error
			found, err = pgx.CollectRows(rs, pgx.RowTo[string])
			return err
		})
	}
	if err := t.send(b, false); err != nil {
		return nil, err
	}
	d, err := decideBatch(items, rows, suppressionHits(len(items), owners, found), s.now())
	if err != nil {
		return nil, err
	}
	b = &pgx.Batch{}
	if len(d.created) > 0 {
		b.Queue(insertCustomersPg, customerArrays(d.created)...)
	}
	if len(d.updated) > 0 {
		rowIDs := make([]int64, len(d.updated))
		for i, r := range d.updated {
			rowIDs[i] = r.ID
		}
		b.Queue(upsertCustomersPg, append(customerArrays(d.updated), rowIDs)...)
	}
	queueCustomerEvents(b, d.changes)
	return d.results, t.send(b, true)
}

// customerArrays returns the columns of rows as the fourteen arrays
// insertCustomersPg and upsertCustomersPg unnest.
func customerArrays(rows []*customerRow) []any {
	n := len(rows)
	ext, email, phone, name := make([]*string, n), make([]string, n), make([]string, n), make([]string, n)
	locale, tz, channel, windows := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	cadence, attrs, version, supp := make([]*string, n), make([]string, n), make([]int32, n), make([]bool, n)
	created, updated := make([]time.Time, n), make([]time.Time, n)
	for i, r := range rows {
		ext[i], email[i], phone[i], name[i] = r.ExternalID, r.Email, r.Phone, r.Name
		locale[i], tz[i], channel[i], windows[i] = r.Locale, r.Timezone, r.PreferredChannel, r.PreferredWindows
		cadence[i], attrs[i], version[i], supp[i] = r.Cadence, r.Attributes, int32(r.PreferenceVersion), r.Suppressed
		created[i], updated[i] = r.CreatedAt, r.UpdatedAt
	}
	return []any{ext, email, phone, name, locale, tz, channel, windows, cadence, attrs, version, supp, created, updated}
}

// queueCustomerEvents queues the outbox events of changes, in order, as
// one insertCustomerEventsPg. A created customer is named by external id
// (its id is assigned by a statement of the same batch).
func queueCustomerEvents(b *pgx.Batch, changes []customerChange) {
	var events []eventRow
	var ext []string
	var ids []*int64
	for i := range changes {
		ch := &changes[i]
		from := len(events)
		events = ch.events(events)
		for range events[from:] {
			ext = append(ext, *ch.row.ExternalID)
			if ch.created {
				ids = append(ids, nil)
			} else {
				id := ch.row.ID
				ids = append(ids, &id)
			}
		}
	}
	if len(events) == 0 {
		return
	}
	types, data, at := make([]string, len(events)), make([]string, len(events)), make([]time.Time, len(events))
	for i, e := range events {
		types[i], data[i], at[i] = e.Type, e.Data, e.CreatedAt
	}
	b.Queue(insertCustomerEventsPg, types, ids, ext, data, at)
}
