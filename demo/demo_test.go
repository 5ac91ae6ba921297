package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/demo"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/internal/teststore"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// counts is what the demo made, by kind.
type counts struct {
	Customers, Contents, Segments, Campaigns, Keys int
	Approved                                       int
}

func count(t *testing.T, s *store.Store) counts {
	t.Helper()
	ctx := context.Background()
	var c counts
	all := func(list func(models.Page) (int, string, error)) int {
		n, p := 0, models.Page{Limit: 100}
		for {
			k, next, err := list(p)
			if err != nil {
				t.Fatal(err)
			}
			n += k
			if next == "" {
				return n
			}
			p.Cursor = next
		}
	}
	c.Customers = all(func(p models.Page) (int, string, error) { x, n, err := s.Customers(ctx, p); return len(x), n, err })
	c.Segments = all(func(p models.Page) (int, string, error) { x, n, err := s.Segments(ctx, p); return len(x), n, err })
	c.Campaigns = all(func(p models.Page) (int, string, error) { x, n, err := s.Campaigns(ctx, p); return len(x), n, err })
	c.Contents = all(func(p models.Page) (int, string, error) {
		x, n, err := s.Contents(ctx, p)
		for _, item := range x {
			if item.State == models.ContentApproved {
				c.Approved++
			}
		}
		return len(x), n, err
	})
	keys, err := s.APIKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Keys = len(keys)
	return c
}

func TestPrepareBuildsTheDemoOnceAndFindsItAgain(t *testing.T) {
	teststore.ForEachBackend(t, func(t *testing.T, backend string) {
		s := teststore.Open(t, backend)
		planner := campaigns.NewPlanner(models.PlanSettings{Channels: models.Channels, DefaultTimezone: "UTC"})
		svc := campaigns.NewService(s, planner)
		opts := demo.Options{Store: s, Launch: svc.LaunchCampaign, Customers: 40, Now: time.Now(),
			Check: func(c *models.Content) []models.Finding {
				return content.CheckContent(&c.ContentInput, content.CheckOptions{Now: time.Now()})
			}}
		first, err := demo.Prepare(context.Background(), opts)
		if err != nil {
			t.Fatalf("first Prepare: %v", err)
		}
		want := counts{Customers: 40, Contents: 3, Approved: 3, Segments: 1, Campaigns: 1, Keys: 2}
		if diff := cmp.Diff(want, count(t, s)); diff != "" {
			t.Fatalf("after the first run (-want +got):\n%s", diff)
		}
		camp := first.Campaign
		if !first.Created || first.ReviewerKey == "" || camp.State != models.CampaignScheduled {
			t.Fatalf("first run: created %v, reviewer key shown %v, campaign %s; want created, shown, scheduled",
				first.Created, first.ReviewerKey != "", camp.State)
		}
		// 40 customers: 4 opted out of the roadmap (every tenth from the
		// 8th), 4 prefer SMS, which the content has no variant for.
		wantExcluded := map[models.Reason]int64{models.ReasonNoConsent: 4, models.ReasonNoVariant: 4}
		if diff := cmp.Diff(wantExcluded, camp.Excluded); camp.Planned != 32 || diff != "" {
			t.Errorf("planned %d, want 32; excluded (-want +got):\n%s", camp.Planned, diff)
		}
		x, err := svc.ExplainCampaign(context.Background(), camp.ID, first.Excluded)
		if err != nil {
			t.Fatal(err)
		}
		if x.Launch == nil || x.Launch.Outcome != models.LaunchExcluded {
			t.Errorf("explain of %s: launch %+v, want excluded", first.Excluded, x.Launch)
		}

		second, err := demo.Prepare(context.Background(), opts)
		if err != nil {
			t.Fatalf("second Prepare: %v", err)
		}
		if diff := cmp.Diff(want, count(t, s)); diff != "" {
			t.Errorf("after the second run (-want +got):\n%s", diff)
		}
		if second.Created || second.ReviewerKey != "" || second.Campaign.ID != camp.ID || second.ReviewerKeyID != first.ReviewerKeyID {
			t.Errorf("second run: created %v, key shown %v, campaign %d (first %d); want nothing new",
				second.Created, second.ReviewerKey != "", second.Campaign.ID, camp.ID)
		}
	})
}
