package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/candor/candor/store"
)

// EnvBenchLaunchRows names a directory where BenchmarkCampaignLaunch
// leaves the rows its last launch wrote, one CSV file per table with the
// launch's columns as its header: the bench suite times a COPY of these
// very rows into the same tables as the launch's ceiling (issue 17: "a
// COPY of the same rows into the same table").
const EnvBenchLaunchRows = "CANDOR_BENCH_LAUNCH_ROWS"

// saveLaunchRows writes campaign's deliveries and exclusions, as the
// launch wrote them (its columns, in the order it wrote them), to
// deliveries.csv and campaign_exclusions.csv in the directory
// EnvBenchLaunchRows names, if it is set.
func saveLaunchRows(b *testing.B, s *store.Store, campaign int64) {
	b.Helper()
	dir := os.Getenv(EnvBenchLaunchRows)
	if dir == "" || s.Dialect() != store.DialectPostgres {
		return
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv(EnvBenchDatabaseURL))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	for table, order := range map[string]string{"deliveries": "id", "campaign_exclusions": "customer_id"} {
		f, err := os.Create(filepath.Join(dir, table+".csv"))
		if err != nil {
			b.Fatal(err)
		}
		cols := strings.Join(store.LaunchCopyColumns[table], ", ")
		_, err = conn.PgConn().CopyTo(ctx, f, fmt.Sprintf("COPY (SELECT %s FROM %s WHERE campaign_id = %d ORDER BY %s) TO STDOUT WITH (FORMAT csv, HEADER)",
			cols, table, campaign, order))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatalf("save the launch's %s: %v", table, err)
		}
	}
}
