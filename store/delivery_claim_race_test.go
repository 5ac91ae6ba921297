package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// claimConcurrently claims each list of ids in its own goroutine, all at
// once, and returns every claimed delivery id.
func claimConcurrently(t *testing.T, f *deliveryFixture, planner models.Planner, lists ...[]int64) []int64 {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([][]*models.ClaimedSend, len(lists))
	errs := make([]error, len(lists))
	for i, l := range lists {
		wg.Go(func() {
			<-start
			results[i], errs[i] = f.s.ClaimDeliveries(context.Background(), l, "w1", claimLease, planner)
		})
	}
	close(start)
	wg.Wait()
	var out []int64
	for i := range lists {
		if errs[i] != nil {
			t.Fatalf("claim %d: %v", i, errs[i])
		}
		out = append(out, claimedIDs(results[i])...)
	}
	return out
}

// TestCadenceHoldsAcrossCampaignsAtSendTime gives three customers a
// delivery in each of two campaigns, planned while their cadence allowed
// both, then lowers the cap to one message and claims both.
func TestCadenceHoldsAcrossCampaignsAtSendTime(t *testing.T) {
	capped := campaigns.NewPlanner(models.PlanSettings{Channels: sendSettings.Channels, GlobalCap: &models.Cadence{Max: 1, Per: "7d"}})
	tests := []struct {
		name string
		// ownCap lowers the customers' own cadence to 1/7d; otherwise
		// the claim's planner has a global cap of 1/7d.
		ownCap     bool
		concurrent bool
	}{
		{"the customer's own cadence allows one of two deliveries claimed in one batch", true, false},
		{"the customer's own cadence allows one of two deliveries claimed concurrently", true, true},
		{"the global cap allows one of two deliveries claimed in one batch", false, false},
		{"the global cap allows one of two deliveries claimed concurrently", false, true},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := newDeliveryFixture(t, backend)
				exts := []string{"a", "b", "c"}
				for _, ext := range exts {
					f.add(ext, "g", nil)
				}
				first, second := f.launch(nil, "g"), f.launch(nil, "g")
				one, two := ids(f.deliveries(first.ID)), ids(f.deliveries(second.ID))
				if len(one) != 3 || len(two) != 3 {
					t.Fatalf("planned %d and %d deliveries, want 3 each", len(one), len(two))
				}
				planner := models.Planner(capped)
				if tt.ownCap {
					planner = f.planner
					for _, ext := range exts {
						f.change(ext, func(in *models.CustomerInput) { in.Cadence = &models.Cadence{Max: 1, Per: "7d"} })
					}
				}
				f.dispatch()
				var claimed []int64
				if tt.concurrent {
					claimed = claimConcurrently(t, f, planner, one, two)
				} else {
					claimed = claimedIDs(f.claimWith(planner, append(one, two...)...))
				}
				if len(claimed) != 3 {
					t.Errorf("claimed %v, want one delivery per customer", claimed)
				}
				for i := range exts {
					a, b := f.delivery(one[i]), f.delivery(two[i])
					got := map[models.DeliveryStatus]models.Reason{a.Status: a.Reason, b.Status: b.Reason}
					want := map[models.DeliveryStatus]models.Reason{models.DeliverySending: "", models.DeliverySkipped: models.ReasonCadenceCap}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("customer %s: statuses (-want +got):\n%s", exts[i], diff)
					}
				}
			})
		}
	})
}

func TestConcurrentClaimsOfTheSameDeliveriesClaimEachOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		for _, ext := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
			f.add(ext, "g", nil)
		}
		camp := f.launch(nil, "g")
		all := ids(f.deliveries(camp.ID))
		if len(all) != 10 {
			t.Fatalf("planned %d deliveries, want 10: the race would be checked on nothing", len(all))
		}
		f.dispatch()
		claimed := claimConcurrently(t, f, f.planner, all, all, all, all)
		seen := map[int64]int{}
		for _, id := range claimed {
			seen[id]++
		}
		for _, id := range all {
			if seen[id] != 1 {
				t.Errorf("delivery %d claimed %d times", id, seen[id])
			}
			if d := f.delivery(id); d.Status != models.DeliverySending || d.Attempts != 1 {
				t.Errorf("delivery %d: %s after %d attempts, want sending after 1", id, d.Status, d.Attempts)
			}
		}
	})
}
