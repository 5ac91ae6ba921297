package store

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// secondaryIndex is an index a load dropped, to be built again: its
// name, its definition as pg_get_indexdef prints it (name, method,
// columns, predicate) and its comment (migrations put the query an index
// serves there).
type secondaryIndex struct {
	name, def string
	comment   *string
}

// bulkIndexMemory is the maintenance_work_mem a load builds its indexes
// with, unless the server is already set higher: the GIN index on
// customers' attributes is built in fewer, larger passes with it. SET
// LOCAL ends with the load's transaction.
const bulkIndexMemory = 256 << 20

// dropSecondaryIndexes drops, inside tx, the indexes of table that back
// no constraint (primary and unique keys stay, and so do the keys that
// foreign keys point at), and returns them; it drops nothing when the
// table holds a row (see BulkTable.DeferIndexes). DROP INDEX locks the
// table against readers until commit, as dropping its foreign keys
// already does.
func dropSecondaryIndexes(ctx context.Context, tx pgx.Tx, table string) ([]secondaryIndex, error) {
	t := pgx.Identifier{table}.Sanitize()
	var empty bool
	if err := tx.QueryRow(ctx, "SELECT NOT EXISTS (SELECT 1 FROM "+t+")").Scan(&empty); err != nil {
		return nil, err
	}
	if !empty {
		return nil, nil
	}
	rows, err := tx.Query(ctx, "SELECT c.relname, pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class') "+
		"FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "+
		"WHERE i.indrelid = $1::regclass AND i.indisvalid AND NOT i.indisreplident "+
		"AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname", t)
	if err != nil {
		return nil, err
	}
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (secondaryIndex, error) {
		var ix secondaryIndex
		return ix, r.Scan(&ix.name, &ix.def, &ix.comment)
	})
	if err != nil {
		return nil, err
	}
	for _, ix := range indexes {
		if _, err := tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{ix.name}.Sanitize()); err != nil {
			return nil, err
		}
	}
	return indexes, nil
}

// buildIndexes creates the dropped indexes again, with their comments.
// A unique one refuses duplicates the load wrote (a unique violation,
// ECONFLICT), so the load fails as it would have row by row.
func buildIndexes(ctx context.Context, tx pgx.Tx, indexes []secondaryIndex) error {
	_, err := tx.Exec(ctx, "SELECT set_config('maintenance_work_mem', $1, true) "+
		"WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < $2",
		formatKB(bulkIndexMemory), int64(bulkIndexMemory))
	if err != nil {
		return err
	}
	for _, ix := range indexes {
		if _, err := tx.Exec(ctx, ix.def); err != nil {
			return err
		}
		if ix.comment == nil {
			continue
		}
		// COMMENT takes no parameters: the server quotes the literal.
		var stmt string
		if err := tx.QueryRow(ctx, "SELECT format('COMMENT ON INDEX %I IS %L', $1::text, $2::text)", ix.name, *ix.comment).Scan(&stmt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// formatKB writes a byte count as a PostgreSQL memory setting.
func formatKB(bytes int64) string {
	return strconv.FormatInt(bytes/1024, 10) + "kB"
}
