package store

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// secondaryIndex is an index a load dropped, to be built again: its
// name, its definition as pg_get_indexdef prints it (name, method,
// columns, predicate) and its comment (migrations put the query an index
// serves there). An index that backs a primary key or unique constraint
// is added back as that constraint: constraint holds its definition as
// pg_get_constraintdef prints it, and conComment the constraint's comment.
type secondaryIndex struct {
	name, def  string
	comment    *string
	constraint *string
	conComment *string
}

// bulkIndexMemory is the maintenance_work_mem a load builds its indexes
// with, unless the server is already set higher: the GIN index on
// customers' attributes is built in fewer, larger passes with it. SET
// LOCAL ends with the load's transaction.
const bulkIndexMemory = 256 << 20

// dropSecondaryIndexes drops, inside tx, the indexes of table that no
// other object depends on and returns them; it drops nothing when the
// table holds a row (see BulkTable.DeferIndexes). Primary and unique keys
// are dropped too, as constraints, unless a foreign key (or a view that
// relies on the key) depends on them: customers' primary key stays, the
// consent tables' keys and customers' external id key go. Exclusion
// constraints and the replica identity stay. DROP INDEX and DROP
// CONSTRAINT lock the table against readers until commit, as dropping its
// foreign keys already does.
func dropSecondaryIndexes(ctx context.Context, tx pgx.Tx, table string) ([]secondaryIndex, error) {
	t := pgx.Identifier{table}.Sanitize()
	var empty bool
	if err := tx.QueryRow(ctx, "SELECT NOT EXISTS (SELECT 1 FROM "+t+")").Scan(&empty); err != nil {
		return nil, err
	}
	if !empty {
		return nil, nil
	}
	rows, err := tx.Query(ctx, bulkDeferrableIndexes, t)
	if err != nil {
		return nil, err
	}
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (secondaryIndex, error) {
		var ix secondaryIndex
		return ix, r.Scan(&ix.name, &ix.def, &ix.comment, &ix.constraint, &ix.conComment)
	})
	if err != nil {
		return nil, err
	}
	for _, ix := range indexes {
		stmt := "DROP INDEX " + pgx.Identifier{ix.name}.Sanitize()
		if ix.constraint != nil {
			stmt = "ALTER TABLE " + t + " DROP CONSTRAINT " + pgx.Identifier{ix.name}.Sanitize()
		}
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return nil, err
		}
	}
	return indexes, nil
}

// bulkDeferrableIndexes lists the indexes of table $1 a load may drop and
// build again: valid, not the replica identity, backing no constraint or
// a primary or unique key (whose index PostgreSQL names after it), and
// depended on by nothing else: a foreign key depends on the key index it
// refers to, a view that groups by a primary key on the constraint.
const bulkDeferrableIndexes = "SELECT c.relname, pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class'), " +
	"pg_get_constraintdef(k.oid), obj_description(k.oid, 'pg_constraint') " +
	"FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid " +
	"LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u') " +
	"WHERE i.indrelid = $1::regclass AND i.indisvalid AND NOT i.indisreplident " +
	"AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid AND x.oid IS DISTINCT FROM k.oid) " +
	"AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.deptype = 'n' AND (" +
	"(d.refclassid = 'pg_class'::regclass AND d.refobjid = i.indexrelid) OR " +
	"(d.refclassid = 'pg_constraint'::regclass AND d.refobjid = k.oid))) " +
	"ORDER BY c.relname"

// buildIndexes creates the dropped indexes of table again, and the
// constraints they backed, with their comments. A unique one refuses
// duplicates the load wrote (a unique violation, ECONFLICT), so the load
// fails as it would have row by row.
func buildIndexes(ctx context.Context, tx pgx.Tx, table string, indexes []secondaryIndex) error {
	_, err := tx.Exec(ctx, "SELECT set_config('maintenance_work_mem', $1, true) "+
		"WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < $2",
		formatKB(bulkIndexMemory), int64(bulkIndexMemory))
	if err != nil {
		return err
	}
	for _, ix := range indexes {
		create := ix.def
		if ix.constraint != nil {
			create = "ALTER TABLE " + pgx.Identifier{table}.Sanitize() + " ADD CONSTRAINT " + pgx.Identifier{ix.name}.Sanitize() + " " + *ix.constraint
		}
		if _, err := tx.Exec(ctx, create); err != nil {
			return err
		}
		if err := comment(ctx, tx, "COMMENT ON INDEX %I IS %L", ix.name, ix.comment); err != nil {
			return err
		}
		if err := comment(ctx, tx, "COMMENT ON CONSTRAINT %I ON %I IS %L", ix.name, ix.conComment, table); err != nil {
			return err
		}
	}
	return nil
}

// comment runs the COMMENT statement format writes for name, text and
// then the further names given, unless text is nil. COMMENT takes no
// parameters: the server quotes the literal.
func comment(ctx context.Context, tx pgx.Tx, format, name string, text *string, more ...string) error {
	if text == nil {
		return nil
	}
	args := []any{name}
	for _, m := range more {
		args = append(args, m)
	}
	args = append(args, *text)
	placeholders := ""
	for i := range args {
		placeholders += ", $" + strconv.Itoa(i+1) + "::text"
	}
	var stmt string
	if err := tx.QueryRow(ctx, "SELECT format('"+format+"'"+placeholders+")", args...).Scan(&stmt); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, stmt)
	return err
}

// formatKB writes a byte count as a PostgreSQL memory setting.
func formatKB(bytes int64) string {
	return strconv.FormatInt(bytes/1024, 10) + "kB"
}
