package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// TestChannelCapacityIsSharedAcrossCampaigns launches two campaigns on one
// channel limited to one send a minute: together they must never put two
// sends into the same minute.
func TestChannelCapacityIsSharedAcrossCampaigns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		for i := range 4 {
			f.customer(fmt.Sprintf("cap%d", i), "main", true, nil)
		}
		seg := f.segment("")
		first, second := f.campaign(f.approved(contentInput()), seg), f.campaign(f.approved(contentInput()), seg)
		for _, c := range []*models.Campaign{first, second} {
			got, err := f.s.LaunchCampaign(ctx, c.ID, campaigns.NewPlanner(settings))
			if err != nil {
				t.Fatal(err)
			}
			if got.Planned != 4 {
				t.Fatalf("campaign %d planned %d, want 4", c.ID, got.Planned)
			}
		}
		var times []time.Time
		if err := f.s.DB().Raw("SELECT scheduled_at FROM deliveries WHERE channel = 'email'").Scan(&times).Error; err != nil {
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
		if len(times) != 8 {
			t.Errorf("%d deliveries, want 8", len(times))
		}
	})
}

func TestErasureSkipsTheCustomersPlannedDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		f.customer("leaving", "main", true, nil)
		f.customer("staying", "main", true, nil)
		camp := f.campaign(f.approved(contentInput()), f.segment(""))
		if _, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil {
			t.Fatal(err)
		}
		if err := f.s.EraseCustomer(ctx, "leaving"); err != nil {
			t.Fatal(err)
		}
		var rows []struct{ Status, Reason string }
		if err := f.s.DB().Raw("SELECT status, reason FROM deliveries ORDER BY customer_id").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		want := []struct{ Status, Reason string }{{"skipped", "erased"}, {"planned", ""}}
		if fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("deliveries after erasure = %v, want %v", rows, want)
		}
	})
}
