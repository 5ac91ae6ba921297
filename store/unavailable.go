package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// unavailableError is a driver error that says the database cannot serve
// the request now (connection lost, no connection free, statement
// timeout), not that the request is wrong. It reads as EUNAVAILABLE to
// models.ErrorCode (the API answers 503 with Retry-After) and still
// unwraps to the driver's error for logs and retry decisions.
type unavailableError struct {
	cause error
	// msg is the message the API shows; "" is the generic one.
	msg string
}

// Error implements error.
func (e *unavailableError) Error() string { return "store: database unavailable: " + e.cause.Error() }

// Unwrap returns the driver's error.
func (e *unavailableError) Unwrap() error { return e.cause }

// As lets errors.As find a coded EUNAVAILABLE error in the chain.
func (e *unavailableError) As(target any) bool {
	if p, ok := target.(**models.Error); ok {
		msg := e.msg
		if msg == "" {
			msg = "The database is not available right now; retry shortly."
		}
		*p = models.Errorf(models.EUNAVAILABLE, "%s", msg)
		return true
	}
	return false
}

// unavailable wraps err when it is a loss of the database, and returns it
// unchanged otherwise.
func unavailable(err error) error {
	var u *unavailableError
	if err == nil || errors.As(err, &u) || !isUnavailable(err) {
		return err
	}
	return &unavailableError{cause: err}
}

// isUnavailable reports whether err says the database could not serve
// the statement: PostgreSQL's connection exceptions (class 08), an
// administrator or crash shutdown of the backend (57P01-57P03), a
// statement timeout (57014 with that message), too many connections (53300), a
// dropped or refused connection, a context deadline (a statement
// timeout on either backend, or waiting too long for a free connection
// of the pool), or SQLite's busy timeout. A cancelled context is not: the
// client left.
func isUnavailable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// 57014 also ends a COPY the client aborted and a statement
		// the client cancelled: only the timeout is the database's.
		timeout := pg.Code == "57014" && strings.Contains(pg.Message, "statement timeout")
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" ||
			pg.Code == "57P03" || timeout || pg.Code == "53300"
	}
	// SQLite's busy timeout ran out: another writer (a launch, another
	// process) held the database for longer.
	var sc sqliteCoder
	if errors.As(err, &sc) && sc.Code()&0xff == sqliteBusy {
		return true
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.As(err, &ce), errors.As(err, &ne), pgconn.SafeToRetry(err):
		return true
	}
	return strings.Contains(err.Error(), "conn closed")
}

// registerUnavailable marks connection losses on every gorm statement, so
// the paths that do not go through mapError answer 503 too.
func registerUnavailable(db *gorm.DB) error {
	mark := func(tx *gorm.DB) {
		if tx.Error != nil {
			tx.Error = unavailable(tx.Error)
		}
	}
	cb := db.Callback()
	for name, err := range map[string]error{
		"create": cb.Create().After("gorm:create").Register("candor:unavailable", mark),
		"query":  cb.Query().After("gorm:query").Register("candor:unavailable", mark),
		"update": cb.Update().After("gorm:update").Register("candor:unavailable", mark),
		"delete": cb.Delete().After("gorm:delete").Register("candor:unavailable", mark),
		"row":    cb.Row().After("gorm:row").Register("candor:unavailable", mark),
		"raw":    cb.Raw().After("gorm:raw").Register("candor:unavailable", mark),
	} {
		if err != nil {
			return errors.New("store: register " + name + " callback: " + err.Error())
		}
	}
	return nil
}
