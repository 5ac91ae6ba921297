package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// TestConcurrentLaunchesSeeEachOther launches two campaigns of different
// content to the same customers at the same moment, as two API processes
// would. Each customer allows one message a day and the channel one send
// a minute, so whichever launch plans second must see the first one's
// deliveries: together they may plan each customer once and each minute
// once.
func TestConcurrentLaunchesSeeEachOther(t *testing.T) {
	const customers = 150
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		for i := range customers {
			f.customer(fmt.Sprintf("busy%03d", i), "main", true, func(in *models.CustomerInput) {
				in.Cadence = &models.Cadence{Max: 1, Per: "24h"}
			})
		}
		seg := f.segment("")
		launches := []*models.Campaign{f.campaign(f.approved(contentInput()), seg), f.campaign(f.approved(contentInput()), seg)}
		var (
			start sync.WaitGroup
			done  sync.WaitGroup
			errs  = make([]error, len(launches))
		)
		start.Add(1)
		for i, c := range launches {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				_, errs[i] = f.s.LaunchCampaign(ctx, c.ID, campaigns.NewPlanner(settings))
			}()
		}
		start.Done()
		done.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("launch %d: %v", i, err)
			}
		}
		var perCustomer []struct {
			CustomerID int64
			N          int
		}
		err := f.s.DB().Raw("SELECT customer_id, COUNT(*) AS n FROM deliveries GROUP BY customer_id").Scan(&perCustomer).Error
		if err != nil {
			t.Fatal(err)
		}
		if len(perCustomer) != customers {
			t.Errorf("%d customers have a delivery, want all %d", len(perCustomer), customers)
		}
		for _, c := range perCustomer {
			if c.N > 1 {
				t.Errorf("customer %d got %d deliveries; their cadence allows 1 a day", c.CustomerID, c.N)
			}
		}
		var times []time.Time
		if err := f.s.DB().Raw("SELECT scheduled_at FROM deliveries").Scan(&times).Error; err != nil {
			t.Fatal(err)
		}
		perMinute := map[time.Time]int{}
		for _, at := range times {
			perMinute[at.UTC().Truncate(time.Minute)]++
		}
		for m, n := range perMinute {
			if n > 1 {
				t.Errorf("%d email sends planned in the minute %s; the channel carries 1", n, m.Format(time.RFC3339))
			}
		}
	})
}

// TestLaunchingNobodyCompletesTheCampaign: with every customer excluded
// there is no delivery for a dispatcher to finish, so the campaign is
// completed at launch rather than scheduled for ever.
func TestLaunchingNobodyCompletesTheCampaign(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		f.customer("unasked", "main", false, nil)
		c, err := f.s.LaunchCampaign(ctx, f.campaign(f.approved(contentInput()), f.segment("")).ID, campaigns.NewPlanner(settings))
		if err != nil {
			t.Fatal(err)
		}
		if c.State != models.CampaignCompleted || c.Planned != 0 || c.Excluded[models.ReasonNoConsent] != 1 {
			t.Errorf("launch of nobody = state %s, planned %d, excluded %v; want completed, 0, no_consent 1", c.State, c.Planned, c.Excluded)
		}
	})
}

// TestResumingWithNothingLeftCompletesTheCampaign: when every missed
// delivery ends at resume and none is left to send, the campaign is over.
func TestResumingWithNothingLeftCompletesTheCampaign(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		f.customer("fickle", "main", true, nil)
		camp := f.campaign(f.approved(contentInput()), f.segment(""))
		if c, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil || c.Planned != 1 {
			t.Fatalf("launch: %+v %v", c, err)
		}
		if _, err := f.s.PauseCampaign(ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		mustSetConsent(t, f.s, "fickle", campaignTopic, models.ConsentOptedOut)
		f.clk.Advance(49 * time.Hour) // past the planned time
		c, err := f.s.ResumeCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
		if err != nil {
			t.Fatal(err)
		}
		if c.State != models.CampaignCompleted {
			t.Errorf("state after resume = %s, want completed", c.State)
		}
	})
}
