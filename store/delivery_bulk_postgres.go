package store

import (
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// On PostgreSQL the send path's bulk statements pass one array per column
// (unnest) instead of one placeholder per value: the statement's text is
// the same for every batch, so pgx prepares it once per connection, and
// a hundred rows are fourteen parameters instead of 1,400. They go to the
// transaction's connection through database/sql (tx.Statement.ConnPool)
// with the arrays handed to pgx as they are: gorm's building, binding and
// scanning of the 1,400-placeholder VALUES list was about 56 µs of Go CPU
// per message (docs/benchmarks.md, "Sending (issue 10)").

// bulkMovePostgres is bulkMove on PostgreSQL.
func (s *Store) bulkMovePostgres(tx *gorm.DB, cols []bulkColumn, rows [][]any) (map[int64]bool, error) {
	types := append([]bulkColumn{{"id", "bigint"}, {"from_status", "text"}}, cols...)
	arrays := make([]any, len(types))
	for j := range types {
		col := make([]any, len(rows))
		for i, r := range rows {
			col[i] = r[j]
		}
		arrays[j] = col
	}
	var q strings.Builder
	q.WriteString("UPDATE deliveries SET ")
	for i, c := range cols {
		if i > 0 {
			q.WriteString(", ")
		}
		if c == eventColumn {
			q.WriteString("events = " + s.appendEvent("v.event"))
			continue
		}
		q.WriteString(c.name + " = v." + c.name)
	}
	q.WriteString(" FROM unnest(")
	for j, c := range types {
		if j > 0 {
			q.WriteString(", ")
		}
		q.WriteString("$" + strconv.Itoa(j+1) + "::" + c.pgType + "[]")
	}
	q.WriteString(") AS v(")
	for j, c := range types {
		if j > 0 {
			q.WriteString(", ")
		}
		q.WriteString(c.name)
	}
	q.WriteString(") WHERE deliveries.id = v.id AND deliveries.status = v.from_status RETURNING deliveries.id")
	sqlRows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, q.String(), arrays...)
	if err != nil {
		return nil, err
	}
	defer sqlRows.Close()
	out := make(map[int64]bool, len(rows))
	for sqlRows.Next() {
		var id int64
		if err := sqlRows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, sqlRows.Err()
}

// writeEventsPostgres is writeEvents on PostgreSQL: one INSERT of arrays,
// in the order given (identity values follow it).
func (s *Store) writeEventsPostgres(tx *gorm.DB, events []eventRow) error {
	types := make([]string, len(events))
	customers := make([]*int64, len(events))
	data := make([]string, len(events))
	created := make([]time.Time, len(events))
	for i, e := range events {
		types[i], customers[i], data[i], created[i] = e.Type, e.CustomerID, e.Data, e.CreatedAt
	}
	_, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context,
		"INSERT INTO events (type, customer_id, data, created_at, fanout_pending) "+
			"SELECT t, c, CAST(d AS jsonb), at, (SELECT events_fanout_wanted()) FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS v(t, c, d, at, n) ORDER BY n",
		types, customers, data, created)
	return err
}

// recordSentPostgres records sent outcomes on PostgreSQL in one statement:
// each delivery not sent yet becomes sent (whatever it became meanwhile:
// the message went out), keeps the change in its events and gets its
// delivery.sent outbox event, named by the customer's external id read in
// the same statement. Nothing is read or locked first: the UPDATE waits
// for a transaction moving one of the rows (the reconciler) and applies
// to what it committed, as recordEach's locking read does, so the rows
// are rewritten once instead of locked and then rewritten, with one round
// trip. It adds the campaigns of the deliveries it moved to campaigns.
func (s *Store) recordSentPostgres(tx *gorm.DB, worker string, sent []models.SendOutcome, campaigns map[int64]bool) error {
	if len(sent) == 0 {
		return nil
	}
	now := s.now()
	// The event of every row; its "from" is each row's status before.
	event, err := eventJSON(now, models.DeliverySending, models.DeliverySent, "", worker)
	if err != nil {
		return err
	}
	ids := make([]int64, len(sent))
	providers := make([]string, len(sent))
	for i, o := range sent {
		ids[i], providers[i] = o.DeliveryID, o.ProviderID
	}
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, recordSentSQL, ids, providers, now, event,
		string(models.EventDeliverySent))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		campaigns[id] = true
	}
	return rows.Err()
}

// recordSentSQL is recordSentPostgres' statement: $1 delivery ids, $2
// their provider ids, $3 now, $4 the delivery event, $5 the outbox event
// type. The outbox event's data is what deliveryEvent writes for sent.
// (SELECT events_fanout_wanted()) is the events' column default (00027)
// evaluated once for the statement instead of once for each row.
const recordSentSQL = `WITH v AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS v(id, provider_id)),
moved AS (
	UPDATE deliveries d SET status = 'sent', reason = '', updated_at = $3, lease_until = NULL, lease_owner = '',
		provider_id = v.provider_id, sent_at = COALESCE(d.sent_at, $3),
		events = d.events || jsonb_build_array(jsonb_set(CAST($4 AS jsonb), '{from}', to_jsonb(d.status)))
	FROM v WHERE d.id = v.id AND d.status <> 'sent'
	RETURNING d.id, d.campaign_id, d.customer_id, d.channel, d.provider_id),
outbox AS (
	INSERT INTO events (type, customer_id, data, created_at, fanout_pending)
	SELECT $5, m.customer_id, jsonb_build_object('delivery_id', m.id, 'campaign_id', m.campaign_id,
		'external_id', COALESCE(c.external_id, ''), 'channel', m.channel, 'provider_id', m.provider_id), $3,
		(SELECT events_fanout_wanted())
	FROM moved m LEFT JOIN customers c ON c.id = m.customer_id ORDER BY m.id)
SELECT DISTINCT campaign_id FROM moved`
