package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/secrets"
)

// TestPlanningReadOutlastsTheStatementTimeout: a launch reads its whole
// audience as one statement that streams as fast as the plan takes the
// rows, so it lasts as long as the launch. The pool's statement_timeout
// bounded each page when every page was a statement; over the one
// statement it would stop any launch longer than the setting (60 s by
// default: about 6,000,000 customers). Planning's read transaction lifts
// it; every other statement keeps it.
func TestPlanningReadOutlastsTheStatementTimeout(t *testing.T) {
	if !slices.Contains(testenv.Backends(), testenv.Postgres) {
		t.Skip("PostgreSQL's statement_timeout (" + testenv.EnvDatabaseURL + ")")
	}
	keys, err := secrets.New("candor-store-internal-tests-fixed-secret-0123456789", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), Options{DatabaseURL: testenv.BackendURL(t, testenv.Postgres), Keys: keys,
		Rules: segment.Language{}, StatementTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.db.WithContext(ctx).Exec("SELECT pg_sleep(0.3)").Error; !isStatementTimeout(err) {
		t.Fatalf("a 0.3 s statement under a 100 ms statement_timeout: %v, want the timeout", err)
	}
	err = s.withPgxReadTx(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SELECT pg_sleep(0.3)")
		return err
	})
	if err != nil {
		t.Errorf("planning's 0.3 s read under a 100 ms statement_timeout: %v", err)
	}
}
