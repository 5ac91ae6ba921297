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
// the next one on another connection. At most two batches wait, so memory
// stays bounded. The transaction's connection is used by nobody else
// until finish returns.
type copySink struct {
	conn    *sql.Conn
	batches chan planRows
	done    chan struct{}
	err     error // set by the writer; read after done is closed
	buf     planRows
	closed  bool
}

func newCopySink(ctx context.Context, conn *sql.Conn) *copySink {
	k := &copySink{conn: conn, batches: make(chan planRows, 2), done: make(chan struct{})}
	k.buf.deliveries = make([]*deliveryRow, 0, planBatch)
	go k.write(ctx)
	return k
}

// write copies batches until the channel closes; after an error it only
// drains, and the error ends the launch.
func (k *copySink) write(ctx context.Context) {
	defer close(k.done)
	for batch := range k.batches {
		if k.err == nil && len(batch.deliveries) > 0 {
			k.err = k.copy(ctx, "deliveries", deliveryCopyColumns, deliveryCopyRows(batch.deliveries))
		}
		if k.err == nil && len(batch.exclusions) > 0 {
			k.err = k.copy(ctx, "campaign_exclusions", exclusionCopyColumns, exclusionCopyRows(batch.exclusions))
		}
	}
}

func (k *copySink) add(_ context.Context, d *deliveryRow) error {
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
		k.buf = planRows{deliveries: make([]*deliveryRow, 0, planBatch)}
		return nil
	case <-k.done: // the writer failed and stopped
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

func deliveryCopyRows(batch []*deliveryRow) [][]any {
	rows := make([][]any, len(batch))
	for i, d := range batch {
		rows[i] = []any{d.CampaignID, d.CustomerID, d.Channel, d.Locale, d.ContentID, d.ContentVersion,
			d.ScheduledAt, d.Status, d.Reason, d.Generation, d.CreatedAt, d.UpdatedAt, d.PreferenceVersion}
	}
	return rows
}

func exclusionCopyRows(batch []exclusionRow) [][]any {
	rows := make([][]any, len(batch))
	for i, e := range batch {
		rows[i] = []any{e.CampaignID, e.CustomerID, e.Reason}
	}
	return rows
}

// copy COPYs rows into table on the transaction's connection.
func (k *copySink) copy(ctx context.Context, table string, columns []string, rows [][]any) error {
	return k.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: COPY needs a pgx connection, got %T", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		return err
	})
}
