package store_test

import (
	"context"
	"testing"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// pausingPlanner is the real planner, except that deciding about the
// customer with id `at` tells `reached` and waits for `resume`: the launch
// holds the planning lock meanwhile (and on PostgreSQL its transaction).
type pausingPlanner struct {
	models.Planner
	at              int64
	reached, resume chan struct{}
}

func (p pausingPlanner) Plan(t models.PlanTarget) models.CampaignPlan {
	return pausingPlan{CampaignPlan: p.Planner.Plan(t), p: p}
}

type pausingPlan struct {
	models.CampaignPlan
	p pausingPlanner
}

func (p pausingPlan) Decide(ctx context.Context, f *models.PlanFacts) (models.PlanDecision, error) {
	if f.Customer.ID == p.p.at {
		close(p.p.reached)
		<-p.p.resume
	}
	return p.CampaignPlan.Decide(ctx, f)
}

// TestErasureDoesNotWaitForALaunch replaces the old rule that erasure
// waits for a planning launch (issue 15: an erasure waited 164 s behind
// one). A launch is held in the middle of its plan, after it read the
// customer and before it wrote; the erasure must complete meanwhile, and
// once the launch commits the erased customer has no planned delivery:
// the launch skipped it as erased. On SQLite too: a launch there holds
// the database's one writer only for short transactions (see also
// TestOnSQLiteErasuresCommitWhileALaunchWrites).
func TestErasureDoesNotWaitForALaunch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		staying := f.customer("staying", "main", true, nil)
		leaving := f.customer("leaving", "main", true, nil)
		camp := f.campaign(f.approved(contentInput()), f.segment(""))
		pp := pausingPlanner{Planner: campaigns.NewPlanner(settings), at: leaving.ID,
			reached: make(chan struct{}), resume: make(chan struct{})}
		type result struct {
			c   *models.Campaign
			err error
		}
		launched := make(chan result, 1)
		go func() {
			c, err := f.s.LaunchCampaign(ctx, camp.ID, pp)
			launched <- result{c, err}
		}()
		<-pp.reached
		// The launch holds the planning lock and has read "leaving".
		if err := f.s.EraseCustomer(ctx, "leaving"); err != nil {
			t.Fatalf("erasure during a launch: %v", err)
		}
		close(pp.resume)
		r := <-launched
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.c.Planned != 1 || r.c.Excluded[models.ReasonErased] != 1 {
			t.Errorf("launch planned %d, excluded %v; want 1 planned and 1 erased", r.c.Planned, r.c.Excluded)
		}
		wantDeliveries(t, f.s, camp.ID, map[int64]string{staying.ID: "planned", leaving.ID: "skipped/erased"})
	})
}

// TestALaunchAfterAnErasureSkipsTheErasedCustomer: whichever commits
// first, an erased customer never keeps a planned delivery, on every
// backend.
func TestALaunchAfterAnErasureSkipsTheErasedCustomer(t *testing.T) {
	tests := []struct {
		name        string
		eraseBefore bool
	}{
		{"erasure before the launch", true},
		{"erasure after the launch", false},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				f := newCampaignFixture(t, backend)
				staying := f.customer("staying", "main", true, nil)
				f.customer("leaving", "main", true, nil)
				camp := f.campaign(f.approved(contentInput()), f.segment(""))
				if tt.eraseBefore {
					if err := f.s.EraseCustomer(ctx, "leaving"); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil {
					t.Fatal(err)
				}
				if !tt.eraseBefore {
					if err := f.s.EraseCustomer(ctx, "leaving"); err != nil {
						t.Fatal(err)
					}
				}
				ds, _, err := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{Limit: 10}, models.DeliveryPlanned)
				if err != nil {
					t.Fatal(err)
				}
				if len(ds) != 1 || ds[0].CustomerID != staying.ID {
					t.Errorf("planned deliveries %+v, want only the staying customer's", ds)
				}
			})
		}
	})
}

// wantDeliveries checks each customer's delivery of campaign id as
// "status" or "status/reason".
func wantDeliveries(t *testing.T, s *store.Store, id int64, want map[int64]string) {
	t.Helper()
	ds, _, err := s.CampaignDeliveries(context.Background(), id, models.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, d := range ds {
		got[d.CustomerID] = string(d.Status)
		if d.Reason != "" {
			got[d.CustomerID] += "/" + string(d.Reason)
		}
	}
	for c, w := range want {
		if got[c] != w {
			t.Errorf("customer %d: delivery %q, want %q", c, got[c], w)
		}
	}
}
