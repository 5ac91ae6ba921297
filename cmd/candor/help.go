package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/candor/candor/configs"
	"github.com/spf13/cobra"
)

// serveExamples are the --help examples of the serving commands.
var serveExamples = map[string]string{
	"run": `  # try Candor: embedded SQLite and in-process Redis under ./data, on :8080
  candor run

  # the same on another port; links in messages follow it
  CANDOR_HTTP_ADDR=:18180 CANDOR_DATA_DIR=/tmp/candor candor run`,
	"api": `  export CANDOR_DATABASE_URL='postgres://candor:secret@db:5432/candor?sslmode=require'
  export CANDOR_REDIS_URL='redis://redis:6379/0'
  export CANDOR_SECRET_KEY="$(openssl rand -base64 48)"   # the same in every process
  export CANDOR_PUBLIC_URL=https://candor.example.com
  candor migrate && candor api`,
	"worker": `  export CANDOR_DATABASE_URL='postgres://candor:secret@db:5432/candor?sslmode=require'
  export CANDOR_REDIS_URL='redis://redis:6379/0'
  export CANDOR_SECRET_KEY=...                # the API's key
  export CANDOR_SMTP_HOST=smtp.example.com CANDOR_SMTP_FROM='Candor <news@example.com>'
  CANDOR_WORKER_ADDR=:8081 candor worker      # health and metrics on :8081
  candor healthcheck --worker                 # exit 0 once it is ready`,
}

// newServeCmd builds run, api or worker. Their help lists the CANDOR_*
// variables the command reads, taken from configs.Vars, so it cannot
// drift from the code.
func newServeCmd(getenv func(string) string, name, short string, roles role) *cobra.Command {
	cmd := &cobra.Command{
		Use:     name,
		Short:   short,
		Long:    short + ".\n\n" + varsHelp(name),
		Example: serveExamples[name],
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var demoOut io.Writer
			if on, _ := cmd.Flags().GetBool("demo"); on {
				demoOut = cmd.OutOrStdout()
			}
			return serve(cmd.Context(), getenv, cmd.ErrOrStderr(), roles, name, demoOut)
		},
	}
	if name == "run" {
		cmd.Flags().Bool("demo", false, "first fill the embedded database with demo customers, approved content and a launched "+
			"campaign (idempotent), and print where to look")
	}
	return cmd
}

// varsHelp lists the variables command reads: run reads them all; api and
// worker skip those only the other one reads.
func varsHelp(command string) string {
	var b strings.Builder
	b.WriteString("Environment (or the YAML file named by CANDOR_CONFIG; see the README's Configuration):\n")
	for _, v := range configs.Vars() {
		if command != "run" && v.Roles != "" && v.Roles != command {
			continue
		}
		def := v.Default
		if def == "" {
			def = "unset"
		}
		fmt.Fprintf(&b, "  %-42s %s\n", v.Name+" ("+def+")", firstSentence(v.Description))
	}
	fmt.Fprintf(&b, "  %-42s %s\n", "OTEL_EXPORTER_OTLP_ENDPOINT (unset)", "Export OpenTelemetry spans over OTLP/HTTP, e.g. http://otel-collector:4318; unset: tracing off.")
	return strings.TrimRight(b.String(), "\n")
}

// firstSentence keeps help lines short; the README has the full text.
func firstSentence(s string) string {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' && !strings.HasSuffix(s[:i], "e.g") && !strings.HasSuffix(s[:i], "i.e") {
			return s[:i+1]
		}
	}
	return s
}
