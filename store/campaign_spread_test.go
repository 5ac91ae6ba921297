package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

func TestPreviewExplainAndLaunchAgreeOnEverySpreadSend(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		content := f.approved(contentInput())
		// London's window is open at the fixture's clock; New York's and
		// Tokyo's open later, so both ways a spread point is found meet.
		zones := []string{"Europe/London", "America/New_York", "Asia/Tokyo"}
		for i := range 30 {
			f.customer(fmt.Sprintf("c%02d", i), "main", true, func(in *models.CustomerInput) { in.Timezone = zones[i%len(zones)] })
		}
		now := f.clk.Now().UTC().Truncate(time.Microsecond)
		camp, err := f.s.CreateCampaign(ctx, &models.CampaignInput{Name: "spread", ContentID: content, SegmentID: pointerTo(f.segment("")),
			Window: models.CampaignWindow{NotBefore: now, NotAfter: now.Add(48 * time.Hour)}})
		if err != nil || !camp.Spread {
			t.Fatalf("create campaign: %+v %v", camp, err)
		}

		previewed, err := f.s.PreviewSendTimes(ctx, camp.ID, campaigns.NewPlanner(unlimited))
		if err != nil {
			t.Fatal(err)
		}
		preview, err := f.s.PreviewCampaign(ctx, camp.ID, campaigns.NewPlanner(unlimited))
		if err != nil {
			t.Fatal(err)
		}
		explained := map[string]time.Time{}
		for i := range 30 {
			ext := fmt.Sprintf("c%02d", i)
			x, err := f.s.ExplainCampaign(ctx, camp.ID, ext, campaigns.NewPlanner(unlimited))
			if err != nil || x.SendAt == nil {
				t.Fatalf("explain %s = %+v %v", ext, x, err)
			}
			explained[ext] = *x.SendAt
		}
		// The launch comes a minute after the preview. A send whose
		// hashed point is already past by then is spread over the rest of
		// the window instead, so the fixture must have none.
		f.clk.Advance(time.Minute)
		launchAt := f.clk.Now()
		for id, at := range previewed {
			if at.Before(launchAt) {
				t.Fatalf("customer %d's hashed point %s precedes the launch at %s: pick another fixture", id, at, launchAt)
			}
		}
		launched, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(unlimited))
		if err != nil || launched.Planned != 30 || len(previewed) != 30 {
			t.Fatalf("launch planned %+v (err %v), preview %d", launched, err, len(previewed))
		}
		items, _, err := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		wantPreview, wantExplain := map[int64]time.Time{}, map[string]time.Time{}
		first, last := items[0].ScheduledAt, items[0].ScheduledAt
		for _, d := range items {
			wantPreview[d.CustomerID], wantExplain[d.ExternalID] = d.ScheduledAt, d.ScheduledAt
			first, last = earliest(first, d.ScheduledAt), latest(last, d.ScheduledAt)
		}
		if diff := cmp.Diff(wantPreview, previewed); diff != "" {
			t.Errorf("launch (-) and preview (+) disagree:\n%s", diff)
		}
		if diff := cmp.Diff(wantExplain, explained); diff != "" {
			t.Errorf("launch (-) and explain before it (+) disagree:\n%s", diff)
		}
		if !preview.FirstSend.Equal(first) || !preview.LastSend.Equal(last) {
			t.Errorf("preview sends from %s to %s, launch from %s to %s", preview.FirstSend, preview.LastSend, first, last)
		}
		var spreadOut bool
		for _, d := range items {
			spreadOut = spreadOut || !strings.HasSuffix(d.ScheduledAt.Format(time.RFC3339), ":00Z")
		}
		if !spreadOut {
			t.Error("every send is on a whole minute: the campaign did not spread")
		}
	})
}

func pointerTo[T any](v T) *T { return &v }

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
