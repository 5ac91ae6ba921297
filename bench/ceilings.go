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

// copyTimes are the times of the two COPYs of a launch ceiling.
type copyTimes struct{ deliveries, exclusions time.Duration }

func (c copyTimes) total() time.Duration { return c.deliveries + c.exclusions }

// launchCeiling times the bare writes of what a launch writes: a COPY of
// planned rows shaped like its deliveries (one per customer, status
// planned, a scheduled time spread over a month), then a COPY of
// excluded rows shaped like its exclusion records (a launch that leaves a
// customer out writes that customer's exclusion instead). It does so
// twice. same copies into deliveries and campaign_exclusions themselves,
// each in a transaction rolled back afterwards: issue 17's "COPY of the
// same rows into the same table", with the tables' indexes as they are
// after earlier launches and the report-count trigger a COPY into
// deliveries fires. fresh copies into new, empty copies of the two tables
// with every index, default and check (LIKE ... INCLUDING ALL) and no
// trigger: the kinder ceiling the suite used before. The deliveries'
// column list is read from the catalogue, so both follow the schema.
func (s *suite) launchCeiling(ctx context.Context, dbURL string, planned, excluded int) (same, fresh copyTimes, err error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return same, fresh, err
	}
	defer conn.Close(ctx)
	cols, exprs, err := deliveryColumns(ctx, conn)
	if err != nil {
		return same, fresh, err
	}
	deliveries := fmt.Sprintf("SELECT %s FROM customers c ORDER BY c.id LIMIT %d", strings.Join(exprs, ", "), planned)
	// The customers after the planned ones, each with a launch's most
	// common reason.
	exclusions := fmt.Sprintf("SELECT -1, c.id, 'no_consent' FROM customers c ORDER BY c.id LIMIT %d OFFSET %d", excluded, planned)
	for _, c := range []struct {
		t     *copyTimes
		table bool
	}{{&fresh, false}, {&same, true}} {
		if c.t.deliveries, err = s.timedCopy(ctx, conn, "deliveries", cols, deliveries, c.table); err != nil {
			return same, fresh, err
		}
		if excluded > 0 {
			if c.t.exclusions, err = s.timedCopy(ctx, conn, "campaign_exclusions", exclusionCopyColumns, exclusions, c.table); err != nil {
				return same, fresh, err
			}
		}
	}
	return same, fresh, nil
}

// exclusionCopyColumns are the campaign_exclusions columns a launch
// writes.
var exclusionCopyColumns = []string{"campaign_id", "customer_id", "reason"}

// timedCopy writes the rows of query to a file (untimed), then times a
// COPY of them: into table itself in a transaction it rolls back, then
// vacuums the dead rows away (untimed) so that the next figure meets the
// table as the launch left it (same), or into bench_copy_<table>, a fresh
// copy of table with its indexes, defaults and checks, dropped afterwards.
func (s *suite) timedCopy(ctx context.Context, conn *pgx.Conn, table string, cols []string, query string, same bool) (time.Duration, error) {
	path := filepath.Join(s.tmp, table+".copy")
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer os.Remove(path)
	_, err = conn.PgConn().CopyTo(ctx, f, "COPY ("+query+") TO STDOUT")
	f.Close()
	if err != nil {
		return 0, err
	}
	target := pgx.Identifier{table}.Sanitize()
	if same {
		if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
			return 0, err
		}
		defer conn.Exec(context.WithoutCancel(ctx), "VACUUM "+target)
		defer conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	} else {
		target = pgx.Identifier{"bench_copy_" + table}.Sanitize()
		if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+target+"; CREATE TABLE "+target+" (LIKE "+table+" INCLUDING ALL)"); err != nil {
			return 0, err
		}
		defer conn.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+target)
	}
	if f, err = os.Open(path); err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	_, err = conn.PgConn().CopyFrom(ctx, f, "COPY "+target+" ("+strings.Join(cols, ", ")+") FROM STDIN")
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
	case name == "campaign_id" || name == "content_id":
		// No such campaign or content: copied into deliveries itself,
		// the rows never meet a real launch's in its unique indexes.
		return "-1"
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
