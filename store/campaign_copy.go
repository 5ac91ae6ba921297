package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
)

// deliveryCopyColumns are the columns a launch writes, in copy order.
var deliveryCopyColumns = []string{"campaign_id", "customer_id", "channel", "locale", "content_id",
	"content_version", "scheduled_at", "status", "reason", "generation", "created_at", "updated_at", "preference_version"}

// copySink writes a PostgreSQL launch's deliveries and exclusions with
// COPY (encoded by copyRows, sent by pgconn through sql.Conn.Raw) on the
// launch transaction's connection, from its own goroutine: while one
// batch is copied (index upkeep is most of a launch's cost), planning
// already reads and decides the next one on another connection. Batches
// circulate between batches and free, so at most copyDepth of them exist
// and their buffers are reused. The transaction's connection is used by
// nobody else until finish returns.
type copySink struct {
	conn    *sql.Conn
	batches chan planRows
	free    chan planRows
	done    chan struct{}
	err     error // set by the writer; read after done is closed
	buf     planRows
	closed  bool
}

// copyDepth is how many batches a launch holds: one filling, one waiting,
// one being copied.
const copyDepth = 3

func newCopySink(ctx context.Context, conn *sql.Conn) *copySink {
	k := &copySink{conn: conn, batches: make(chan planRows, copyDepth), free: make(chan planRows, copyDepth),
		done: make(chan struct{})}
	for range copyDepth - 1 {
		k.free <- planRows{deliveries: make([]deliveryRow, 0, planBatch)}
	}
	k.buf.deliveries = make([]deliveryRow, 0, planBatch)
	go k.write(ctx)
	return k
}

// write copies batches until the channel closes; after an error it only
// drains, and the error ends the launch.
func (k *copySink) write(ctx context.Context) {
	defer close(k.done)
	// One buffer for every batch's encoded rows: a batch of planBatch
	// deliveries is about a megabyte.
	var enc copyRows
	for batch := range k.batches {
		if k.err == nil && len(batch.deliveries) > 0 {
			enc.deliveries(batch.deliveries)
			k.err = k.copy(ctx, deliveryCopy, &enc)
		}
		if k.err == nil && len(batch.exclusions) > 0 {
			enc.exclusions(batch.exclusions)
			k.err = k.copy(ctx, exclusionCopy, &enc)
		}
		k.free <- planRows{deliveries: batch.deliveries[:0], exclusions: batch.exclusions[:0]}
	}
}

func (k *copySink) add(_ context.Context, d deliveryRow) error {
	k.buf.deliveries = append(k.buf.deliveries, d)
	if !k.buf.full() {
		return nil
	}
	return k.send()
}

func (k *copySink) exclude(_ context.Context, e exclusionRow) error {
	k.buf.exclusions = append(k.buf.exclusions, e)
	if !k.buf.full() {
		return nil
	}
	return k.send()
}

func (k *copySink) send() error {
	select {
	case k.batches <- k.buf:
	case <-k.done: // the writer failed and stopped
		return k.err
	}
	select {
	case k.buf = <-k.free:
		return nil
	case <-k.done:
		return k.err
	}
}

// finish sends the last batch and waits until everything is copied.
func (k *copySink) finish(context.Context) error {
	if !k.buf.empty() {
		if err := k.send(); err != nil {
			return err
		}
	}
	k.close()
	return k.err
}

// close stops the writer and waits for it; it is safe to call twice, so a
// failed plan can defer it.
func (k *copySink) close() {
	if !k.closed {
		k.closed = true
		close(k.batches)
	}
	<-k.done
}

// The statements that take copyRows' streams.
var (
	deliveryCopy  = copyStatement("deliveries", deliveryCopyColumns)
	exclusionCopy = copyStatement("campaign_exclusions", exclusionCopyColumns)
)

// copy runs statement with the rows c holds (copyRows) on the
// transaction's connection.
func (k *copySink) copy(ctx context.Context, statement string, c *copyRows) error {
	if c.err != nil {
		return c.err
	}
	return k.conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: COPY needs a pgx connection, got %T", dc)
		}
		_, err := pc.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(c.buf), statement)
		return err
	})
}
