package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// chunkedCustomers is a chunked table of chunks × perChunk customers
// named "c<chunk>-<row>", without ids (the identity numbers them in the
// order the rows arrive). Chunk i waits until chunk i-1 has begun, as
// the seed's ledger chunks wait for the chain's end: the load must start
// chunks in order. bad, if not nil, replaces chunk 2's work.
func chunkedCustomers(chunks, perChunk int, bad func(emit func([]any) error) error) store.BulkTable {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	begun := make([]chan struct{}, chunks)
	for i := range begun {
		begun[i] = make(chan struct{})
	}
	return store.BulkTable{Name: "customers", Columns: []string{"external_id", "created_at", "updated_at"},
		Chunks: chunks, Chunk: func(i int, emit func([]any) error) error {
			if i > 0 {
				<-begun[i-1]
			}
			close(begun[i])
			if i == 2 && bad != nil {
				return bad(emit)
			}
			for j := range perChunk {
				if err := emit([]any{fmt.Sprintf("c%d-%d", i, j), at, at}); err != nil {
					return err
				}
			}
			return nil
		}}
}

// externalIDsByID returns the customers' external ids in id order.
func externalIDsByID(tb testing.TB, s *store.Store) []string {
	tb.Helper()
	var ids []string
	if err := s.DB().Raw("SELECT external_id FROM customers ORDER BY id").Scan(&ids).Error; err != nil {
		tb.Fatal(err)
	}
	return ids
}

func TestBulkLoadOfChunks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		load := func(s *store.Store, tables ...store.BulkTable) ([]int64, error) {
			return s.BulkLoad(context.Background(), store.BulkLoad{
				Tables: func(int64, *store.BulkLedger) []store.BulkTable { return tables }})
		}
		t.Run("chunks are written whole and in chunk order", func(t *testing.T) {
			s := mustOpen(t, backend)
			counts, err := load(s, chunkedCustomers(40, 3, nil))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for i := range 40 {
				for j := range 3 {
					want = append(want, fmt.Sprintf("c%d-%d", i, j))
				}
			}
			if diff := cmp.Diff([]int64{120}, counts); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, externalIDsByID(t, s)); diff != "" {
				t.Errorf("rows in id order (-want +got):\n%s", diff)
			}
		})
		t.Run("a chunk's error fails the load with that error and nothing is written", func(t *testing.T) {
			s := mustOpen(t, backend)
			boom := errors.New("chunk 2 failed")
			_, err := load(s, chunkedCustomers(40, 3, func(func([]any) error) error { return boom }))
			if !errors.Is(err, boom) {
				t.Errorf("err = %v, want the chunk's own error", err)
			}
			if n := countRows(t, s, "customers"); n != 0 {
				t.Errorf("customers = %d after a failed load, want 0", n)
			}
		})
		t.Run("a row with too few values fails the load and nothing is written", func(t *testing.T) {
			s := mustOpen(t, backend)
			_, err := load(s, chunkedCustomers(40, 3, func(emit func([]any) error) error { return emit([]any{"short"}) }))
			wantCode(t, err, models.EINTERNAL)
			if n := countRows(t, s, "customers"); n != 0 {
				t.Errorf("customers = %d after a failed load, want 0", n)
			}
		})
		t.Run("a duplicate key in a chunk is a conflict and nothing is written", func(t *testing.T) {
			s := mustOpen(t, backend)
			mustPutCustomer(t, s, customerInput("c5-1"))
			_, err := load(s, chunkedCustomers(40, 3, nil))
			wantCode(t, err, models.ECONFLICT)
			if n := countRows(t, s, "customers"); n != 1 {
				t.Errorf("customers = %d, want only the one written before", n)
			}
		})
	})
}
