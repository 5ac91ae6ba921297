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
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...";
// without it, buildVersion falls back to the module version and VCS
// revision Go records in the binary.
var version = "dev"

func init() { version = buildVersion(version, debug.ReadBuildInfo) }

// buildVersion returns the ldflags version when one was set, else what
// the build info knows: the module version of `go install ...@vX`, or the
// VCS revision (with "+dirty") of a build from a checkout, else "dev".
func buildVersion(ldflags string, read func() (*debug.BuildInfo, bool)) string {
	if ldflags != "dev" {
		return ldflags
	}
	info, ok := read()
	if !ok {
		return ldflags
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev == "" {
		return ldflags
	}
	return "dev-" + rev + dirty
}

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
		fmt.Fprintln(stderr, "candor:", humanError(err))
		return 1
	}
	return 0
}

func newRootCmd(getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "candor",
		Short:         "Candor: trust-first customer communication",
		Long:          "Candor sends opt-in educational content only through each customer's preferred channel,\ninside their preferred time windows, in their own time zone.\n\nWith no command, candor runs the API and the worker in one process.",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return serve(cmd.Context(), getenv, cmd.ErrOrStderr(), roleAPI|roleWorker, "run", nil)
		},
	}
	// cobra's own template prints "candor version X"; scripts and the
	// `version` command read "candor X".
	root.SetVersionTemplate("candor {{.Version}}\n")
	// SilenceUsage keeps a failing run from dumping the usage; a wrong
	// flag or argument still deserves the way to the help.
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())
	})
	root.AddCommand(
		newServeCmd(getenv, "run", "Run the API and the worker in one process (embedded backends when no URLs are set)", roleAPI|roleWorker),
		newServeCmd(getenv, "api", "Run only the HTTP API (needs CANDOR_DATABASE_URL and CANDOR_REDIS_URL)", roleAPI),
		newServeCmd(getenv, "worker", "Run only the worker (needs CANDOR_DATABASE_URL and CANDOR_REDIS_URL)", roleWorker),
		newHealthcheckCmd(getenv),
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
