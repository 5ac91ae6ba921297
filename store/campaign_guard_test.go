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

// TestManyLaunchesAtOnceDoNotStarveThePool launches more campaigns at once
// than the PostgreSQL pool has connections. Launches wait for one another
// (the planning lock), and the one planning needs a second connection for
// its reads: if the waiting ones could hold every connection, all would
// hang. The deadline turns a hang into a failure.
func TestManyLaunchesAtOnceDoNotStarveThePool(t *testing.T) {
	const launches = 24 // the pool has 20 connections
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		f := newCampaignFixture(t, backend)
		f.customer("one", "main", true, nil)
		seg := f.segment("")
		camps := make([]*models.Campaign, launches)
		for i := range camps {
			in := contentInput()
			in.Title = fmt.Sprintf("Guide %d", i)
			camps[i] = f.campaign(f.approved(in), seg)
		}
		var wg sync.WaitGroup
		errs := make([]error, launches)
		for i, c := range camps {
			wg.Go(func() { _, errs[i] = f.s.LaunchCampaign(ctx, c.ID, campaigns.NewPlanner(settings)) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("launch %d: %v", i, err)
			}
		}
	})
}

// TestResumeCountsOnlyDeliveriesThatWereHandedOn: a delivery skipped
// because its customer was erased was never queued, so resuming a campaign
// that never sent anything returns it to scheduled, not running.
func TestResumeCountsOnlyDeliveriesThatWereHandedOn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		f.customer("leaving", "main", true, nil)
		f.customer("staying", "main", true, nil)
		camp := f.campaign(f.approved(contentInput()), f.segment(""))
		if c, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil || c.Planned != 2 {
			t.Fatalf("launch: %+v %v", c, err)
		}
		if err := f.s.EraseCustomer(ctx, "leaving"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.PauseCampaign(ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		c, err := f.s.ResumeCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
		if err != nil {
			t.Fatal(err)
		}
		if c.State != models.CampaignScheduled {
			t.Errorf("state after resume = %s, want scheduled: nothing was ever queued", c.State)
		}
	})
}

// TestCapacityCountsSendsEarlierInTheFirstMinute: campaign y starts 20
// seconds into the minute x already used; with one email a minute, y's
// send must move to a later minute.
func TestCapacityCountsSendsEarlierInTheFirstMinute(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		now := f.clk.Now().UTC().Truncate(time.Microsecond)
		f.customer("x", "x", true, nil)
		f.customer("y", "y", true, nil)
		x := f.campaign(f.approved(contentInput()), f.segment("x"))
		if c, err := f.s.LaunchCampaign(ctx, x.ID, campaigns.NewPlanner(settings)); err != nil || c.Planned != 1 {
			t.Fatalf("launch x: %+v %v", c, err)
		}
		spread := false
		y, err := f.s.CreateCampaign(ctx, &models.CampaignInput{Name: "y", ContentID: f.approved(contentInput()), SegmentID: new(f.segment("y")),
			Window: models.CampaignWindow{NotBefore: now.Add(20 * time.Second), NotAfter: now.Add(48 * time.Hour)}, Spread: &spread})
		if err != nil {
			t.Fatal(err)
		}
		if c, err := f.s.LaunchCampaign(ctx, y.ID, campaigns.NewPlanner(settings)); err != nil || c.Planned != 1 {
			t.Fatalf("launch y: %+v %v", c, err)
		}
		var times []time.Time
		if err := f.s.DB().Raw("SELECT scheduled_at FROM deliveries ORDER BY campaign_id").Scan(&times).Error; err != nil {
			t.Fatal(err)
		}
		if len(times) != 2 || times[0].UTC().Truncate(time.Minute).Equal(times[1].UTC().Truncate(time.Minute)) {
			t.Errorf("sends at %v: two emails in one minute, the channel carries 1", times)
		}
	})
}

// TestExplainOutlivesTheSegment: once a campaign is over its segment may
// be deleted; explaining the campaign must still report what the launch
// decided instead of refusing because the audience is gone.
func TestExplainOutlivesTheSegment(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		f.customer("reader", "main", true, nil)
		seg := f.segment("")
		camp := f.campaign(f.approved(contentInput()), seg)
		if _, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CancelCampaign(ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteSegment(ctx, seg); err != nil {
			t.Fatal(err)
		}
		x, err := f.s.ExplainCampaign(ctx, camp.ID, "reader", campaigns.NewPlanner(settings))
		if err != nil {
			t.Fatalf("explain after the segment was deleted: %v", err)
		}
		if x.Launch == nil || x.Launch.Outcome != models.LaunchPlanned || x.Launch.Status != models.DeliveryCancelled {
			t.Errorf("launch decision = %+v, want planned and now cancelled", x.Launch)
		}
	})
}
