package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// launchCeiling times a COPY of rows rows shaped like a launch's
// deliveries (one per customer, status planned, a scheduled time spread
// over a month) into a copy of the deliveries table with every index,
// default and check the real one has (LIKE ... INCLUDING ALL; foreign keys
// aside): the fastest a launch could write its deliveries. The column
// list is read from the catalogue, so the ceiling follows the schema.
func (s *suite) launchCeiling(ctx context.Context, dbURL string, rows int) (time.Duration, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	cols, exprs, err := deliveryColumns(ctx, conn)
	if err != nil {
		return 0, err
	}
	path := filepath.Join(s.tmp, "deliveries.copy")
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer os.Remove(path)
	_, err = conn.PgConn().CopyTo(ctx, f, fmt.Sprintf("COPY (SELECT %s FROM customers c ORDER BY c.id LIMIT %d) TO STDOUT",
		strings.Join(exprs, ", "), rows))
	f.Close()
	if err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS bench_copy_deliveries; "+
		"CREATE TABLE bench_copy_deliveries (LIKE deliveries INCLUDING ALL)"); err != nil {
		return 0, err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS bench_copy_deliveries")
	if f, err = os.Open(path); err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	_, err = conn.PgConn().CopyFrom(ctx, f, "COPY bench_copy_deliveries ("+strings.Join(cols, ", ")+") FROM STDIN")
	return time.Since(start), err
}

// deliveryColumns returns the deliveries columns a launch fills (every
// NOT NULL column without a default, plus scheduled_at) and, for each, an
// expression over customers c that gives a launch-like value.
func deliveryColumns(ctx context.Context, conn *pgx.Conn) (cols, exprs []string, err error) {
	rows, err := conn.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'deliveries'
		AND ((is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO') OR column_name = 'scheduled_at')
		ORDER BY ordinal_position`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, nil, err
		}
		cols = append(cols, name)
		exprs = append(exprs, launchValue(name, typ))
	}
	return cols, exprs, rows.Err()
}

// launchValue is a launch-like value of column name of type typ.
func launchValue(name, typ string) string {
	switch {
	case name == "customer_id":
		return "c.id"
	case name == "status":
		return "'planned'"
	case name == "channel":
		return "'email'"
	case name == "locale":
		return "'en'"
	case name == "scheduled_at":
		return "now() + (c.id % 43200) * interval '1 minute'"
	case typ == "bigint" || typ == "integer" || typ == "smallint":
		return "1"
	case strings.HasPrefix(typ, "timestamp"):
		return "now()"
	case typ == "jsonb" || typ == "json":
		return "'[]'"
	case typ == "boolean":
		return "false"
	default:
		return "''"
	}
}
