package store

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// bulkPostgres COPYs the tables in one transaction on one pgx connection.
// The table lock keeps concurrent inserts from taking the reserved ids;
// the identity sequence is moved past them at the end.
func (s *Store) bulkPostgres(ctx context.Context, load BulkLoad) ([]int64, error) {
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var counts []int64
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.Background())
		var base int64
		if load.ReserveTable != "" {
			table := pgx.Identifier{load.ReserveTable}.Sanitize()
			if _, err := tx.Exec(ctx, "LOCK TABLE "+table+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, "SELECT COALESCE(max(id), 0) FROM "+table).Scan(&base); err != nil {
				return err
			}
		}
		var ledger *BulkLedger
		if load.ChainLedger {
			if ledger, err = s.openBulkLedger(tx.QueryRow(ctx, bulkHeadLock)); err != nil {
				return err
			}
		}
		tables := load.Tables(base, ledger)
		for _, t := range tables {
			start := time.Now()
			n, err := copyTable(ctx, tx, t, load.Step)
			if err != nil {
				return err
			}
			counts = append(counts, n)
			load.Progress(t.Name, n, time.Since(start))
		}
		if load.ReserveTable != "" {
			if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence($1, 'id'), $2)",
				load.ReserveTable, base+load.ReserveIDs); err != nil {
				return err
			}
		}
		err = s.closeBulkLedger(ctx, ledger, func(ctx context.Context, q string, args ...any) error {
			_, err := tx.Exec(ctx, q, args...)
			return err
		})
		if err != nil {
			return err
		}
		start := time.Now()
		for _, t := range tables {
			if t.Analyze && !t.Vacuum {
				if _, err := tx.Exec(ctx, "ANALYZE "+pgx.Identifier{t.Name}.Sanitize()); err != nil {
					return err
				}
			}
		}
		load.Step("", "analyze", time.Since(start))
		start = time.Now()
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		load.Step("", "commit", time.Since(start))
		// VACUUM cannot run in a transaction: it runs after the commit,
		// when every row it visits is visible to all.
		start = time.Now()
		var vacuum []string
		for _, t := range tables {
			if t.Vacuum {
				vacuum = append(vacuum, t.Name)
			}
		}
		if len(vacuum) > 0 {
			if err := s.vacuumTables(ctx, pc, vacuum); err != nil {
				return err
			}
			load.Step("", "vacuum", time.Since(start))
		}
		return nil
	})
	return counts, err
}

// vacuumTables runs VACUUM (ANALYZE) on each table, the first on pc and
// the others at the same time, each on a connection of its own from the
// pool. Each VACUUM is a transaction of its own on one core of the
// server, so two tables vacuum in the time of the larger rather than of
// both (the seed's customers and consents). With a pool of one
// connection, which pc holds, they run one after another on pc.
func (s *Store) vacuumTables(ctx context.Context, pc *pgx.Conn, tables []string) error {
	vacuum := func(ctx context.Context, c *pgx.Conn, table string) error {
		_, err := c.Exec(ctx, "VACUUM (ANALYZE) "+pgx.Identifier{table}.Sanitize())
		return err
	}
	if limit := s.sqlDB.Stats().MaxOpenConnections; limit == 1 {
		for _, t := range tables {
			if err := vacuum(ctx, pc, t); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make(chan error, len(tables)-1)
	for _, t := range tables[1:] {
		go func() {
			conn, err := s.sqlDB.Conn(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			errs <- conn.Raw(func(dc any) error { return vacuum(ctx, dc.(*stdlib.Conn).Conn(), t) })
		}()
	}
	err := vacuum(ctx, pc, tables[0])
	for range tables[1:] {
		if e := <-errs; err == nil {
			err = e
		}
	}
	return err
}

// copyTable writes one table of a load in tx: its deferred foreign keys
// and indexes dropped, the COPY, then the keys validated and the indexes
// built, each step timed.
func copyTable(ctx context.Context, tx pgx.Tx, t BulkTable, step func(table, step string, elapsed time.Duration)) (int64, error) {
	start := time.Now()
	var (
		fks     []foreignKey
		indexes []secondaryIndex
		err     error
	)
	if t.DeferForeignKeys {
		if fks, err = dropForeignKeys(ctx, tx, t.Name); err != nil {
			return 0, err
		}
	}
	if t.DeferIndexes {
		if indexes, err = dropSecondaryIndexes(ctx, tx, t.Name); err != nil {
			return 0, err
		}
	}
	var n int64
	if t.Chunk != nil {
		n, err = copyChunks(ctx, tx.Conn(), t)
	} else {
		src := newCopySource(ctx, t.Rows)
		n, err = tx.CopyFrom(ctx, pgx.Identifier{t.Name}, t.Columns, src)
		src.stop()
	}
	if err != nil {
		return 0, err
	}
	step(t.Name, "copy", time.Since(start))
	if len(fks) > 0 {
		start = time.Now()
		if err := restoreForeignKeys(ctx, tx, t.Name, fks); err != nil {
			return 0, err
		}
		step(t.Name, "foreign keys", time.Since(start))
	}
	if len(indexes) > 0 {
		start = time.Now()
		if err := buildIndexes(ctx, tx, t.Name, indexes); err != nil {
			return 0, err
		}
		step(t.Name, "indexes", time.Since(start))
	}
	return n, nil
}

// foreignKey is a foreign key constraint as pg_get_constraintdef prints it.
type foreignKey struct{ name, def string }

// dropForeignKeys drops table's foreign keys inside tx and returns them.
func dropForeignKeys(ctx context.Context, tx pgx.Tx, table string) ([]foreignKey, error) {
	rows, err := tx.Query(ctx, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "+
		"WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname", pgx.Identifier{table}.Sanitize())
	if err != nil {
		return nil, err
	}
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (foreignKey, error) {
		var fk foreignKey
		return fk, r.Scan(&fk.name, &fk.def)
	})
	if err != nil {
		return nil, err
	}
	for _, fk := range fks {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{table}.Sanitize()+" DROP CONSTRAINT "+pgx.Identifier{fk.name}.Sanitize()); err != nil {
			return nil, err
		}
	}
	return fks, nil
}

// restoreForeignKeys adds fks back to table NOT VALID, then validates
// each: one anti-join over the table instead of a trigger per row.
func restoreForeignKeys(ctx context.Context, tx pgx.Tx, table string, fks []foreignKey) error {
	t := pgx.Identifier{table}.Sanitize()
	for _, fk := range fks {
		name := pgx.Identifier{fk.name}.Sanitize()
		if _, err := tx.Exec(ctx, "ALTER TABLE "+t+" ADD CONSTRAINT "+name+" "+fk.def+" NOT VALID"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "ALTER TABLE "+t+" VALIDATE CONSTRAINT "+name); err != nil {
			return err
		}
	}
	return nil
}

// copySource adapts a push-style row generator to pgx's pull-style
// CopyFromSource with a goroutine and a small buffer, so generating
// (hashing the ledger) overlaps with sending on the second core.
type copySource struct {
	ch   chan []any
	done chan struct{}
	once sync.Once
	cur  []any
	err  error
	fail chan error
}

func newCopySource(ctx context.Context, rows func(emit func([]any) error) error) *copySource {
	cs := &copySource{ch: make(chan []any, 4096), done: make(chan struct{}), fail: make(chan error, 1)}
	go func() {
		defer close(cs.ch)
		err := rows(func(row []any) error {
			select {
			case cs.ch <- row:
				return nil
			case <-cs.done:
				return context.Canceled
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		cs.fail <- err
	}()
	return cs
}

// Next implements pgx.CopyFromSource.
func (cs *copySource) Next() bool {
	row, ok := <-cs.ch
	if !ok {
		cs.err = <-cs.fail
		cs.stop()
		return false
	}
	cs.cur = row
	return true
}

// stop releases the generator when COPY ends early (a server error), so
// its goroutine does not block forever on a full buffer.
func (cs *copySource) stop() { cs.once.Do(func() { close(cs.done) }) }

// Values implements pgx.CopyFromSource.
func (cs *copySource) Values() ([]any, error) { return cs.cur, nil }

// Err implements pgx.CopyFromSource.
func (cs *copySource) Err() error { return cs.err }
