package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// pipeTx is a PostgreSQL transaction on one pooled connection whose
// statements are sent in pipelined batches: BEGIN travels with the first
// batch and COMMIT with the last, so a read-decide-write transaction
// costs two round trips. Through gorm a customer PUT was six (BEGIN, the
// locking read, the suppression check, the write, the outbox insert,
// COMMIT), and each round trip is a wake-up of the server process and of
// this one, which on a busy machine costs more than the statements
// (issue 17). An implicit pipeTx sends neither BEGIN nor COMMIT.
type pipeTx struct {
	ctx  context.Context
	s    *Store
	conn *pgx.Conn
	// begun: BEGIN was sent. commitSent: COMMIT was sent, so a lost
	// connection leaves it unknown whether the transaction committed.
	begun, commitSent bool
	// implicit: no BEGIN or COMMIT is sent, so each batch is a
	// transaction of its own (PostgreSQL commits a pipeline's statements
	// at its Sync), for work that needs no transaction across batches.
	// A batch sent with commit set may then have committed, as above.
	implicit bool
}

// send sends b as one round trip, with BEGIN in front when it is the
// transaction's first batch and COMMIT behind when commit is set. The
// callbacks queued on b (QueuedQuery.Query, QueryRow, Exec) run before
// send returns; the first error of any statement or callback is
// returned, and PostgreSQL then skipped the rest of b.
func (t *pipeTx) send(b *pgx.Batch, commit bool) error {
	full := b
	if t.implicit {
		t.commitSent = t.commitSent || commit
	} else if !t.begun {
		full = &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries)+2)}
		full.Queue("begin")
		full.QueuedQueries = append(full.QueuedQueries, b.QueuedQueries...)
		t.begun = true
	}
	if commit && !t.implicit {
		full.Queue("commit")
		t.commitSent = true
	}
	query := ""
	if t.s.tracer != nil {
		sqls := make([]string, len(full.QueuedQueries))
		for i, q := range full.QueuedQueries {
			sqls[i] = q.SQL
		}
		query = strings.Join(sqls, ";\n")
	}
	ctx, end := t.s.traceStatement(t.ctx, "BATCH", "customers", query)
	err := t.conn.SendBatch(ctx, full).Close()
	end(err)
	return err
}

// commit ends a transaction that wrote nothing (none is open when
// implicit).
func (t *pipeTx) commit() error {
	if t.implicit {
		return nil
	}
	t.commitSent = true
	_, err := t.conn.Exec(t.ctx, "commit")
	return err
}

// abort rolls back what a failed transaction left open. A connection
// that cannot be rolled back (closed, or the context ended) is left to
// the pool, which discards connections that are not idle
// (stdlib.Conn.ResetSession).
func (t *pipeTx) abort() {
	pc := t.conn.PgConn()
	if pc.IsClosed() || pc.TxStatus() == 'I' {
		return
	}
	_, _ = t.conn.Exec(t.ctx, "rollback")
}

// mayHaveCommitted reports whether err, the failure of the transaction,
// leaves open whether it committed: COMMIT was sent and the connection
// failed rather than PostgreSQL answering with an error (an error
// answer means the pipeline stopped before COMMIT took effect).
func (t *pipeTx) mayHaveCommitted(err error) bool {
	var pg *pgconn.PgError
	return t.commitSent && !errors.As(err, &pg)
}

// pipelined runs fn in a pipeTx on PostgreSQL and retries it the way tx
// retries a gorm transaction: after a serialization failure or deadlock,
// after a unique violation when retryUnique is set (an upsert whose
// "does it exist" read raced another insert), and once after a lost
// connection, unless COMMIT may already have taken effect (then the
// error is EUNAVAILABLE, as for a failed COMMIT in tx).
func (s *Store) pipelined(ctx context.Context, retryUnique bool, fn func(t *pipeTx) error) error {
	var err error
	lost := 0
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		t := &pipeTx{ctx: ctx, s: s}
		err = s.withPgx(ctx, func(c *pgx.Conn) error {
			t.conn = c
			err := fn(t)
			if err != nil {
				t.abort()
			}
			return err
		})
		if err == nil {
			return nil
		}
		if isUnavailable(err) && ctx.Err() == nil && lost == 0 && !t.mayHaveCommitted(err) {
			lost++
			continue
		}
		if !(isTransient(err) || (retryUnique && isUniqueViolation(err))) {
			return unavailable(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	return err
}

// traceStatement starts the span of a statement (or a pipelined batch
// of them) sent with pgx, which EnableTracing's gorm callbacks do not
// see: named like theirs, holding the SQL with its placeholders only.
// The returned function ends it. Without tracing it costs nothing.
func (s *Store) traceStatement(ctx context.Context, op, table, query string) (context.Context, func(error)) {
	if s.tracer == nil {
		return ctx, func(error) {}
	}
	ctx, span := s.tracer.Start(ctx, op+" "+table, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql"), attribute.String("db.operation.name", op),
			attribute.String("db.query.text", query)))
	return ctx, func(err error) {
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			span.RecordError(err)
			span.SetStatus(codes.Error, "statement failed")
		}
		span.End()
	}
}
