package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// indexState is what a load must leave of an index: that it exists and
// is valid, its definition and its comment; oid tells whether it was
// built again.
type indexState struct {
	Name     string
	Def      string
	Valid    bool
	Comment  *string
	IndexOID int64 `gorm:"column:index_oid"`
}

// sameIndex compares index states but not their oids.
var sameIndex = cmpopts.IgnoreFields(indexState{}, "IndexOID")

// indexesOf returns the indexes of table by name.
func indexesOf(tb testing.TB, s *store.Store, table string) map[string]indexState {
	tb.Helper()
	var rows []indexState
	err := s.DB().Raw("SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid, "+
		"obj_description(i.indexrelid, 'pg_class') AS comment, i.indexrelid::bigint AS index_oid "+
		"FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ?::regclass", table).Scan(&rows).Error
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]indexState{}
	for _, r := range rows {
		out[r.Name] = r
	}
	return out
}

// constraintState is what a load must leave of a table's constraint.
type constraintState struct {
	Name      string
	Def       string
	Validated bool
	Comment   *string
}

// constraintsOf returns the constraints of table by name.
func constraintsOf(tb testing.TB, s *store.Store, table string) map[string]constraintState {
	tb.Helper()
	var rows []constraintState
	err := s.DB().Raw("SELECT conname AS name, pg_get_constraintdef(oid) AS def, convalidated AS validated, "+
		"obj_description(oid, 'pg_constraint') AS comment FROM pg_constraint WHERE conrelid = ?::regclass", table).Scan(&rows).Error
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]constraintState{}
	for _, r := range rows {
		out[r.Name] = r
	}
	return out
}

// eventTable returns consent_events rows of one customer, one per global
// sequence number given, with the secondary indexes deferred.
func eventTable(customerID int64, globalSeqs ...int64) store.BulkTable {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return store.BulkTable{Name: "consent_events", DeferForeignKeys: true, DeferIndexes: true,
		Columns: []string{"customer_id", "seq", "topic", "status", "source", "created_at", "prev_hash", "hash", "global_seq"},
		Rows: func(emit func([]any) error) error {
			for i, g := range globalSeqs {
				if err := emit([]any{customerID, int64(i + 1), "pricing-guides", "opted_in", "import", at, "", "h", g}); err != nil {
					return err
				}
			}
			return nil
		}}
}

func TestBulkLoadWithDeferredIndexes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		if backend != "postgres" {
			t.Skip("SQLite keeps its indexes: DeferIndexes is a PostgreSQL step")
		}
		ctx := context.Background()
		load := func(s *store.Store, tables ...store.BulkTable) error {
			_, err := s.BulkLoad(ctx, store.BulkLoad{Tables: func(int64, *store.BulkLedger) []store.BulkTable { return tables }})
			return err
		}
		t.Run("an empty table's secondary indexes are built again, valid and with their comments", func(t *testing.T) {
			s := mustOpen(t, backend)
			before := indexesOf(t, s, "customers")
			table := chunkedCustomers(3, 2, nil)
			table.DeferIndexes = true
			if err := load(s, table); err != nil {
				t.Fatal(err)
			}
			after := indexesOf(t, s, "customers")
			if diff := cmp.Diff(before, after, sameIndex); diff != "" {
				t.Errorf("indexes (-before +after):\n%s", diff)
			}
			for _, name := range []string{"customers_attributes_idx", "customers_erased_idx"} {
				if before[name].IndexOID == after[name].IndexOID {
					t.Errorf("%s was not built again (the table was empty)", name)
				}
			}
			if after["customers_erased_idx"].Comment == nil {
				t.Error("customers_erased_idx lost its comment")
			}
			if before["customers_pkey"].IndexOID != after["customers_pkey"].IndexOID {
				t.Error("the primary key was dropped: foreign keys refer to it")
			}
		})
		t.Run("a unique constraint no other object depends on is added back after the load, the same", func(t *testing.T) {
			s := mustOpen(t, backend)
			beforeIx, beforeKeys := indexesOf(t, s, "customers"), constraintsOf(t, s, "customers")
			table := chunkedCustomers(3, 2, nil)
			table.DeferIndexes = true
			if err := load(s, table); err != nil {
				t.Fatal(err)
			}
			afterIx, afterKeys := indexesOf(t, s, "customers"), constraintsOf(t, s, "customers")
			if diff := cmp.Diff(beforeKeys, afterKeys); diff != "" {
				t.Errorf("constraints (-before +after):\n%s", diff)
			}
			if beforeIx["customers_external_id_key"].IndexOID == afterIx["customers_external_id_key"].IndexOID {
				t.Error("customers_external_id_key was maintained row by row: no foreign key refers to it, so it is built after the COPY")
			}
			if beforeIx["customers_pkey"].IndexOID != afterIx["customers_pkey"].IndexOID {
				t.Error("customers_pkey was dropped: foreign keys refer to it")
			}
		})
		t.Run("a primary key built after the load refuses duplicates and nothing is written", func(t *testing.T) {
			s := mustOpen(t, backend)
			c := mustPutCustomer(t, s, customerInput("dup-seq"))
			before := constraintsOf(t, s, "consent_events")
			dup := eventTable(c.ID, 1, 2)
			rows := dup.Rows
			dup.Rows = func(emit func([]any) error) error {
				return rows(func(row []any) error { row[1] = int64(1); return emit(row) }) // both seq 1
			}
			err := load(s, dup)
			wantCode(t, err, models.ECONFLICT)
			if n := countRows(t, s, "consent_events"); n != 0 {
				t.Errorf("consent_events = %d after a failed load, want 0", n)
			}
			if diff := cmp.Diff(before, constraintsOf(t, s, "consent_events")); diff != "" {
				t.Errorf("constraints after a failed load (-before +after):\n%s", diff)
			}
			if err := load(s, eventTable(c.ID, 1, 2)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, constraintsOf(t, s, "consent_events")); diff != "" {
				t.Errorf("constraints after a load (-before +after):\n%s", diff)
			}
		})
		t.Run("a table that holds rows keeps its indexes", func(t *testing.T) {
			s := mustOpen(t, backend)
			mustPutCustomer(t, s, customerInput("already-here"))
			before := indexesOf(t, s, "customers")
			table := chunkedCustomers(3, 2, nil)
			table.DeferIndexes = true
			if err := load(s, table); err != nil {
				t.Fatal(err)
			}
			after := indexesOf(t, s, "customers")
			if before["customers_attributes_idx"].IndexOID != after["customers_attributes_idx"].IndexOID {
				t.Error("customers_attributes_idx was built again on a table that held a row")
			}
		})
		t.Run("a unique index built after the load refuses duplicates and nothing is written", func(t *testing.T) {
			s := mustOpen(t, backend)
			c := mustPutCustomer(t, s, customerInput("dup-global-seq"))
			err := load(s, eventTable(c.ID, 1, 1))
			wantCode(t, err, models.ECONFLICT)
			if n := countRows(t, s, "consent_events"); n != 0 {
				t.Errorf("consent_events = %d after a failed load, want 0", n)
			}
			if _, ok := indexesOf(t, s, "consent_events")["consent_events_global_seq_idx"]; !ok {
				t.Error("the failed load left consent_events without its global_seq index")
			}
		})
	})
}
