package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// deliveryCopyColumns are the columns a launch writes, in copy order.
var deliveryCopyColumns = []string{"campaign_id", "customer_id", "channel", "locale", "content_id",
	"content_version", "scheduled_at", "status", "reason", "generation", "created_at", "updated_at", "preference_version"}

// copySink writes a PostgreSQL launch's deliveries and exclusions with
// COPY (pgx CopyFrom through sql.Conn.Raw) on the launch transaction's
// connection, from its own goroutine: while one batch is copied (index
// upkeep is most of a launch's cost), planning already reads and decides
// the next one on another connection. Batches circulate between batches
// and free, so at most copyDepth of them exist and their buffers are
// reused. The transaction's connection is used by nobody else until
// finish returns.
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
	var ds deliverySource
	var es exclusionSource
	for batch := range k.batches {
		if k.err == nil && len(batch.deliveries) > 0 {
			ds = deliverySource{rows: batch.deliveries}
			k.err = k.copy(ctx, "deliveries", deliveryCopyColumns, &ds)
		}
		if k.err == nil && len(batch.exclusions) > 0 {
			es = exclusionSource{rows: batch.exclusions}
			k.err = k.copy(ctx, "campaign_exclusions", exclusionCopyColumns, &es)
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

// deliverySource is a pgx.CopyFromSource over a batch of deliveries; it
// reuses one row of values (CopyFrom encodes a row before the next).
type deliverySource struct {
	rows []deliveryRow
	i    int
	vals [13]any
}

func (s *deliverySource) Next() bool { s.i++; return s.i <= len(s.rows) }

func (s *deliverySource) Values() ([]any, error) {
	d := &s.rows[s.i-1]
	s.vals = [13]any{d.CampaignID, d.CustomerID, d.Channel, d.Locale, d.ContentID, d.ContentVersion,
		d.ScheduledAt, d.Status, d.Reason, d.Generation, d.CreatedAt, d.UpdatedAt, d.PreferenceVersion}
	return s.vals[:], nil
}

func (s *deliverySource) Err() error { return nil }

// exclusionSource is deliverySource for exclusions.
type exclusionSource struct {
	rows []exclusionRow
	i    int
	vals [3]any
}

func (s *exclusionSource) Next() bool { s.i++; return s.i <= len(s.rows) }

func (s *exclusionSource) Values() ([]any, error) {
	e := &s.rows[s.i-1]
	s.vals = [3]any{e.CampaignID, e.CustomerID, e.Reason}
	return s.vals[:], nil
}

func (s *exclusionSource) Err() error { return nil }

// copy COPYs rows into table on the transaction's connection.
func (k *copySink) copy(ctx context.Context, table string, columns []string, rows pgx.CopyFromSource) error {
	return k.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: COPY needs a pgx connection, got %T", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, rows)
		return err
	})
}
