package store_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/seed"
	"github.com/candor/candor/store"
)

// EnvBenchDatabaseURL names a PostgreSQL database already loaded with
// `candor seed` (docs/benchmarks.md). Without it the benchmarks seed
// 20,000 customers into a temporary SQLite file.
const EnvBenchDatabaseURL = "CANDOR_BENCH_DATABASE_URL"

// benchmarkStore opens the benchmark database, or seeds a temporary
// SQLite one; b.Loop starts the clock only after this setup.
func benchmarkStore(b *testing.B) *store.Store {
	b.Helper()
	ctx := context.Background()
	url := os.Getenv(EnvBenchDatabaseURL)
	s, err := store.Open(ctx, store.Options{DatabaseURL: url, SQLitePath: testenv.SQLitePath(b), Keys: benchKeys(b), Rules: segment.Language{}})
	if err != nil {
		b.Fatalf("open benchmark store: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatalf("migrate benchmark store: %v", err)
	}
	if url == "" {
		if _, err := seed.Load(ctx, s, seed.Options{Customers: 20_000, Seed: 1}); err != nil {
			b.Fatalf("seed benchmark store: %v", err)
		}
	}
	return s
}

// EnvBenchSecretKey names the CANDOR_SECRET_KEY the benchmark database was
// seeded with. The consent ledger is keyed with it (issue 15): under any
// other key every consent row fails its MAC, planning excludes everyone as
// consent_unverified, and preview and launch measure nothing.
const EnvBenchSecretKey = "CANDOR_BENCH_SECRET_KEY"

// benchKeys returns the keys of CANDOR_BENCH_SECRET_KEY, or the tests'
// fixed secret for the SQLite database the benchmark seeds itself.
func benchKeys(b *testing.B) *secrets.Keys {
	b.Helper()
	secret := os.Getenv(EnvBenchSecretKey)
	if secret == "" {
		if os.Getenv(EnvBenchDatabaseURL) != "" {
			b.Fatalf("set %s to the CANDOR_SECRET_KEY the benchmark database was seeded with", EnvBenchSecretKey)
		}
		return testKeys(b)
	}
	keys, err := secrets.New(secret, "")
	if err != nil {
		b.Fatal(err)
	}
	return keys
}

func benchRule(b *testing.B, raw string) *models.Rule {
	b.Helper()
	r, err := segment.ParseRule([]byte(raw), "/rule")
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkSegmentPreviewCount measures the preview count of the issue's
// reference segment: enterprise plan and opted in to the product roadmap.
func BenchmarkSegmentPreviewCount(b *testing.B) {
	s := benchmarkStore(b)
	rule := benchRule(b, `{"all":[{"field":"attributes.plan","op":"eq","value":"enterprise"},{"field":"consent.product-roadmap","op":"eq","value":"opted_in"}]}`)
	var n int64
	for b.Loop() {
		var err error
		if n, err = s.SegmentCount(context.Background(), rule); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "members")
}

// BenchmarkSegmentMembersStream streams every customer on any plan, as
// planning a campaign to the whole base would, and reports rows per second.
func BenchmarkSegmentMembersStream(b *testing.B) {
	s := benchmarkStore(b)
	rule := benchRule(b, `{"field":"attributes.plan","op":"in","value":["free","pro","enterprise"]}`)
	var rows int64
	start := time.Now()
	for b.Loop() {
		for c, err := range s.SegmentMembers(context.Background(), rule) {
			if err != nil {
				b.Fatal(err)
			}
			_ = c
			rows++
		}
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
}

// BenchmarkSeedSQLite measures the embedded backend's bulk load; the
// PostgreSQL figure comes from `candor seed` (docs/benchmarks.md).
func BenchmarkSeedSQLite(b *testing.B) {
	const n = 10_000
	for b.Loop() {
		b.StopTimer()
		s, err := store.Open(context.Background(), store.Options{SQLitePath: testenv.SQLitePath(b), Keys: testKeys(b), Rules: segment.Language{}})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := seed.Load(context.Background(), s, seed.Options{Customers: n, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
}

// BenchmarkCostlyConsentRule measures issue 15's rule, an "any" of n
// "consent.<topic> in [...]" conditions over the seeded topics, at 10,
// 50, 100 and 200 conditions: the time should grow with n, not faster.
func BenchmarkCostlyConsentRule(b *testing.B) {
	s := benchmarkStore(b)
	topics, _, err := s.Topics(context.Background(), models.Page{Limit: models.MaxPageLimit})
	if err != nil || len(topics) == 0 {
		b.Fatalf("topics: %v (%d)", err, len(topics))
	}
	for _, n := range []int{10, 50, 100, 200} {
		conds := make([]string, n)
		for i := range conds {
			conds[i] = fmt.Sprintf(`{"field":"consent.%s","op":"in","value":["opted_in","pending"]}`, topics[i%len(topics)].Key)
		}
		rule := benchRule(b, `{"any":[`+strings.Join(conds, ",")+`]}`)
		b.Run(fmt.Sprintf("conditions=%d", n), func(b *testing.B) {
			var count int64
			for b.Loop() {
				if count, err = s.SegmentCount(context.Background(), rule); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(count), "members")
		})
	}
}
