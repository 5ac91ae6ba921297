package store

import (
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
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
		"INSERT INTO events (type, customer_id, data, created_at) "+
			"SELECT t, c, CAST(d AS jsonb), at FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS v(t, c, d, at, n) ORDER BY n",
		types, customers, data, created)
	return err
}
