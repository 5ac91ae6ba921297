package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// copyTimes are the times of the two COPYs of a launch ceiling.
type copyTimes struct{ deliveries, exclusions time.Duration }

func (c copyTimes) total() time.Duration { return c.deliveries + c.exclusions }

// launchCeilings are the COPYs a launch is measured against.
type launchCeilings struct {
	// same: the launch's own rows (BenchmarkCampaignLaunch saved them, in
	// COPY's binary format as the launch writes them) copied into
	// deliveries and campaign_exclusions themselves, each in a
	// transaction rolled back afterwards, with the tables' indexes as the
	// launches left them and the report-count trigger a COPY into
	// deliveries fires: issue 17's "COPY of the same rows into the same
	// table". The median of sameRuns copies.
	same copyTimes
	// fresh: the same rows into new, empty copies of the two tables with
	// every index, default and check (LIKE ... INCLUDING ALL) and no
	// trigger.
	fresh copyTimes
	// likeRows: as many launch-like rows made up from the customers (one
	// planned delivery per customer, a scheduled time spread over a month,
	// one channel; exclusions with one reason) into the same tables: the
	// ceiling the suite used until session 15.
	likeRows copyTimes
}

// sameRuns is how many times the launch's rows are copied into the same
// tables: a single COPY moved by 10-15 % from run to run.
const sameRuns = 3

// launchCeiling times the COPYs of launchCeilings: the launch's rows are
// the files BenchmarkCampaignLaunch left in rowsDir, the launch-like rows
// are made from the database's customers, planned and excluded of them.
// Each timed COPY starts after a CHECKPOINT, as each timed launch does.
func (s *suite) launchCeiling(ctx context.Context, dbURL, rowsDir string, planned, excluded int) (launchCeilings, error) {
	var out launchCeilings
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return out, err
	}
	defer conn.Close(ctx)
	rows := func(table string) (copySource, error) {
		cols, err := os.ReadFile(filepath.Join(rowsDir, table+".cols"))
		if err != nil {
			return copySource{}, fmt.Errorf("the launch's rows: %w", err)
		}
		return copySource{path: filepath.Join(rowsDir, table+".bin"), cols: strings.Split(strings.TrimSpace(string(cols)), ","),
			binary: true}, nil
	}
	launchD, err := rows("deliveries")
	if err != nil {
		return out, err
	}
	launchE, err := rows("campaign_exclusions")
	if err != nil {
		return out, err
	}
	likeD, likeE, err := s.launchLikeRows(ctx, conn, planned, excluded)
	if err != nil {
		return out, err
	}
	defer os.Remove(likeD.path)
	defer os.Remove(likeE.path)
	copyBoth := func(t *copyTimes, d, e copySource, same bool) error {
		if t.deliveries, err = s.timedCopy(ctx, conn, "deliveries", d, same); err != nil {
			return err
		}
		if excluded > 0 {
			t.exclusions, err = s.timedCopy(ctx, conn, "campaign_exclusions", e, same)
		}
		return err
	}
	if err := copyBoth(&out.likeRows, likeD, likeE, true); err != nil {
		return out, err
	}
	if err := copyBoth(&out.fresh, launchD, launchE, false); err != nil {
		return out, err
	}
	runs := make([]copyTimes, sameRuns)
	for i := range runs {
		if err := copyBoth(&runs[i], launchD, launchE, true); err != nil {
			return out, err
		}
	}
	slices.SortFunc(runs, func(a, b copyTimes) int { return cmp.Compare(a.total(), b.total()) })
	out.same = runs[len(runs)/2]
	return out, nil
}

// exclusionCopyColumns are the campaign_exclusions columns a launch
// writes.
var exclusionCopyColumns = []string{"campaign_id", "customer_id", "reason"}

// copySource is a file of rows to COPY in, in COPY's text or binary
// format; cols are its columns.
type copySource struct {
	path   string
	cols   []string
	binary bool
}

// launchLikeRows writes, untimed, planned launch-like delivery rows and
// excluded exclusion rows made up from the customers (the customers after
// the planned ones, each with a launch's most common reason).
func (s *suite) launchLikeRows(ctx context.Context, conn *pgx.Conn, planned, excluded int) (d, e copySource, err error) {
	cols, exprs, err := deliveryColumns(ctx, conn)
	if err != nil {
		return d, e, err
	}
	d = copySource{path: filepath.Join(s.tmp, "deliveries.like.copy"), cols: cols}
	e = copySource{path: filepath.Join(s.tmp, "campaign_exclusions.like.copy"), cols: exclusionCopyColumns}
	for _, c := range []struct {
		src   copySource
		query string
	}{
		{d, fmt.Sprintf("SELECT %s FROM customers c ORDER BY c.id LIMIT %d", strings.Join(exprs, ", "), planned)},
		{e, fmt.Sprintf("SELECT -1, c.id, 'no_consent' FROM customers c ORDER BY c.id LIMIT %d OFFSET %d", excluded, planned)},
	} {
		f, err := os.Create(c.src.path)
		if err != nil {
			return d, e, err
		}
		_, err = conn.PgConn().CopyTo(ctx, f, "COPY ("+c.query+") TO STDOUT")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return d, e, err
		}
	}
	return d, e, nil
}

// timedCopy times a COPY of src, after an untimed CHECKPOINT: into table
// itself in a transaction it rolls back, then vacuums the dead rows away
// (untimed) so that the next figure meets the table as the launch left it
// (same), or into bench_copy_<table>, a fresh copy of table with its
// indexes, defaults and checks, dropped afterwards.
func (s *suite) timedCopy(ctx context.Context, conn *pgx.Conn, table string, src copySource, same bool) (time.Duration, error) {
	target := pgx.Identifier{table}.Sanitize()
	if !same {
		target = pgx.Identifier{"bench_copy_" + table}.Sanitize()
		if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+target+"; CREATE TABLE "+target+" (LIKE "+table+" INCLUDING ALL)"); err != nil {
			return 0, err
		}
		defer conn.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+target)
	}
	if _, err := conn.Exec(ctx, "CHECKPOINT"); err != nil {
		return 0, err
	}
	if same {
		if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
			return 0, err
		}
		defer conn.Exec(context.WithoutCancel(ctx), "VACUUM "+target)
		defer conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	}
	f, err := os.Open(src.path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	format := ""
	if src.binary {
		format = " WITH (FORMAT binary)"
	}
	start := time.Now()
	_, err = conn.PgConn().CopyFrom(ctx, f, "COPY "+target+" ("+strings.Join(src.cols, ", ")+") FROM STDIN"+format)
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
