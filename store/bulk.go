package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// BulkTable is one table of a BulkLoad: its name, the columns every row
// fills, and a generator that emits the rows in column order, either
// Rows or Chunks and Chunk. Rows is called once; it should return the
// first error emit returns.
type BulkTable struct {
	Name    string
	Columns []string
	Rows    func(emit func(row []any) error) error
	// Chunks and Chunk, set instead of Rows, give the rows in Chunks
	// parts: Chunk(i, emit) emits part i's rows, which follow part i-1's
	// in the table. On PostgreSQL several chunks run at once, each
	// encoding its own rows for COPY on a core of its own, and are sent
	// in order; on SQLite they run one after another. Chunks start in
	// index order, so chunk i may wait for something chunk i-1 does
	// (never for a later one). emit is not safe for concurrent use
	// within a chunk; it keeps nothing of row once it returns, so a chunk
	// may fill one slice for all its rows.
	Chunks int
	Chunk  func(i int, emit func(row []any) error) error
	// Analyze refreshes the table's planner statistics after the load
	// (PostgreSQL; SQLite has no statistics to refresh).
	Analyze bool
	// Vacuum runs VACUUM (ANALYZE) on the table once the load has
	// committed (PostgreSQL), in place of Analyze: it also sets the hint
	// bits and the visibility map of every page written, as autovacuum
	// would a while later. Without it the first query to read the table
	// rewrites every page it touches, and an index-only scan must visit
	// the table for every row (issue 14: the reference segment preview at
	// 1M read all 38k pages of consents where its index holds the answer
	// in 2.5k).
	Vacuum bool
	// DeferForeignKeys checks the table's foreign keys once for the whole
	// load instead of once per row (PostgreSQL): the load drops them,
	// copies, adds them back NOT VALID and validates them with one join,
	// all in its transaction, so no other session ever sees the table
	// without them and a row that breaks one fails the whole load. Issue
	// 17 measured the per-row checks at two thirds of a seed's COPY time.
	// SQLite checks per row as before.
	DeferForeignKeys bool
	// DeferIndexes builds the table's indexes once after the COPY instead
	// of inserting every row into them, when the table is empty at the
	// start of the load (PostgreSQL): sorting once costs a fraction of
	// maintaining a GIN or B-tree index row by row (and PostgreSQL sorts a
	// B-tree on several cores), and an empty table has nothing for a
	// reader to miss meanwhile. That includes the indexes of primary and
	// unique keys, dropped and added back as constraints, unless another
	// object depends on them (a foreign key that refers to the key stays
	// checked, so customers' primary key stays). A table that holds rows
	// keeps its indexes, so loading a few rows into a large table never
	// rebuilds it. Unique indexes and keys still refuse duplicates, when
	// they are built.
	DeferIndexes bool
}

// rowSource returns the table's rows as one push-style generator: Rows,
// or the chunks one after another.
func (t *BulkTable) rowSource() func(emit func(row []any) error) error {
	if t.Chunk == nil {
		return t.Rows
	}
	return func(emit func(row []any) error) error {
		for i := range t.Chunks {
			if err := t.Chunk(i, emit); err != nil {
				return err
			}
		}
		return nil
	}
}

// BulkLoad describes a bulk write: tables filled in order, in one
// transaction, with COPY on PostgreSQL and multi-row INSERTs on SQLite.
type BulkLoad struct {
	// ReserveTable, if set, names a table whose id column the load fills
	// with ReserveIDs consecutive ids after the largest one present.
	// Concurrent writers wait for the load to finish, and rows inserted
	// afterwards get ids after the reserved ones.
	ReserveTable string
	ReserveIDs   int64
	// Tables returns the tables to write, given the id before the first
	// reserved one (0 when nothing is reserved or the table is empty) and,
	// when ChainLedger is set, the ledger position the load continues
	// (nil otherwise).
	Tables func(base int64, ledger *BulkLedger) []BulkTable
	// ChainLedger says the load writes consent events that continue the
	// keyed ledger's global chain: the head is locked for the load, Tables
	// gets the key and the position to continue from, and the head moves
	// to where the load says it ended (BulkLedger.End).
	ChainLedger bool
	// Progress, if set, is called after each table is written.
	Progress func(table string, rows int64, elapsed time.Duration)
	// Step, if set, is called after each step of the load with its wall
	// time: per table "copy", "foreign keys" and "indexes" (PostgreSQL),
	// then, with an empty table name, "analyze" and "commit". It says
	// where a load's time goes.
	Step func(table, step string, elapsed time.Duration)
}

// BulkLedger is the keyed ledger as a bulk load continues it: the key
// new events are sealed with and the position of the global chain before
// the load. Sealing in the load itself, instead of adopting the events
// afterwards page by page, is what keeps a 1M-customer seed linear
// (adoption re-read the unsealed rest of the table for every page).
type BulkLedger struct {
	KeyID string
	Key   []byte
	// Seq is the global sequence number of the last event before the
	// load; Prev is the hash the load's first event links to.
	Seq  int64
	Prev string

	ended   bool
	endSeq  int64
	endHash string
}

// End records the global sequence number and hash of the last event the
// load appended; the head is sealed there when the load commits.
func (l *BulkLedger) End(seq int64, hash string) {
	l.ended, l.endSeq, l.endHash = true, seq, hash
}

// BulkLoad writes load's tables and returns the rows written per table,
// in order. It writes no outbox events. ECONFLICT when a row violates a
// unique key; nothing is written then.
func (s *Store) BulkLoad(ctx context.Context, load BulkLoad) ([]int64, error) {
	if load.Progress == nil {
		load.Progress = func(string, int64, time.Duration) {}
	}
	if load.Step == nil {
		load.Step = func(string, string, time.Duration) {}
	}
	var (
		counts []int64
		err    error
	)
	if s.dialect == DialectPostgres {
		counts, err = s.bulkPostgres(ctx, load)
	} else {
		counts, err = s.bulkSQLite(ctx, load)
	}
	if err != nil {
		return nil, mapError(err, "Bulk-loaded row")
	}
	return counts, nil
}

// bulkRowsPerInsert is the most rows per INSERT on SQLite, further bounded
// by SQLite's limit of 32,766 parameters per statement.
const (
	bulkRowsPerInsert = 500
	sqliteMaxParams   = 32_766
)

// bulkSQLite inserts the tables in batches inside one immediate
// transaction, which also reserves the ids: no other writer can start.
func (s *Store) bulkSQLite(ctx context.Context, load BulkLoad) ([]int64, error) {
	tx, err := s.sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var base int64
	if load.ReserveTable != "" {
		q := "SELECT COALESCE(max(id), 0) FROM " + quoteSQLite(load.ReserveTable)
		if err := tx.QueryRowContext(ctx, q).Scan(&base); err != nil {
			return nil, err
		}
	}
	var ledger *BulkLedger
	if load.ChainLedger {
		if ledger, err = s.openBulkLedger(tx.QueryRowContext(ctx, bulkHeadLock)); err != nil {
			return nil, err
		}
	}
	var counts []int64
	for _, t := range load.Tables(base, ledger) {
		start := time.Now()
		n, err := insertBatches(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		counts = append(counts, n)
		load.Step(t.Name, "copy", time.Since(start))
		load.Progress(t.Name, n, time.Since(start))
	}
	err = s.closeBulkLedger(ctx, ledger, func(ctx context.Context, q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	load.Step("", "commit", time.Since(start))
	return counts, nil
}

// quoteSQLite quotes an identifier for SQLite.
func quoteSQLite(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// insertBatches writes t with multi-row INSERTs and returns the rows written.
func insertBatches(ctx context.Context, tx *sql.Tx, t BulkTable) (int64, error) {
	if len(t.Columns) == 0 {
		return 0, fmt.Errorf("bulk load %s: no columns", t.Name)
	}
	batch := min(bulkRowsPerInsert, sqliteMaxParams/len(t.Columns))
	quoted := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		quoted[i] = quoteSQLite(c)
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.Columns)), ", ") + ")"
	head := "INSERT INTO " + quoteSQLite(t.Name) + " (" + strings.Join(quoted, ", ") + ") VALUES "
	var (
		args  []any
		rows  int
		total int64
	)
	flush := func() error {
		if rows == 0 {
			return nil
		}
		q := head + strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("insert %s: %w", t.Name, err)
		}
		total += int64(rows)
		args, rows = args[:0], 0
		return nil
	}
	err := t.rowSource()(func(values []any) error {
		if len(values) != len(t.Columns) {
			return fmt.Errorf("bulk load %s: a row has %d values for %d columns", t.Name, len(values), len(t.Columns))
		}
		args = append(args, values...)
		if rows++; rows == batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return total, err
}
