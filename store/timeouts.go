package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// cancelDeadlineDelay is how long a PostgreSQL connection whose context
// ended waits for the server to confirm the cancel request before pgx
// gives the connection up. Closing the socket alone does not stop a
// query: the server notices a vanished client only when it next writes,
// which a long count(*) does at its very end.
const cancelDeadlineDelay = 5 * time.Second

// openPostgres opens the pool for url. Every connection starts with the
// statement timeout as its default (0: the server's), and a context that
// ends sends the server a cancel request for the running statement:
// pgx's default only sets a deadline on the socket, and issue 15 found
// seven previews still running 20 s after their clients had left.
func openPostgres(url string, statementTimeout time.Duration) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, models.Errorf(models.EINVALID, "store: invalid database URL: %s", redact(err))
	}
	if _, set := cfg.RuntimeParams["statement_timeout"]; !set && statementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(statementTimeout.Milliseconds(), 10)
	}
	if _, set := cfg.RuntimeParams["jit"]; !set {
		// JIT compilation pays off for statements running for many
		// seconds over wide rows; Candor's are short or paged, and JIT
		// spent 19 functions' compile time on every segment count and 27
		// on every page of planning (issue 17). An explicit jit in the URL
		// wins.
		cfg.RuntimeParams["jit"] = "off"
	}
	cfg.BuildContextWatcherHandler = func(conn *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: conn, DeadlineDelay: cancelDeadlineDelay}
	}
	return stdlib.OpenDB(*cfg), nil
}

// previewing runs fn, a preview's reads, under the preview timeout: fn's
// context ends when it is spent (on SQLite that interrupts the statement,
// see sqliteConnector), and on PostgreSQL fn runs in a read-only
// transaction whose statements carry it as their statement_timeout, so
// the server stops them even if the cancel request never arrives. A
// preview that runs out of time is EUNAVAILABLE naming the limit.
func (s *Store) previewing(ctx context.Context, fn func(ctx context.Context, db *gorm.DB) error) error {
	return s.previewingOn(ctx, func(ctx context.Context, r planReads) error { return fn(ctx, r.db) })
}

// previewingOn is previewing for a campaign preview, whose pages are read
// with pgx: on PostgreSQL the transaction runs on one dedicated
// connection, and r.pg reaches that connection (inside the transaction,
// under its timeout), so a preview holds one pooled connection, never two.
func (s *Store) previewingOn(ctx context.Context, fn func(ctx context.Context, r planReads) error) error {
	tctx, cancel := ctx, context.CancelFunc(func() {})
	if s.previewTimeout > 0 {
		tctx, cancel = context.WithTimeout(ctx, s.previewTimeout)
	}
	defer cancel()
	var err error
	switch {
	case s.dialect != DialectPostgres:
		// No transaction: on SQLite it would take the write lock.
		err = fn(tctx, planReads{db: s.db.WithContext(tctx)})
	case s.previewTimeout <= 0:
		err = fn(tctx, planReads{db: s.db.WithContext(tctx), pg: s.withPgxReadTx})
	default:
		err = s.db.WithContext(tctx).Connection(func(conn *gorm.DB) error {
			sqlConn, ok := conn.Statement.ConnPool.(*sql.Conn)
			if !ok {
				return fmt.Errorf("store: a preview needs a dedicated connection, got %T", conn.Statement.ConnPool)
			}
			pg := func(_ context.Context, fn func(*pgx.Conn) error) error { return rawPgx(sqlConn, fn) }
			return conn.Transaction(func(tx *gorm.DB) error {
				set := "SET LOCAL statement_timeout = " + strconv.FormatInt(s.previewTimeout.Milliseconds(), 10)
				if err := tx.Exec(set).Error; err != nil {
					return err
				}
				return fn(tctx, planReads{db: tx, pg: pg})
			}, &sql.TxOptions{ReadOnly: true})
		})
	}
	if err != nil && ctx.Err() != nil {
		// The client left: PostgreSQL answers the cancel request with
		// query_canceled, which is not the client's concern.
		return ctx.Err()
	}
	if err != nil && s.previewTimeout > 0 && (tctx.Err() != nil || models.ErrorCode(err) == models.EUNAVAILABLE) {
		return models.Errorf(models.EUNAVAILABLE,
			"The preview took longer than its limit of %s and was stopped: narrow the rule, or retry when the database is less busy.", s.previewTimeout)
	}
	return err
}

// isStatementTimeout reports PostgreSQL's query_canceled (57014) for a
// statement_timeout. The same code also answers a cancel request (the
// client left) and a failed COPY, which are not timeouts.
func isStatementTimeout(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "57014" && strings.Contains(pg.Message, "statement timeout")
}

// timeoutError is mapError's answer to a statement the server stopped.
func timeoutError(what string, cause error) error {
	return &unavailableError{cause: cause,
		msg: fmt.Sprintf("%s took longer than the database's statement timeout and was stopped; retry later.", what)}
}
