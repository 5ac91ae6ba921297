package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

func TestPutCustomersReportsEachItemAndWritesOnlyChanges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)
		mustPutCustomer(t, s, customerInput("kept"))
		mustPutCustomer(t, s, customerInput("renamed"))
		erased := customerInput("erased")
		erased.Email, erased.Phone = "gone@example.com", "+14155550999"
		mustPutCustomer(t, s, erased)
		if err := s.EraseCustomer(ctx, "erased"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		before := eventTypes(t, s)

		renamed := customerInput("renamed")
		renamed.Name = "Ada King"
		invalid := customerInput("bad")
		invalid.PreferredChannel = "pigeon"
		reuses := customerInput("reuses")
		reuses.Email = "GONE@example.com"
		got, err := s.PutCustomers(ctx, []*models.CustomerInput{
			customerInput("kept"), renamed, customerInput("new"), invalid, nil, customerInput("new"), reuses,
		})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			i    int
			want models.CustomerPut
			code string
		}{
			{"an unchanged customer is reported unchanged", 0, models.CustomerPut{}, ""},
			{"a changed customer is reported changed", 1, models.CustomerPut{Changed: true}, ""},
			{"a new customer is reported created", 2, models.CustomerPut{Created: true, Changed: true}, ""},
			{"an invalid item fails alone", 3, models.CustomerPut{}, models.EINVALID},
			{"a missing item fails alone", 4, models.CustomerPut{}, models.EINVALID},
			{"a repeated external id fails alone", 5, models.CustomerPut{}, models.EINVALID},
			{"a new customer at an erased address is created", 6, models.CustomerPut{Created: true, Changed: true}, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := got[tt.i]
				if models.ErrorCode(r.Err) != tt.code || (tt.code == "" && r.Err != nil) {
					t.Fatalf("item %d error = %v, want code %q", tt.i, r.Err, tt.code)
				}
				if r.Created != tt.want.Created || r.Changed != tt.want.Changed {
					t.Errorf("item %d = %+v, want %+v", tt.i, r, tt.want)
				}
			})
		}
		t.Run("the repeat names the rule and the first item", func(t *testing.T) {
			want := []models.FieldError{{Field: "/external_id", Rule: "unique_in_batch", Detail: "repeats the external_id of item 2; send each customer once per batch"}}
			if diff := cmp.Diff(want, models.ErrorFields(got[5].Err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
		t.Run("only the changes wrote events, in item order", func(t *testing.T) {
			want := append(before, "customer.updated", "customer.created", "customer.created", "customer.suppressed")
			if diff := cmp.Diff(want, eventTypes(t, s)); diff != "" {
				t.Errorf("event types (-want +got):\n%s", diff)
			}
		})
		t.Run("the customer at an erased address is suppressed", func(t *testing.T) {
			c, err := s.Customer(ctx, "reuses")
			if err != nil || !c.Suppressed {
				t.Errorf("reuses = %+v, %v; want suppressed", c, err)
			}
		})
	})
}

// TestPutCustomersAgreesWithPutCustomer holds the set-based batch to the
// one-by-one oracle: the same random batches, applied to two stores with
// the same clock, leave the same customers and the same outbox.
func TestPutCustomersAgreesWithPutCustomer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		batch, oracle := mustOpenWith(t, backend, clk.Now), mustOpenWith(t, backend, clk.Now)
		rng := rand.New(rand.NewPCG(17, 6))
		for round := range 6 {
			clk.Advance(time.Minute)
			ins := randomBatch(rng, 40)
			got, err := batch.PutCustomers(ctx, ins)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			seen := map[string]bool{}
			for i, in := range ins {
				want := models.CustomerPut{}
				if seen[in.ExternalID] {
					want.Err = models.Errorf(models.EINVALID, "repeat")
				} else {
					before, _ := oracle.Customer(ctx, in.ExternalID)
					after, created, err := oracle.PutCustomer(ctx, in)
					want = models.CustomerPut{Created: created, Changed: err == nil && (before == nil || !after.UpdatedAt.Equal(before.UpdatedAt)), Err: err}
					// Only a valid item claims its external id.
					seen[in.ExternalID] = err == nil
				}
				if models.ErrorCode(got[i].Err) != models.ErrorCode(want.Err) || got[i].Created != want.Created || got[i].Changed != want.Changed {
					t.Fatalf("round %d item %d (%s): batch %+v, one by one %+v", round, i, in.ExternalID, got[i], want)
				}
			}
		}
		if diff := cmp.Diff(allCustomers(t, oracle), allCustomers(t, batch)); diff != "" {
			t.Errorf("customers (-one by one +batch):\n%s", diff)
		}
		wantEvents, _ := oracle.Events(ctx, 0, models.MaxPageLimit)
		gotEvents, _ := batch.Events(ctx, 0, models.MaxPageLimit)
		if len(gotEvents) < 10 {
			t.Fatalf("only %d events: the batches changed too little to compare", len(gotEvents))
		}
		if diff := cmp.Diff(wantEvents, gotEvents); diff != "" {
			t.Errorf("outbox (-one by one +batch):\n%s", diff)
		}
	})
}

// randomBatch draws n inputs over a small set of external ids, so batches
// repeat ids, replay stored profiles and change them.
func randomBatch(rng *rand.Rand, n int) []*models.CustomerInput {
	ins := make([]*models.CustomerInput, n)
	for i := range ins {
		in := customerInput(fmt.Sprintf("c-%d", rng.IntN(60)))
		switch rng.IntN(5) {
		case 0:
			in.Name = fmt.Sprintf("Name %d", rng.IntN(3))
		case 1:
			in.PreferredChannel, in.Phone = models.ChannelSMS, "+1415555012"+fmt.Sprint(rng.IntN(10))
		case 2:
			in.Cadence = nil
		case 3:
			in.Timezone = "not/a-zone"
		}
		ins[i] = in
	}
	return ins
}

// allCustomers reads every live customer.
func allCustomers(tb testing.TB, s *store.Store) []*models.Customer {
	tb.Helper()
	var out []*models.Customer
	page := models.Page{Limit: models.MaxPageLimit}
	for {
		items, next, err := s.Customers(context.Background(), page)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, items...)
		if next == "" {
			return out
		}
		page.Cursor = next
	}
}

// BenchmarkPutCustomers writes batches of 1,000 customers that all change
// (after the first pass every item is an update of a stored row):
//
//	CANDOR_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	  go test ./store -run '^$' -bench PutCustomers -benchtime 20x
func BenchmarkPutCustomers(b *testing.B) {
	for _, backend := range testenv.Backends() {
		b.Run(backend, func(b *testing.B) {
			s := mustOpen(b, backend)
			ctx := context.Background()
			ins := make([]*models.CustomerInput, 1000)
			for i := range ins {
				ins[i] = customerInput(fmt.Sprintf("bench-%d", i))
			}
			if _, err := s.PutCustomers(ctx, ins); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for n := range b.N {
				for _, in := range ins {
					in.Name = fmt.Sprintf("Name %d", n)
				}
				if _, err := s.PutCustomers(ctx, ins); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(ins))/b.Elapsed().Seconds(), "customers/s")
		})
	}
}
