package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/candor/candor/models"
)

// SeedOptions configure Seed.
type SeedOptions struct {
	// Customers is how many customers to add (1..10,000,000).
	Customers int
	// Seed selects the data: the same seed gives the same customers, with
	// external ids "seed<seed>-<n>", so one seed can be loaded only once.
	Seed uint64
	// Progress, if set, is called after each table is written.
	Progress func(table string, rows int64, elapsed time.Duration)
}

// SeedResult counts what Seed wrote.
type SeedResult struct {
	Customers     int64
	ConsentEvents int64
	Consents      int64
}

// MaxSeedCustomers bounds one Seed call.
const MaxSeedCustomers = 10_000_000

// Seed bulk-loads deterministic synthetic customers with their consent
// ledgers (valid hash chains) and current consent rows, in one
// transaction: COPY on PostgreSQL, multi-row INSERTs on SQLite. It writes
// no outbox events: synthetic data is not news to any integration.
// EINVALID for a bad count; ECONFLICT when the seed was already loaded.
func (s *Store) Seed(ctx context.Context, opts SeedOptions) (*SeedResult, error) {
	if opts.Customers < 1 || opts.Customers > MaxSeedCustomers {
		return nil, models.Errorf(models.EINVALID, "The number of customers must be between 1 and %d.", MaxSeedCustomers)
	}
	if opts.Progress == nil {
		opts.Progress = func(string, int64, time.Duration) {}
	}
	var (
		res *SeedResult
		err error
	)
	if s.dialect == DialectPostgres {
		res, err = s.seedPostgres(ctx, opts)
	} else {
		res, err = s.seedSQLite(ctx, opts)
	}
	if err != nil {
		return nil, mapError(err, "Seed customer")
	}
	return res, nil
}

// seedTable streams the rows of one table for customers with ids
// base+1 .. base+n.
type seedTable struct {
	name    string
	columns []string
	rows    func(emit func([]any) error) error
}

// seedTables describes the three tables a seed fills. Each regenerates
// the customers from (seed, i), so nothing is held in memory.
func seedTables(seed uint64, n int, base int64) []seedTable {
	each := func(withHashes bool, fn func(sc seedCustomer, emit func([]any) error) error) func(emit func([]any) error) error {
		return func(emit func([]any) error) error {
			for i := range n {
				if err := fn(generateCustomer(seed, i, base+int64(i)+1, withHashes), emit); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return []seedTable{
		{"customers", []string{"id", "external_id", "email", "phone", "name", "locale", "timezone", "preferred_channel",
			"preferred_windows", "cadence", "attributes", "preference_version", "suppressed", "consent_seq", "created_at", "updated_at"},
			each(false, func(sc seedCustomer, emit func([]any) error) error {
				r := sc.row
				var cadence any
				if r.Cadence != nil {
					cadence = *r.Cadence
				}
				return emit([]any{r.ID, *r.ExternalID, r.Email, r.Phone, r.Name, r.Locale, r.Timezone, r.PreferredChannel,
					r.PreferredWindows, cadence, r.Attributes, r.PreferenceVersion, false, r.ConsentSeq, r.CreatedAt, r.UpdatedAt})
			})},
		{"consent_events", []string{"customer_id", "seq", "topic", "status", "source", "evidence_text", "evidence_form_version",
			"ip_digest", "user_agent_digest", "created_at", "prev_hash", "hash"},
			each(true, func(sc seedCustomer, emit func([]any) error) error {
				for _, e := range sc.events {
					err := emit([]any{e.CustomerID, e.Seq, e.Topic, string(e.Status), string(e.Source), e.Evidence.Text,
						e.Evidence.FormVersion, "", "", e.CreatedAt, e.PrevHash, e.Hash})
					if err != nil {
						return err
					}
				}
				return nil
			})},
		{"consents", []string{"customer_id", "topic", "status", "source", "seq", "updated_at"},
			each(false, func(sc seedCustomer, emit func([]any) error) error {
				// The current state is each topic's last event.
				last := map[string]int{}
				order := []string{}
				for i, e := range sc.events {
					if _, ok := last[e.Topic]; !ok {
						order = append(order, e.Topic)
					}
					last[e.Topic] = i
				}
				for _, topic := range order {
					e := sc.events[last[topic]]
					if err := emit([]any{e.CustomerID, e.Topic, string(e.Status), string(e.Source), e.Seq, e.CreatedAt}); err != nil {
						return err
					}
				}
				return nil
			})},
	}
}

// seedPostgres COPYs the tables in one transaction on one pgx connection.
// The table lock keeps concurrent inserts from taking the ids reserved
// here; the identity sequence is moved past them at the end.
func (s *Store) seedPostgres(ctx context.Context, opts SeedOptions) (*SeedResult, error) {
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	res := &SeedResult{}
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.Background())
		if _, err := tx.Exec(ctx, "LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return err
		}
		var base int64
		if err := tx.QueryRow(ctx, "SELECT COALESCE(max(id), 0) FROM customers").Scan(&base); err != nil {
			return err
		}
		counts := []*int64{&res.Customers, &res.ConsentEvents, &res.Consents}
		for i, t := range seedTables(opts.Seed, opts.Customers, base) {
			start := time.Now()
			src := newCopySource(ctx, t.rows)
			n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, src)
			src.stop()
			if err != nil {
				return err
			}
			*counts[i] = n
			opts.Progress(t.name, n, time.Since(start))
		}
		if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence('customers', 'id'), $1)", base+int64(opts.Customers)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "ANALYZE customers"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "ANALYZE consents"); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	return res, err
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

// seedBatch is the rows per INSERT on SQLite: 16 columns x 500 rows stays
// well under SQLite's 32,766 parameter limit.
const seedBatch = 500

// seedSQLite inserts the tables in batches inside one immediate
// transaction, which also reserves the ids.
func (s *Store) seedSQLite(ctx context.Context, opts SeedOptions) (*SeedResult, error) {
	tx, err := s.sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var base int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(max(id), 0) FROM customers").Scan(&base); err != nil {
		return nil, err
	}
	res := &SeedResult{}
	counts := []*int64{&res.Customers, &res.ConsentEvents, &res.Consents}
	for i, t := range seedTables(opts.Seed, opts.Customers, base) {
		start := time.Now()
		n, err := insertBatches(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		*counts[i] = n
		opts.Progress(t.name, n, time.Since(start))
	}
	return res, tx.Commit()
}

func insertBatches(ctx context.Context, tx *sql.Tx, t seedTable) (int64, error) {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.columns)), ", ") + ")"
	head := "INSERT INTO " + t.name + " (" + strings.Join(t.columns, ", ") + ") VALUES "
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
			return fmt.Errorf("insert %s: %w", t.name, err)
		}
		total += int64(rows)
		args, rows = args[:0], 0
		return nil
	}
	err := t.rows(func(values []any) error {
		args = append(args, values...)
		if rows++; rows == seedBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return total, err
}
