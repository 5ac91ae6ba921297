package seed

import (
	"testing"

	"github.com/candor/candor/store"
)

// BenchmarkGenerateTables runs every chunk of the three tables of a seed of
// 10,000 customers on one goroutine, with an emit that only counts the
// rows: the Go side of `candor seed` without the COPY encoding and the
// server (generation, the ledger's hashes and seals, the consent MACs,
// and the rows as the loader receives them). Allocations per seed are
// what the garbage collector pays for on the seed's cores.
//
//	go test ./seed -run '^$' -bench GenerateTables -benchmem -count 5
func BenchmarkGenerateTables(b *testing.B) {
	const n = 10_000
	ledger := &store.BulkLedger{KeyID: "k1", Key: []byte("0123456789abcdef0123456789abcdef"), Prev: ""}
	b.ReportAllocs()
	for b.Loop() {
		rows := 0
		for _, t := range tables(1, n, 0, computeHash, ledger) {
			for i := range t.Chunks {
				if err := t.Chunk(i, func(row []any) error { rows += len(row); return nil }); err != nil {
					b.Fatal(err)
				}
			}
		}
		if rows == 0 {
			b.Fatal("no rows")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/customer")
}
