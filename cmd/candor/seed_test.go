package main

import (
	"strings"
	"testing"

	"github.com/candor/candor/internal/testenv"
)

func TestSeedLoadsCustomersOnEachBackend(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := backendEnv(t, backend)
			if code, _, stderr := run(t, e, "migrate"); code != 0 {
				t.Fatalf("migrate exit %d: %s", code, stderr)
			}
			code, stdout, stderr := run(t, e, "seed", "--customers", "40", "--seed", "3")
			if code != 0 || !strings.HasPrefix(stdout, "seeded 40 customers, ") {
				t.Fatalf("seed: exit %d, stdout %q, stderr %s", code, stdout, stderr)
			}
			if strings.Contains(stderr, "@") {
				t.Errorf("the seed log holds an address: %s", stderr)
			}
			code, _, stderr = run(t, e, "seed", "--customers", "1", "--seed", "3")
			if code == 0 || !strings.Contains(stderr, "already exists") {
				t.Errorf("seeding again: exit %d, stderr %s; want a conflict", code, stderr)
			}
		})
	}
}

func TestSeedRejectsABadCount(t *testing.T) {
	code, _, stderr := run(t, env{"CANDOR_DATA_DIR": t.TempDir()}, "seed", "--customers", "0")
	if code == 0 || !strings.Contains(stderr, "--customers must be between 1 and") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestSeedNeedsOnlyTheDatabaseAndTimesItsSteps(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := backendEnv(t, backend)
			delete(e, "CANDOR_REDIS_URL") // seeding queues nothing
			if code, _, stderr := run(t, e, "migrate"); code != 0 {
				t.Fatalf("migrate exit %d: %s", code, stderr)
			}
			code, stdout, stderr := run(t, e, "seed", "--customers", "30", "--timings")
			if code != 0 {
				t.Fatalf("seed without CANDOR_REDIS_URL: exit %d, stderr %s", code, stderr)
			}
			want := []string{"timing open ", "timing customers.copy ", "timing consent_events.copy ", "timing consents.copy ", "timing commit "}
			if backend == "postgres" {
				// A fresh database: the consent tables' keys are deferred
				// and every table's secondary indexes are built after it.
				want = append(want, "timing consent_events.foreign_keys ", "timing customers.indexes ",
					"timing consent_events.indexes ", "timing consents.indexes ", "timing analyze ")
			}
			for _, w := range want {
				if !strings.Contains(stdout, "\n"+w) {
					t.Errorf("stdout has no %q line:\n%s", w, stdout)
				}
			}
		})
	}
}
