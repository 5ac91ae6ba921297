package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/candor/candor/internal/testenv"
)

// TestMigrateDownRollsBackForAnOlderRelease: going back to an older release
// runs the down steps of the migrations it does not hold. Every down step
// runs here (down to 0 and up again), so a broken one fails CI rather than
// an operator's rollback.
func TestMigrateDownRollsBackForAnOlderRelease(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := databaseOnlyEnv(t, backend)
			if code, _, stderr := run(t, e, "migrate"); code != 0 {
				t.Fatalf("migrate: exit %d, stderr:\n%s", code, stderr)
			}
			all := statusVersions(t, e, "applied")
			if len(all) < 2 {
				t.Fatalf("migrate status lists %d applied migrations, want every one: %v", len(all), all)
			}
			newest, previous := all[len(all)-1], all[len(all)-2]

			t.Run("down to the previous version rolls back only the newest migration", func(t *testing.T) {
				code, stdout, stderr := run(t, e, "migrate", "down", "--to", fmt.Sprint(previous))
				if code != 0 {
					t.Fatalf("migrate down: exit %d, stderr:\n%s", code, stderr)
				}
				if want := fmt.Sprintf("rolled back %05d\n", newest); !strings.HasPrefix(stdout, want) {
					t.Errorf("stdout %q, want it to start with %q", stdout, want)
				}
				if got := pendingMigrations(t, e); !slices.Equal(got, []int64{newest}) {
					t.Errorf("pending after the rollback: %v, want [%d]", got, newest)
				}
				if got := statusVersions(t, e, "pending"); !slices.Equal(got, []int64{newest}) {
					t.Errorf("migrate status lists %v pending, want [%d]", got, newest)
				}
			})
			t.Run("down to 0 runs every down step and migrate applies them all again", func(t *testing.T) {
				code, stdout, stderr := run(t, e, "migrate", "down", "--to", "0")
				if code != 0 {
					t.Fatalf("migrate down --to 0: exit %d, stderr:\n%s", code, stderr)
				}
				if want := fmt.Sprintf("schema at version 0 (%d migrations rolled back)", len(all)-1); !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
				if got := pendingMigrations(t, e); !slices.Equal(got, all) {
					t.Errorf("pending after down to 0: %v, want every migration %v", got, all)
				}
				if code, _, stderr := run(t, e, "migrate"); code != 0 {
					t.Fatalf("migrate after down to 0: exit %d, stderr:\n%s", code, stderr)
				}
				if got := pendingMigrations(t, e); len(got) != 0 {
					t.Errorf("pending after migrating again: %v, want none", got)
				}
			})
			for _, c := range []struct {
				name string
				args []string
				want string
			}{
				{"down without --to is refused", []string{"migrate", "down"}, "needs --to VERSION"},
				{"down to a version above the schema's is refused", []string{"migrate", "down", "--to", fmt.Sprint(newest + 1)},
					fmt.Sprintf("The schema is at version %d", newest)},
				{"down to a negative version is refused", []string{"migrate", "down", "--to", "-1"}, "must be 0 or more"},
			} {
				t.Run(c.name, func(t *testing.T) {
					code, _, stderr := run(t, e, c.args...)
					if code == 0 || !strings.Contains(stderr, c.want) {
						t.Errorf("exit %d, stderr %q: want a failure saying %q", code, stderr, c.want)
					}
					if got := pendingMigrations(t, e); len(got) != 0 {
						t.Errorf("a refused rollback changed the schema: pending %v", got)
					}
				})
			}
		})
	}
}

// statusVersions runs `candor migrate status` on e and returns the versions
// it lists in state (applied or pending), in its order.
func statusVersions(t *testing.T, e env, state string) []int64 {
	t.Helper()
	code, stdout, stderr := run(t, e, "migrate", "status")
	if code != 0 {
		t.Fatalf("migrate status: exit %d, stderr:\n%s", code, stderr)
	}
	var out []int64
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var v int64
		var st, name string
		if _, err := fmt.Sscanf(line, "%d %s %s", &v, &st, &name); err != nil {
			t.Fatalf("migrate status line %q: %v", line, err)
		}
		if st == state {
			out = append(out, v)
		}
	}
	return out
}

// TestMigrateStatusAndDownNeedAnEmbeddedDatabase: a mistyped
// CANDOR_DATA_DIR must not get a new, empty database that then reports
// every migration pending.
func TestMigrateStatusAndDownNeedAnEmbeddedDatabase(t *testing.T) {
	for _, args := range [][]string{{"migrate", "status"}, {"migrate", "down", "--to", "0"}} {
		t.Run(strings.Join(args, " ")+" refuses a data directory without a database", func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "mistyped")
			code, _, stderr := run(t, env{"CANDOR_DATA_DIR": dir}, args...)
			if code == 0 || !strings.Contains(stderr, "no Candor database in") {
				t.Errorf("exit %d, stderr %q: want a failure saying there is no Candor database there", code, stderr)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the command made %s (stat: %v)", dir, err)
			}
		})
	}
}
