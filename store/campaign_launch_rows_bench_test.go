package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/candor/candor/store"
)

// EnvBenchLaunchRows names a directory where BenchmarkCampaignLaunch
// leaves the rows its last launch wrote: the bench suite times a COPY of
// these very rows into the same tables as the launch's ceiling (issue 17:
// "a COPY of the same rows into the same table"). Per table, TABLE.bin
// holds the rows in COPY's binary format, the format the launch writes
// them in (pgx CopyFrom), and TABLE.cols their columns, comma-separated.
const EnvBenchLaunchRows = "CANDOR_BENCH_LAUNCH_ROWS"

// saveLaunchRows writes campaign's deliveries and exclusions, as the
// launch wrote them (its columns, in the order it wrote them), to the
// directory EnvBenchLaunchRows names, if it is set.
func saveLaunchRows(s *store.Store, campaign int64) error {
	dir := os.Getenv(EnvBenchLaunchRows)
	if dir == "" || s.Dialect() != store.DialectPostgres {
		return nil
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv(EnvBenchDatabaseURL))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for table, order := range map[string]string{"deliveries": "id", "campaign_exclusions": "customer_id"} {
		cols := strings.Join(store.LaunchCopyColumns[table], ",")
		if err := os.WriteFile(filepath.Join(dir, table+".cols"), []byte(cols+"\n"), 0o600); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dir, table+".bin"))
		if err != nil {
			return err
		}
		_, err = conn.PgConn().CopyTo(ctx, f, fmt.Sprintf("COPY (SELECT %s FROM %s WHERE campaign_id = %d ORDER BY %s) TO STDOUT WITH (FORMAT binary)",
			cols, table, campaign, order))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("save the launch's %s: %w", table, err)
		}
	}
	return nil
}
