package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"reflect"
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// A cancelled request must stop its SQLite query (issue 15), as a
// PostgreSQL one does through pgx's cancel request. The driver
// (glebarez/go-sqlite) interrupts the connection only while its Query
// call runs, but it prepares there and leaves every step of the
// statement, where SQLite does the work, to rows.Next: a count over a
// large table kept running for 30 s after its client had left, holding
// its pooled connection. sqliteConnector wraps the driver's connections
// so that a query's context interrupts it (sqlite3_interrupt) for as long
// as its rows are open. Exec needs nothing: the driver watches the context
// for the whole call.

// sqliteConnector opens the driver's connections to dsn, wrapped.
type sqliteConnector struct {
	drv driver.Driver
	dsn string
}

// openSQLite returns a pool of wrapped connections to dsn.
func openSQLite(dsn string) (*sql.DB, error) {
	// The driver registers itself as "sqlite" (imported by the gorm
	// dialector); sql.Open only looks it up, it connects to nothing.
	probe, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close()
	return sql.OpenDB(sqliteConnector{drv: drv, dsn: dsn}), nil
}

// Connect opens one connection and finds its SQLite handle.
func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	inner, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	db, err := sqliteHandle(inner)
	if err != nil {
		inner.Close()
		return nil, err
	}
	conn, ok := inner.(sqliteInnerConn)
	if !ok {
		inner.Close()
		return nil, fmt.Errorf("store: the SQLite driver's connection %T lacks the context methods", inner)
	}
	return &sqliteConn{inner: conn, db: db}, nil
}

// Driver returns the wrapped driver.
func (c sqliteConnector) Driver() driver.Driver { return c.drv }

// sqliteHandle reads the sqlite3* of a driver connection. The driver
// keeps it in an unexported field and offers no interrupt of its own
// outside Query, so it is read by reflection, once per connection; a
// driver version that renamed the field fails here, at Open, rather than
// leaving queries uninterruptible (TestACancelledQueryStopsAndFreesItsConnection
// pins the behaviour).
func sqliteHandle(conn driver.Conn) (uintptr, error) {
	v := reflect.ValueOf(conn)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("db"); f.IsValid() && f.Kind() == reflect.Uintptr && f.Uint() != 0 {
			return uintptr(f.Uint()), nil
		}
	}
	return 0, fmt.Errorf("store: cannot find the SQLite handle of %T: this SQLite driver version is not supported", conn)
}

// sqliteInnerConn is what database/sql uses of the driver's connection.
type sqliteInnerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
}

// sqliteConn is a driver connection whose queries a context interrupts.
type sqliteConn struct {
	inner sqliteInnerConn
	db    uintptr
	// mu orders interrupts against the end of the rows they target and
	// against Close: an interrupt after its rows closed could stop the
	// connection's next statement, and one after Close would touch freed
	// memory.
	mu     sync.Mutex
	closed bool
}

// interrupt stops the statement that r reads, if r is still open.
func (c *sqliteConn) interrupt(r *sqliteRows) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || r.done {
		return
	}
	// A TLS of its own: the connection's belongs to the goroutine
	// stepping the statement, and a libc.TLS is not safe for concurrent
	// use (modernc.org/sqlite does the same since v1.60).
	tls := libc.NewTLS()
	sqlite3.Xsqlite3_interrupt(tls, c.db)
	tls.Close()
}

// Prepare implements driver.Conn.
func (c *sqliteConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext prepares a statement whose rows ctx interrupts.
func (c *sqliteConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	inner, ok := st.(sqliteInnerStmt)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("store: the SQLite driver's statement %T lacks the context methods", st)
	}
	return &sqliteStmt{sqliteInnerStmt: inner, c: c}, nil
}

// Close closes the connection; no interrupt reaches it after.
func (c *sqliteConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return c.inner.Close()
}

// Begin implements driver.Conn.
func (c *sqliteConn) Begin() (driver.Tx, error) {
	return c.inner.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx implements driver.ConnBeginTx.
func (c *sqliteConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}

// Ping implements driver.Pinger.
func (c *sqliteConn) Ping(ctx context.Context) error { return c.inner.Ping(ctx) }

// ExecContext implements driver.ExecerContext: the driver watches ctx
// for the whole call.
func (c *sqliteConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.inner.ExecContext(ctx, query, args)
}

// QueryContext implements driver.QueryerContext; ctx interrupts the
// query until its rows are closed.
func (c *sqliteConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.inner.QueryContext(ctx, query, args)
	return c.watch(ctx, rows, err)
}

// watch makes ctx interrupt rows until they are closed.
func (c *sqliteConn) watch(ctx context.Context, rows driver.Rows, err error) (driver.Rows, error) {
	if err != nil || ctx.Done() == nil {
		return rows, err
	}
	inner, ok := rows.(sqliteInnerRows)
	if !ok {
		rows.Close()
		return nil, fmt.Errorf("store: the SQLite driver's rows %T lack the column type methods", rows)
	}
	r := &sqliteRows{sqliteInnerRows: inner, c: c, ctx: ctx}
	r.stop = context.AfterFunc(ctx, func() { c.interrupt(r) })
	return r, nil
}

// sqliteInnerStmt is what database/sql uses of the driver's statement.
type sqliteInnerStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// sqliteStmt is a prepared statement whose rows a context interrupts.
type sqliteStmt struct {
	sqliteInnerStmt
	c *sqliteConn
}

// QueryContext implements driver.StmtQueryContext; ctx interrupts the
// query until its rows are closed.
func (s *sqliteStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.sqliteInnerStmt.QueryContext(ctx, args)
	return s.c.watch(ctx, rows, err)
}

// sqliteInnerRows is the driver's rows with the column types gorm reads.
type sqliteInnerRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// sqliteRows are rows whose context interrupts their statement.
type sqliteRows struct {
	sqliteInnerRows
	c    *sqliteConn
	ctx  context.Context
	stop func() bool
	done bool // guarded by c.mu
}

// Next steps the statement. An interrupted step answers the context's
// error, as a cancelled PostgreSQL query does, not SQLITE_INTERRUPT.
func (r *sqliteRows) Next(dest []driver.Value) error {
	err := r.sqliteInnerRows.Next(dest)
	if err != nil && err != io.EOF && r.ctx.Err() != nil {
		return r.ctx.Err()
	}
	return err
}

// Close ends the watch before the statement: no interrupt can reach the
// connection's next statement.
func (r *sqliteRows) Close() error {
	r.c.mu.Lock()
	r.done = true
	r.c.mu.Unlock()
	r.stop()
	return r.sqliteInnerRows.Close()
}
