package main

import (
	"fmt"

	"github.com/candor/candor/configs"

	"github.com/spf13/cobra"
)

func newMigrateCmd(getenv func(string) string) *cobra.Command {
	return &cobra.Command{
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
}
