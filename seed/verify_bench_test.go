package seed_test

import (
	"context"
	"testing"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/seed"
)

// BenchmarkVerifyLedger verifies the whole consent ledger of 20,000 seeded
// customers (about 29,000 events) once per iteration, on every configured
// backend: the periodic verification a worker runs (worker.LedgerVerifier)
// and `candor ledger verify`. ns/customer and the allocations are the
// verifier's own cost; the database's share is in ns/op only.
//
//	CANDOR_TEST_DATABASE_URL=postgres://... go test ./seed -run '^$' -bench VerifyLedger -benchmem -count 5
func BenchmarkVerifyLedger(b *testing.B) {
	const n = 20_000
	for _, backend := range testenv.Backends() {
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			s := mustOpen(b, backend)
			res, err := seed.Load(ctx, s, seed.Options{Customers: n, Seed: 7})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				rep, err := s.VerifyLedger(ctx, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				if !rep.OK() || rep.Customers != n || rep.Events != res.ConsentEvents {
					b.Fatalf("report: %d customers, %d events (seeded %d), %d problems", rep.Customers, rep.Events, res.ConsentEvents, rep.Broken)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/customer")
		})
	}
}
