package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/candor/candor/configs"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

func TestVersionFlagPrintsTheVersion(t *testing.T) {
	code, stdout, stderr := run(t, env{}, "--version")
	if code != 0 || stdout != "candor "+version+"\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, "candor "+version+"\n")
	}
}

func TestBuildVersionPrefersLdflagsThenTheModuleThenTheRevision(t *testing.T) {
	info := func(mainVersion string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Version: mainVersion}, Settings: settings}, true
		}
	}
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "0123456789abcdef0123"}
	tests := []struct {
		name    string
		ldflags string
		read    func() (*debug.BuildInfo, bool)
		want    string
	}{
		{"an ldflags version wins", "v1.2.3", info("v9.9.9", rev), "v1.2.3"},
		{"go install @version records the module version", "dev", info("v1.4.0"), "v1.4.0"},
		{"a checkout build gives its revision", "dev", info("(devel)", rev), "dev-0123456789ab"},
		{"a modified checkout says so", "dev", info("(devel)", rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), "dev-0123456789ab+dirty"},
		{"without build info it stays dev", "dev", func() (*debug.BuildInfo, bool) { return nil, false }, "dev"},
		{"without a revision it stays dev", "dev", info("(devel)"), "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildVersion(tt.ldflags, tt.read); got != tt.want {
				t.Errorf("buildVersion = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAWrongFlagPrintsTheUsageHint(t *testing.T) {
	tests := []struct {
		name string
		args []string
		hint string
	}{
		{"on the root command", []string{"--bogus"}, "Run 'candor --help' for usage."},
		{"on a subcommand", []string{"apikey", "create", "--nmae", "x"}, "Run 'candor apikey create --help' for usage."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, env{"CANDOR_DATA_DIR": t.TempDir()}, tt.args...)
			if code == 0 || !strings.Contains(stderr, "unknown flag") || !strings.Contains(stderr, tt.hint) {
				t.Errorf("exit %d, stderr %q; want a non-zero exit with %q", code, stderr, tt.hint)
			}
		})
	}
}

func TestServeHelpListsTheVariablesTheCommandReadsWithExamples(t *testing.T) {
	tests := []struct {
		command       string
		lists, omits  []string
		exampleMentor string
	}{
		{"run", []string{"CANDOR_HTTP_ADDR", "CANDOR_DATA_DIR", "CANDOR_WORKER_CONCURRENCY", "CANDOR_API_RATE_LIMIT"}, nil, "candor run"},
		{"api", []string{"CANDOR_HTTP_ADDR", "CANDOR_DATABASE_URL", "CANDOR_PUBLIC_URL", "CANDOR_API_RATE_LIMIT", "CANDOR_MAX_BODY_BYTES"},
			[]string{"CANDOR_WORKER_CONCURRENCY", "CANDOR_SMTP_PASSWORD", "CANDOR_WORKER_ADDR"}, "candor api"},
		{"worker", []string{"CANDOR_WORKER_ADDR", "CANDOR_WORKER_CONCURRENCY", "CANDOR_SMTP_PASSWORD", "CANDOR_REDIS_URL"},
			[]string{"CANDOR_MAX_BODY_BYTES", "CANDOR_API_RATE_LIMIT"}, "candor worker"},
	}
	for _, tt := range tests {
		t.Run(tt.command+" --help", func(t *testing.T) {
			code, stdout, _ := run(t, env{}, tt.command, "--help")
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			for _, v := range tt.lists {
				if !strings.Contains(stdout, "  "+v+" (") {
					t.Errorf("does not list %s:\n%s", v, stdout)
				}
			}
			for _, v := range tt.omits {
				if strings.Contains(stdout, v+" (") {
					t.Errorf("lists %s, which %s does not read", v, tt.command)
				}
			}
			if !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, tt.exampleMentor) {
				t.Errorf("shows no example of %s:\n%s", tt.exampleMentor, stdout)
			}
		})
	}
	t.Run("run lists every variable there is", func(t *testing.T) {
		_, stdout, _ := run(t, env{}, "run", "--help")
		for _, v := range configs.Vars() {
			if !strings.Contains(stdout, v.Name+" (") {
				t.Errorf("run --help does not list %s", v.Name)
			}
		}
	})
}

func TestAPIKeyRefusesADataDirectoryWithoutADatabase(t *testing.T) {
	for _, args := range [][]string{
		{"apikey", "create", "--name", "n", "--role", "admin", "--owner-name", "Ada", "--owner-email", "ada@example.com"},
		{"apikey", "list"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			code, stdout, stderr := run(t, env{"CANDOR_DATA_DIR": dir}, args...)
			if code == 0 || !strings.Contains(stderr, dir) || !strings.Contains(stderr, "no Candor database") {
				t.Errorf("exit %d, stderr %q; want a non-zero exit naming %s", code, stderr, dir)
			}
			if stdout != "" {
				t.Errorf("printed %q on stdout", stdout)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the data directory was created (stat: %v): no database and no secret key may be made", err)
			}
		})
	}
}

func TestCommandsThatStartNoRedisDoNotSayTheyDo(t *testing.T) {
	e := env{"CANDOR_DATA_DIR": t.TempDir()}
	for _, args := range [][]string{{"migrate"}, {"apikey", "list"}, {"seed", "--customers", "3"}} {
		t.Run(args[0], func(t *testing.T) {
			code, _, stderr := run(t, e, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, "embedded mode: SQLite database") || strings.Contains(stderr, "in-process Redis") {
				t.Errorf("log should announce the embedded database and no Redis:\n%s", stderr)
			}
		})
	}
}

func TestAMissingPostgreSQLDatabaseSaysWhichAndHowToCreateIt(t *testing.T) {
	if !contains(testenv.Backends(), "postgres") {
		t.Skip("needs CANDOR_TEST_DATABASE_URL (runs in CI's real-backend pass)")
	}
	e := backendEnv(t, "postgres")
	url := e["CANDOR_DATABASE_URL"]
	q := strings.Index(url, "?")
	slash := strings.LastIndex(url[:q], "/")
	e["CANDOR_DATABASE_URL"] = url[:slash] + "/candor_no_such_database" + url[q:]
	for _, command := range []string{"migrate", "apikey"} {
		t.Run(command, func(t *testing.T) {
			args := []string{command}
			if command == "apikey" {
				args = append(args, "list")
			}
			code, _, stderr := run(t, e, args...)
			for _, want := range []string{`"candor_no_such_database" does not exist`, "createdb", "CREATE DATABASE", "candor migrate"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, stderr)
				}
			}
			if code == 0 || strings.Contains(stderr, "code=") {
				t.Errorf("exit %d; the internal error format reached the person:\n%s", code, stderr)
			}
		})
	}
}

func TestHumanErrorShowsTheMessageOfACodedError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"a coded error shows its message", models.Errorf(models.ENOTFOUND, "No such key."), "No such key."},
		{"a wrapped coded error keeps its context", fmt.Errorf("revoke: %w", models.Errorf(models.ENOTFOUND, "No such key.")), "revoke: No such key."},
		{"a plain error is unchanged", errors.New("listen on :1: in use"), "listen on :1: in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := humanError(tt.err); got != tt.want {
				t.Errorf("humanError = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDescribeOpenErrorNamesTheDatabaseAndHidesThePassword(t *testing.T) {
	const url = "postgres://candor:hunter2@db.internal:6432/candor?sslmode=disable"
	tests := []struct {
		name  string
		cause string
		want  string
	}{
		{"a missing database says how to create it", `failed to connect: server error: FATAL: database "candor" does not exist (SQLSTATE 3D000)`,
			"createdb -h db.internal -p 6432 -U candor candor"},
		{"a refused password names the user", "FATAL: password authentication failed for user (SQLSTATE 28P01)",
			`PostgreSQL on db.internal:6432 refused user "candor"`},
		{"an unreachable server says so", "dial tcp 10.0.0.1:6432: connect: connection refused",
			"cannot reach PostgreSQL on db.internal:6432"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describeOpenError(models.Errorf(models.EUNAVAILABLE, "store: cannot open postgres database: %s", tt.cause), url).Error()
			if !strings.Contains(got, tt.want) || strings.Contains(got, "hunter2") || strings.Contains(got, "code=") {
				t.Errorf("got %q, want it to contain %q and neither the password nor code=", got, tt.want)
			}
		})
	}
}
