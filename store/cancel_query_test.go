package store_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gosqlite "github.com/glebarez/go-sqlite"
	"gorm.io/gorm"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/store"
)

// A probe counts the rows a query has made and, at row cancelAt, ends the
// query's context from inside the query: the test knows the query is
// running, and where, without timing anything.
type probe struct {
	rows     atomic.Int64
	cancelAt int64
	cancel   context.CancelFunc
}

// probes holds the probe of each running test, by token.
var probes sync.Map

// candor_test_probe(token, x) is true; it feeds token's probe. SQLite
// only: PostgreSQL tests watch pg_stat_activity instead.
func init() {
	gosqlite.MustRegisterScalarFunction("candor_test_probe", 2,
		func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			token, _ := args[0].(string)
			v, ok := probes.Load(token)
			if !ok {
				return nil, fmt.Errorf("no probe %q", token)
			}
			p := v.(*probe)
			if p.rows.Add(1) == p.cancelAt {
				p.cancel()
			}
			return int64(1), nil
		})
}

// probeRows is how many rows the probed queries would make if nothing
// stopped them: seconds of work, against the thousand before the cancel.
const probeRows = 5_000_000

// numbers is a recursive CTE of probeRows rows, made one at a time.
const numbers = `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) `

// TestACancelledQueryStopsAndFreesItsConnection reproduces issue 15 on
// SQLite: the driver interrupted a query only while its Query call ran,
// but SQLite does the work in the steps that rows.Next takes, so a count
// whose client had left ran for 30 s more, holding its connection. Each
// query here is cancelled from inside after 1,000 of its 5,000,000 rows;
// it must answer context.Canceled, have stopped (the probe counted far
// fewer than all rows), and leave the only connection of the pool usable
// by the next statements, which no stale interrupt may stop.
func TestACancelledQueryStopsAndFreesItsConnection(t *testing.T) {
	tests := []struct {
		name string
		run  func(ctx context.Context, db *gorm.DB, token string) error
	}{
		{"a count, whose first step does all the work", func(ctx context.Context, db *gorm.DB, token string) error {
			var n int64
			return db.WithContext(ctx).Raw(numbers+`SELECT count(*) FROM n WHERE candor_test_probe(?, x)`,
				probeRows, token).Scan(&n).Error
		}},
		{"a scan, whose second row is far from its first", func(ctx context.Context, db *gorm.DB, token string) error {
			rows, err := db.WithContext(ctx).Raw(numbers+`SELECT x FROM n WHERE candor_test_probe(?, x) AND (x = 1 OR x = ?)`,
				probeRows, token, probeRows).Rows()
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
			}
			return rows.Err()
		}},
		{"a count in a transaction, as a launch reads", func(ctx context.Context, db *gorm.DB, token string) error {
			return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				var n int64
				return tx.Raw(numbers+`SELECT count(*) FROM n WHERE candor_test_probe(?, x)`, probeRows, token).Scan(&n).Error
			})
		}},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		s := mustOpenOptions(t, backend, func(o *store.Options) { o.MaxConns = 1 })
		if backend == testenv.Postgres {
			cancelledOnPostgres(t, s)
			return
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				p := &probe{cancelAt: 1000, cancel: cancel}
				probes.Store(t.Name(), p)
				defer probes.Delete(t.Name())

				err := tt.run(ctx, s.DB(), t.Name())
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error = %v, want context.Canceled", err)
				}
				if n := p.rows.Load(); n < p.cancelAt || n >= probeRows {
					t.Errorf("the query made %d of its %d rows: it was cancelled at %d and should have stopped",
						n, probeRows, p.cancelAt)
				} else {
					t.Logf("stopped after %d of %d rows", n, probeRows)
				}
				wantConnectionFree(t, s)
			})
		}
	})
}

// cancelledOnPostgres is the same check on PostgreSQL, which has no
// probe function: the count of a billion numbers is cancelled once
// pg_stat_activity shows it running, and must be gone from it after.
// (Not generate_series: PostgreSQL 15 ignored a cancel request that
// reached its count within the first second, with plain pgx too.)
func cancelledOnPostgres(t *testing.T, s *store.Store) {
	count := numbers + `SELECT count(*) FROM n /* cancel-probe */`
	watcher := mustOpen(t, testenv.Postgres)
	running := func() int64 {
		var n int64
		err := watcher.DB().Raw(`SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
			AND pid <> pg_backend_pid() AND query LIKE '%/* cancel-probe */%' AND query NOT LIKE '%pg_stat_activity%'`).Scan(&n).Error
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		var n int64
		done <- s.DB().WithContext(ctx).Raw(count, 1_000_000_000).Scan(&n).Error
	}()
	for running() == 0 {
		select {
		case err := <-done:
			t.Fatalf("the count ended before it was cancelled: %v", err)
		case <-time.After(10 * time.Millisecond): // until the count runs in the server
		}
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("the cancelled count succeeded")
	}
	wantConnectionFree(t, s)
	if n := running(); n != 0 {
		t.Errorf("%d cancelled counts still run in the server", n)
	}
}

// wantConnectionFree runs statements on s's pool (of one connection) and
// fails if any of them fails: the cancelled query must have given the
// connection back, and no late interrupt may reach these.
func wantConnectionFree(t *testing.T, s *store.Store) {
	t.Helper()
	// A context that can end, so the driver watches these too.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 3 {
		var n int64
		err := s.DB().WithContext(ctx).Raw(numbers+`SELECT count(*) FROM n`, 10_000).Scan(&n).Error
		if err != nil || n != 10_000 {
			t.Fatalf("statement %d after the cancelled query: n = %d, err = %v", i+1, n, err)
		}
	}
}

// BenchmarkCustomerReadWithACancellableContext is what watching a
// query's context costs a small read on SQLite (allocations are the
// figure to compare; time on a shared machine is not): go test ./store
// -run '^$' -bench CustomerReadWithACancellableContext -benchmem.
func BenchmarkCustomerReadWithACancellableContext(b *testing.B) {
	s := mustOpen(b, testenv.SQLite)
	mustPutCustomer(b, s, customerInput("crm-1"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Customer(ctx, "crm-1"); err != nil {
			b.Fatal(err)
		}
	}
}
