package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// suppressionTable returns a bulk table of suppressions with the given
// fingerprints.
func suppressionTable(fingerprints ...string) store.BulkTable {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return store.BulkTable{Name: "suppressions", Columns: []string{"fingerprint", "kind", "created_at"},
		Rows: func(emit func([]any) error) error {
			for _, f := range fingerprints {
				if err := emit([]any{f, "email", at}); err != nil {
					return err
				}
			}
			return nil
		}}
}

// countRows returns the number of rows in table.
func countRows(tb testing.TB, s *store.Store, table string) int64 {
	tb.Helper()
	var n int64
	if err := s.DB().Raw("SELECT count(*) FROM " + table).Scan(&n).Error; err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestBulkLoad(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		tests := []struct {
			name       string
			tables     []store.BulkTable
			wantCounts []int64
			wantCode   string
			wantRows   int64
		}{
			{name: "every table is written in order and counted",
				tables:     []store.BulkTable{suppressionTable("a", "b"), suppressionTable("c")},
				wantCounts: []int64{2, 1}, wantRows: 3},
			{name: "more rows than one INSERT holds are all written",
				tables:     []store.BulkTable{suppressionTable(manyKeys(1234)...)},
				wantCounts: []int64{1234}, wantRows: 1234},
			{name: "a duplicate key is a conflict and nothing is written",
				tables:   []store.BulkTable{suppressionTable("a", "b"), suppressionTable("b")},
				wantCode: models.ECONFLICT},
			{name: "a row with too few values fails and nothing is written",
				tables: []store.BulkTable{suppressionTable("a"), {Name: "suppressions", Columns: []string{"fingerprint", "kind"},
					Rows: func(emit func([]any) error) error { return emit([]any{"x"}) }}},
				wantCode: models.EINTERNAL},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := mustOpen(t, backend)
				var progress []string
				counts, err := s.BulkLoad(context.Background(), store.BulkLoad{
					Tables: func(int64, *store.BulkLedger) []store.BulkTable { return tt.tables },
					Progress: func(table string, rows int64, _ time.Duration) {
						progress = append(progress, fmt.Sprintf("%s:%d", table, rows))
					},
				})
				if tt.wantCode != "" {
					wantCode(t, err, tt.wantCode)
				} else if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.wantCounts, counts); diff != "" {
					t.Errorf("counts (-want +got):\n%s", diff)
				}
				if tt.wantCode == "" && len(progress) != len(tt.tables) {
					t.Errorf("progress = %v, want one call per table", progress)
				}
				if n := countRows(t, s, "suppressions"); n != tt.wantRows {
					t.Errorf("suppressions = %d, want %d", n, tt.wantRows)
				}
			})
		}

		t.Run("reserved ids follow the largest one and later rows come after them", func(t *testing.T) {
			s := mustOpen(t, backend)
			first := mustPutCustomer(t, s, customerInput("before-load"))
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			_, err := s.BulkLoad(context.Background(), store.BulkLoad{ReserveTable: "customers", ReserveIDs: 2,
				Tables: func(base int64, _ *store.BulkLedger) []store.BulkTable {
					if base != first.ID {
						t.Errorf("base = %d, want the largest id %d", base, first.ID)
					}
					return []store.BulkTable{{Name: "customers", Analyze: true,
						Columns: []string{"id", "external_id", "created_at", "updated_at"},
						Rows: func(emit func([]any) error) error {
							for i := int64(1); i <= 2; i++ {
								if err := emit([]any{base + i, fmt.Sprintf("bulk-%d", i), at, at}); err != nil {
									return err
								}
							}
							return nil
						}}}
				}})
			if err != nil {
				t.Fatal(err)
			}
			if c := mustPutCustomer(t, s, customerInput("after-load")); c.ID <= first.ID+2 {
				t.Errorf("id = %d, want > %d", c.ID, first.ID+2)
			}
		})
	})
}

// manyKeys returns n distinct fingerprints.
func manyKeys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("fp-%06d", i)
	}
	return out
}

// consentTable returns a bulk table of current consents of the given
// customer ids, deferring its foreign keys.
func consentTable(customerIDs ...int64) store.BulkTable {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return store.BulkTable{Name: "consents", DeferForeignKeys: true,
		Columns: []string{"customer_id", "topic", "status", "source", "seq", "updated_at"},
		Rows: func(emit func([]any) error) error {
			for _, id := range customerIDs {
				if err := emit([]any{id, "pricing-guides", "opted_in", "import", 1, at}); err != nil {
					return err
				}
			}
			return nil
		}}
}

func TestBulkLoadWithDeferredForeignKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		s := mustOpen(t, backend)
		c := mustPutCustomer(t, s, customerInput("fk-1"))
		load := func(ids ...int64) error {
			_, err := s.BulkLoad(context.Background(), store.BulkLoad{
				Tables: func(int64, *store.BulkLedger) []store.BulkTable { return []store.BulkTable{consentTable(ids...)} }})
			return err
		}
		t.Run("a row whose customer does not exist fails the load and nothing is written", func(t *testing.T) {
			if err := load(c.ID, c.ID+1000); err == nil {
				t.Fatal("load of a consent of a missing customer succeeded")
			}
			if n := countRows(t, s, "consents"); n != 0 {
				t.Errorf("consents = %d after a failed load, want 0", n)
			}
		})
		t.Run("rows whose customers exist are written", func(t *testing.T) {
			if err := load(c.ID); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, s, "consents"); n != 1 {
				t.Errorf("consents = %d, want 1", n)
			}
		})
		if backend != "postgres" {
			return
		}
		t.Run("the foreign keys are back and validated after the load", func(t *testing.T) {
			var keys []struct {
				Conname      string
				Convalidated bool
			}
			err := s.DB().Raw("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'consents'::regclass AND contype = 'f' ORDER BY conname").Scan(&keys).Error
			if err != nil {
				t.Fatal(err)
			}
			want := []struct {
				Conname      string
				Convalidated bool
			}{{"consents_customer_id_fkey", true}, {"consents_topic_fkey", true}}
			if diff := cmp.Diff(want, keys); diff != "" {
				t.Errorf("foreign keys (-want +got):\n%s", diff)
			}
		})
	})
}

// A table loaded with Vacuum is vacuumed once the load commits: every page
// is marked all-visible, so index-only scans need not visit it, and its
// statistics are fresh. Two such tables are vacuumed at once, on two
// connections. On SQLite the option changes nothing.
//
// The package's other tests run in the same database (a schema each) and
// hold snapshots of their own, which keep VACUUM from marking anything
// all-visible (CI failed this way once), so the test has a database of its
// own, and holds such a snapshot in the package database to prove it.
func TestBulkLoadVacuumsAfterTheCommit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		if backend == "postgres" {
			holdSnapshot(t, testenv.BackendURL(t, backend))
		}
		s := mustOpenOptions(t, backend, func(o *store.Options) { o.DatabaseURL = testenv.OwnDatabaseURL(t, backend) })
		c := mustPutCustomer(t, s, customerInput("vacuumed"))
		var steps []string
		_, err := s.BulkLoad(context.Background(), store.BulkLoad{
			Tables: func(int64, *store.BulkLedger) []store.BulkTable {
				suppressions, consents := suppressionTable(manyKeys(500)...), consentTable(c.ID)
				suppressions.Vacuum, consents.Vacuum = true, true
				return []store.BulkTable{suppressions, consents}
			},
			Step: func(table, step string, _ time.Duration) { steps = append(steps, step) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, s, "suppressions"); n != 500 {
			t.Fatalf("suppressions = %d, want 500", n)
		}
		if backend != "postgres" {
			return
		}
		for table, rows := range map[string]float64{"suppressions": 500, "consents": 1} {
			var pages, visible int
			var tuples float64
			if err := s.DB().Raw("SELECT relpages, relallvisible, reltuples FROM pg_class WHERE oid = ?::regclass", table).
				Row().Scan(&pages, &visible, &tuples); err != nil {
				t.Fatal(err)
			}
			if pages == 0 || visible != pages || tuples != rows {
				t.Errorf("%s after the load: %d pages, %d all-visible, %.0f rows counted; want every page all-visible and %.0f rows (steps %v)",
					table, pages, visible, tuples, rows, steps)
			}
		}
	})
}

// holdSnapshot keeps a repeatable-read transaction open on dbURL until the
// test ends, as a concurrent test's long transaction would.
func holdSnapshot(t *testing.T, dbURL string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ"); err != nil {
		t.Fatal(err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}
