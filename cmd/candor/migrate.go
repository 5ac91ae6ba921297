package main

import (
	"fmt"

	"github.com/candor/candor/configs"

	"github.com/spf13/cobra"
)

func newMigrateCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the embedded database migrations (PostgreSQL, or the embedded SQLite file); needs only the database settings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := openApp(cmd.Context(), getenv, cmd.ErrOrStderr(), "migrate", configs.ModeMigrate, false)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.store.Migrate(cmd.Context()); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			a.log.Info("migrations applied", "dialect", a.store.Dialect())
			return nil
		},
	}
	cmd.AddCommand(newMigrateStatusCmd(getenv), newMigrateDownCmd(getenv))
	return cmd
}

// newMigrateStatusCmd lists the migrations this binary holds and which of
// them the database has.
func newMigrateStatusCmd(getenv func(string) string) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "List the migrations this binary holds and whether each is applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := openApp(cmd.Context(), getenv, cmd.ErrOrStderr(), "migrate status", configs.ModeMigrate, false)
			if err != nil {
				return err
			}
			defer a.Close()
			states, err := a.store.MigrationStatus(cmd.Context())
			if err != nil {
				return err
			}
			for _, m := range states {
				state := "pending"
				if m.Applied {
					state = "applied"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%05d  %-8s %s\n", m.Version, state, m.Name)
			}
			return nil
		},
	}
}

// newMigrateDownCmd rolls the schema back for an older release.
func newMigrateDownCmd(getenv func(string) string) *cobra.Command {
	var to int64
	cmd := &cobra.Command{
		Use:   "down --to VERSION",
		Short: "Roll the schema back to VERSION for an older release (stop every candor process first)",
		Long: "Runs the down step of every applied migration above VERSION, newest first, each in its own\n" +
			"transaction. VERSION is the newest migration the older release holds: the highest number in its\n" +
			"store/migrations/postgres/ (or its release notes). A down step drops what its migration added:\n" +
			"data kept only there is gone (docs/operations.md, \"Going back to an older release\").",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("to") {
				return fmt.Errorf("migrate down needs --to VERSION, the newest migration the older release holds (0 removes every table)")
			}
			a, err := openApp(cmd.Context(), getenv, cmd.ErrOrStderr(), "migrate down", configs.ModeMigrate, false)
			if err != nil {
				return err
			}
			defer a.Close()
			done, err := a.store.MigrateDown(cmd.Context(), to)
			for _, v := range done {
				fmt.Fprintf(cmd.OutOrStdout(), "rolled back %05d\n", v)
			}
			if err != nil {
				return fmt.Errorf("migrate down: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schema at version %d (%d migrations rolled back)\n", to, len(done))
			return nil
		},
	}
	cmd.Flags().Int64Var(&to, "to", 0, "the version to roll back to")
	return cmd
}
