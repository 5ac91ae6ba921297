package main

import (
	"testing"

	"github.com/candor/candor/internal/testenv"
)

// TestKeyAndLedgerCommandsNeedOnlyTheDatabase: creating and listing API
// keys and verifying the ledger touch nothing in Redis, so with
// PostgreSQL they must not demand CANDOR_REDIS_URL (they did, as seed did
// before it).
func TestKeyAndLedgerCommandsNeedOnlyTheDatabase(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := backendEnv(t, backend)
			delete(e, "CANDOR_REDIS_URL")
			if code, _, stderr := run(t, e, "migrate"); code != 0 {
				t.Fatalf("migrate exit %d: %s", code, stderr)
			}
			for _, args := range [][]string{
				{"apikey", "create", "--name", "ops", "--role", "admin", "--owner-name", "Ops", "--owner-email", "ops@example.com"},
				{"apikey", "list"},
				{"ledger", "verify"},
			} {
				if code, _, stderr := run(t, e, args...); code != 0 {
					t.Errorf("candor %v without CANDOR_REDIS_URL: exit %d, stderr %s", args, code, stderr)
				}
			}
		})
	}
}
