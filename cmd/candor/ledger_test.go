package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/candor/candor/configs"
	"github.com/candor/candor/internal/testenv"
)

func TestLedgerVerifyExitsNonZeroNamingTheBrokenCustomer(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := backendEnv(t, backend)
			if code, _, stderr := run(t, e, "migrate"); code != 0 {
				t.Fatalf("migrate exit %d: %s", code, stderr)
			}
			if code, _, stderr := run(t, e, "seed", "--customers", "30", "--seed", "5"); code != 0 {
				t.Fatalf("seed exit %d: %s", code, stderr)
			}
			code, stdout, stderr := run(t, e, "ledger", "verify")
			if code != 0 || !strings.Contains(stdout, "consent ledger intact: 30 customers") {
				t.Fatalf("verify of a seeded ledger: exit %d, stdout %q, stderr %s", code, stdout, stderr)
			}

			a, err := openApp(context.Background(), e.get, io.Discard, "ledger", configs.ModeEmbedded, false)
			if err != nil {
				t.Fatal(err)
			}
			var id int64
			db := a.store.DB()
			err = db.Raw("SELECT customer_id FROM consent_events WHERE status = 'opted_out' ORDER BY id LIMIT 1").Scan(&id).Error
			if err == nil && id > 0 {
				err = db.Exec("UPDATE consent_events SET status = 'opted_in' WHERE customer_id = ? AND status = 'opted_out'", id).Error
			}
			a.Close()
			if err != nil || id == 0 {
				t.Fatalf("tamper: customer %d, %v", id, err)
			}

			code, stdout, _ = run(t, e, "ledger", "verify")
			if code != 1 || !strings.Contains(stdout, fmt.Sprintf("BROKEN customer %d ", id)) || !strings.Contains(stdout, "consent ledger BROKEN") {
				t.Errorf("verify of a rewritten ledger: exit %d, stdout %q; want 1 naming customer %d", code, stdout, id)
			}
		})
	}
}
