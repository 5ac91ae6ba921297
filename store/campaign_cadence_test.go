package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// TestCadenceHoldsWhereCapacityMovedTheSend: the channel carries one
// email a minute, so b's send moves from 09:30 to 09:31; b allows one
// message an hour and another campaign already planned b for 10:30:30.
// At 09:30 the hour around the send is free, at 09:31 it is not, so b
// must be excluded with cadence_cap rather than planned 59.5 minutes
// before the other message.
func TestCadenceHoldsWhereCapacityMovedTheSend(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		now := f.clk.Now().UTC().Truncate(time.Microsecond)
		hourly := func(in *models.CustomerInput) {
			in.PreferredWindows = []models.Window{
				{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "09:30", End: "09:40"},
				{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "10:30", End: "10:40"},
			}
			in.Cadence = &models.Cadence{Max: 1, Per: "1h"}
		}
		f.customer("a", "x", true, hourly)
		f.customer("b", "y", true, hourly)
		spread := false
		y, err := f.s.CreateCampaign(ctx, &models.CampaignInput{Name: "y", ContentID: f.approved(contentInput()), SegmentID: new(f.segment("y")),
			Window: models.CampaignWindow{NotBefore: now.Add(time.Hour + 30*time.Second), NotAfter: now.Add(2 * time.Hour)}, Spread: &spread})
		if err != nil {
			t.Fatal(err)
		}
		if c, err := f.s.LaunchCampaign(ctx, y.ID, campaigns.NewPlanner(settings)); err != nil || c.Planned != 1 {
			t.Fatalf("launch y: %+v %v", c, err)
		}
		x := f.campaign(f.approved(contentInput()), f.segment(""))
		c, err := f.s.LaunchCampaign(ctx, x.ID, campaigns.NewPlanner(settings))
		if err != nil {
			t.Fatal(err)
		}
		if c.Planned != 1 || c.Excluded[models.ReasonCadenceCap] != 1 {
			t.Errorf("launch x planned %d, excluded %v; want a planned and b excluded with cadence_cap", c.Planned, c.Excluded)
		}
		if c.Moved != 0 {
			t.Errorf("moved_by_capacity = %d; b was moved but not planned, so nobody planned was moved", c.Moved)
		}
	})
}
