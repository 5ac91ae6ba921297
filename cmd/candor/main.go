// Command candor is Candor's single binary: the API, the worker, both at
// once (the default), database migrations and API key management.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(execute(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// execute runs the command line args and returns the exit code. It takes
// its environment and output streams as arguments so tests can drive it.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRootCmd(getenv)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		var ce *configError
		if errors.As(err, &ce) {
			fmt.Fprintln(stderr, "candor: invalid configuration:")
			for _, line := range ce.lines {
				fmt.Fprintln(stderr, "  "+line)
			}
			return 2
		}
		fmt.Fprintln(stderr, "candor:", err)
		return 1
	}
	return 0
}

func newRootCmd(getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "candor",
		Short:         "Candor: trust-first customer communication",
		Long:          "Candor sends opt-in educational content only through each customer's preferred channel,\ninside their preferred time windows, in their own time zone.\n\nWith no command, candor runs the API and the worker in one process.",
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return serve(cmd.Context(), getenv, cmd.ErrOrStderr(), roleAPI|roleWorker, "run", nil)
		},
	}
	runCmd := &cobra.Command{
		Use:   "run",
		Short: "Run the API and the worker in one process (embedded backends when no URLs are set)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var demoOut io.Writer
			if on, _ := cmd.Flags().GetBool("demo"); on {
				demoOut = cmd.OutOrStdout()
			}
			return serve(cmd.Context(), getenv, cmd.ErrOrStderr(), roleAPI|roleWorker, "run", demoOut)
		},
	}
	runCmd.Flags().Bool("demo", false, "first fill the database with demo customers, approved content and a launched campaign (idempotent), and print where to look")
	root.AddCommand(
		runCmd,
		&cobra.Command{
			Use:   "api",
			Short: "Run only the HTTP API (needs CANDOR_DATABASE_URL and CANDOR_REDIS_URL)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				return serve(cmd.Context(), getenv, cmd.ErrOrStderr(), roleAPI, "api", nil)
			},
		},
		&cobra.Command{
			Use:   "worker",
			Short: "Run only the worker (needs CANDOR_DATABASE_URL and CANDOR_REDIS_URL)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				return serve(cmd.Context(), getenv, cmd.ErrOrStderr(), roleWorker, "worker", nil)
			},
		},
		newMigrateCmd(getenv),
		newAPIKeyCmd(getenv),
		newSeedCmd(getenv),
		newLedgerCmd(getenv),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run: func(cmd *cobra.Command, args []string) {
				fmt.Fprintln(cmd.OutOrStdout(), "candor", version)
			},
		},
	)
	return root
}
