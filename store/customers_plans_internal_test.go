package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// A prepared statement that PostgreSQL plans anew on every run costs the
// planner's CPU on every request. After five runs PostgreSQL keeps a
// generic plan unless a custom one looks cheaper; the PUT's events
// insert took arrays, whose one-element estimate always looked cheaper,
// so it was planned on every PUT (issue 17, session 7). The test puts
// customers on a pool of one connection and reads that session's
// pg_prepared_statements: no statement may have been planned more than
// the five custom times. SQLite prepares no plans across calls.
func TestSinglePutsReuseTheirPlans(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			if backend != testenv.Postgres {
				t.Skip("plan caching of prepared statements is PostgreSQL's")
			}
			s := openInternal(t, backend)
			s.sizePool(1, 0)
			ctx := context.Background()
			for i := range 14 {
				in := &models.CustomerInput{ExternalID: fmt.Sprintf("plan-%d", i%2), Email: fmt.Sprintf("plan-%d@example.com", i%2),
					Name: fmt.Sprintf("Name %d", i), PreferredChannel: models.ChannelEmail}
				if _, _, err := s.PutCustomer(ctx, in); err != nil {
					t.Fatalf("put %d: %v", i, err)
				}
			}
			type plans struct {
				Statement             string
				Custom, Generic, Runs int64
			}
			var got []plans
			err := s.withPgx(ctx, func(c *pgx.Conn) error {
				rows, err := c.Query(ctx, `SELECT statement, custom_plans, generic_plans, custom_plans + generic_plans
					FROM pg_prepared_statements WHERE statement NOT LIKE '%pg_prepared_statements%'`)
				if err == nil {
					got, err = pgx.CollectRows(rows, pgx.RowToStructByPos[plans])
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var events bool
			for _, p := range got {
				events = events || p.Runs >= 12 && strings.Contains(p.Statement, "INSERT INTO events")
				if p.Custom > 5 {
					t.Errorf("planned anew on each of %d runs (%d custom plans, %d generic):\n%s", p.Runs, p.Custom, p.Generic, p.Statement)
				}
			}
			if !events {
				t.Errorf("no events insert ran 12 times or more on the connection; statements: %+v", got)
			}
		})
	}
}
