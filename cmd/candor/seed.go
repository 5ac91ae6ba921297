package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/candor/candor/configs"
	"github.com/candor/candor/seed"
	"github.com/spf13/cobra"
)

func newSeedCmd(getenv func(string) string) *cobra.Command {
	var (
		customers int
		seedValue uint64
		timings   bool
	)
	cmd := &cobra.Command{
		Use:   "seed --customers N [--seed S]",
		Short: "Load deterministic synthetic customers with consent ledgers (for trying Candor and benchmarks)",
		Long: "Bulk-loads N realistic synthetic customers: time zones weighted like a global customer base,\n" +
			"matching locales, preferred channels with addresses, windows, cadences, attributes (plan, industry,\n" +
			"seats, region, products) and consent ledgers over the four default topics whose hash chains verify.\n" +
			"The same --seed always gives the same data; a seed can be loaded once per database.\n" +
			"PostgreSQL is loaded with COPY, SQLite with batched inserts, in one transaction.\n" +
			"It needs only the database (and CANDOR_SECRET_KEY with PostgreSQL): no Redis.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if customers < 1 || customers > seed.MaxCustomers {
				return fmt.Errorf("--customers must be between 1 and %d", seed.MaxCustomers)
			}
			opened := time.Now()
			a, err := openApp(cmd.Context(), getenv, cmd.ErrOrStderr(), "seed", configs.ModeDatabase, false)
			if err != nil {
				return err
			}
			defer a.Close()
			start := time.Now()
			steps := []string{fmt.Sprintf("timing open %.3f", start.Sub(opened).Seconds())}
			res, err := seed.Load(cmd.Context(), a.store, seed.Options{
				Customers: customers,
				Seed:      seedValue,
				Progress: func(table string, rows int64, elapsed time.Duration) {
					a.log.Info("table loaded", "table", table, "rows", rows, "seconds", elapsed.Seconds())
				},
				Step: func(table, step string, elapsed time.Duration) {
					name := strings.ReplaceAll(step, " ", "_")
					if table != "" {
						name = table + "." + name
					}
					steps = append(steps, fmt.Sprintf("timing %s %.3f", name, elapsed.Seconds()))
				},
			})
			if err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			elapsed := time.Since(start)
			fmt.Fprintf(cmd.OutOrStdout(), "seeded %d customers, %d consent events, %d current consents into %s in %.1fs (%.0f customers/s)\n",
				res.Customers, res.ConsentEvents, res.Consents, a.store.Dialect(), elapsed.Seconds(), float64(res.Customers)/elapsed.Seconds())
			if timings {
				fmt.Fprintln(cmd.OutOrStdout(), strings.Join(steps, "\n"))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&customers, "customers", 0, "how many customers to add (required)")
	cmd.Flags().Uint64Var(&seedValue, "seed", 1, "selects the generated data; the same seed gives the same customers")
	cmd.Flags().BoolVar(&timings, "timings", false, "after the summary, print the wall time of each step, one \"timing STEP SECONDS\" line each (for benchmarks)")
	_ = cmd.MarkFlagRequired("customers")
	return cmd
}
