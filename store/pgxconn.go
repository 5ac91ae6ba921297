package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// withPgx runs fn on the pgx connection under one pooled connection, held
// until fn returns. Hot paths (planning's page reads, COPY) use pgx
// directly: scanning through gorm's reflection was a quarter of a large
// preview's CPU (issue 17). gorm stays for everything else. Only for
// PostgreSQL; fn must not keep the connection after it returns.
func (s *Store) withPgx(ctx context.Context, fn func(*pgx.Conn) error) error {
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return rawPgx(conn, fn)
}

// rawPgx runs fn on the pgx connection of conn: inside the transaction
// conn holds, if any. database/sql locks the connection meanwhile, so
// nothing else may use conn until fn returns.
func rawPgx(conn *sql.Conn, fn func(*pgx.Conn) error) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: pgx needs a PostgreSQL connection, got %T", dc)
		}
		return fn(c.Conn())
	})
}

// withPgxReadTx is withPgx inside a read-only transaction, for reads
// that set their own SET LOCAL options: planning's audience, read by a
// launch (and a preview with no limit of its own) as one statement that
// streams its rows as fast as the plan takes them. That statement lasts
// as long as the whole plan, so the pool's statement_timeout
// (CANDOR_DB_STATEMENT_TIMEOUT, which bounded each page when every page
// was a statement) would stop a large launch part way: the transaction
// lifts it. The plan stays bounded by its context (the request's, or a
// preview's own limit in previewingOn, which keeps its statement_timeout).
func (s *Store) withPgxReadTx(ctx context.Context, fn func(*pgx.Conn) error) error {
	return s.withPgx(ctx, func(c *pgx.Conn) error {
		return pgx.BeginTxFunc(ctx, c, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
				return err
			}
			return fn(c)
		})
	})
}
