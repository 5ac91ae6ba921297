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

// A single PUT that changes its customer runs two statements and no
// BEGIN or COMMIT: the read with the suppression check, and the write
// with its outbox events. Every statement costs the backend a
// bind-execute cycle and an executor start, a large share of a PUT's
// CPU there (issue 17, session 8); it was four besides BEGIN and COMMIT
// (the locking read, the suppression check, the write, the event). The
// test counts the runs of the prepared statements of a pool of one
// connection over PUTs that create, update (with an email and a phone to
// check) and newly suppress, which writes two events.
func TestSinglePutStatements(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			if backend != testenv.Postgres {
				t.Skip("counts PostgreSQL's prepared statements")
			}
			s := openInternal(t, backend)
			s.sizePool(1, 0)
			ctx := context.Background()
			put := func(i int, email string) {
				t.Helper()
				in := &models.CustomerInput{ExternalID: "stmt", Email: email, Phone: "+15550100",
					Name: fmt.Sprintf("Name %d", i), PreferredChannel: models.ChannelEmail}
				if _, _, err := s.PutCustomer(ctx, in); err != nil {
					t.Fatalf("put %d: %v", i, err)
				}
			}
			runs := func() (n int64) {
				t.Helper()
				err := s.withPgx(ctx, func(c *pgx.Conn) error {
					return c.QueryRow(ctx, `SELECT COALESCE(sum(custom_plans + generic_plans), 0) FROM pg_prepared_statements
						WHERE statement NOT LIKE '%pg_prepared_statements%' AND lower(statement) NOT IN ('begin', 'commit')`).Scan(&n)
				})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			before := runs()
			for i := range 10 {
				put(i, "stmt@example.com") // a create, then updates
			}
			if got := runs() - before; got != 20 {
				t.Errorf("10 PUTs ran %d statements besides BEGIN and COMMIT, want 20", got)
			}
			// Erase another customer with this address: the next PUT
			// newly suppresses, with a customer.suppressed event.
			put(10, "gone@example.com")
			other := &models.CustomerInput{ExternalID: "stmt-other", Email: "taken@example.com", PreferredChannel: models.ChannelEmail}
			if _, _, err := s.PutCustomer(ctx, other); err != nil {
				t.Fatal(err)
			}
			if err := s.EraseCustomer(ctx, "stmt-other"); err != nil {
				t.Fatal(err)
			}
			before = runs()
			put(11, "taken@example.com")
			if got := runs() - before; got != 2 {
				t.Errorf("a newly suppressing PUT ran %d statements besides BEGIN and COMMIT, want 2", got)
			}
			var types []string
			err := s.withPgx(ctx, func(c *pgx.Conn) error {
				rows, err := c.Query(ctx, `SELECT e.type FROM events e JOIN customers c ON c.id = e.customer_id
					WHERE c.external_id = 'stmt' ORDER BY e.id`)
				if err == nil {
					types, err = pgx.CollectRows(rows, pgx.RowTo[string])
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{string(models.EventCustomerCreated)}
			for range 11 {
				want = append(want, string(models.EventCustomerUpdated))
			}
			want = append(want, string(models.EventCustomerSuppressed))
			if strings.Join(types, " ") != strings.Join(want, " ") {
				t.Errorf("events %v, want %v", types, want)
			}
		})
	}
}

// A PUT that keeps the wishes leaves them out of its UPDATE, so that the
// triggers limited to them are skipped (migration 00026), and checks in
// the same statement that the stored columns hold exactly what the full
// write would have written. Here they do not: the stored windows are a
// JSON null (which models.CustomerInput.Normalize never writes, but an
// old row or a hand edit may hold) that decides like the empty list the
// PUT sends. The write must then end as the full statement ends, not
// keep the null: the list written and, as the history trigger has always
// done for that change, the old wishes kept in preference_history.
func TestSinglePutKeepingWishesWritesWhatTheFullWriteWrites(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			if backend != testenv.Postgres {
				t.Skip("the statement that leaves the wishes out is PostgreSQL's")
			}
			s := openInternal(t, backend)
			ctx := context.Background()
			put := func(name string) {
				t.Helper()
				in := &models.CustomerInput{ExternalID: "kept", Email: "kept@example.com", Name: name,
					PreferredChannel: models.ChannelEmail}
				if _, _, err := s.PutCustomer(ctx, in); err != nil {
					t.Fatalf("put %s: %v", name, err)
				}
			}
			state := func() (windows string, history, events int) {
				t.Helper()
				err := s.withPgx(ctx, func(c *pgx.Conn) error {
					return c.QueryRow(ctx, `SELECT c.preferred_windows::text,
						(SELECT count(*) FROM preference_history p WHERE p.customer_id = c.id),
						(SELECT count(*) FROM events e WHERE e.customer_id = c.id)
						FROM customers c WHERE c.external_id = 'kept'`).Scan(&windows, &history, &events)
				})
				if err != nil {
					t.Fatal(err)
				}
				return windows, history, events
			}
			put("First")
			put("Second") // keeps the wishes: no history
			if w, h, e := state(); w != "[]" || h != 0 || e != 2 {
				t.Fatalf("after a PUT that keeps the wishes: windows %s, %d history rows, %d events; want [], 0, 2", w, h, e)
			}
			if err := s.withPgx(ctx, func(c *pgx.Conn) error {
				_, err := c.Exec(ctx, `UPDATE customers SET preferred_windows = 'null' WHERE external_id = 'kept'`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			_, edited, _ := state() // the edit changed the windows: a history row
			put("Third")
			if w, h, e := state(); w != "[]" || h != edited+1 || e != 3 {
				t.Errorf("after a PUT over stored null windows: windows %s, %d history rows, %d events; want [], %d, 3", w, h, e, edited+1)
			}
		})
	}
}
