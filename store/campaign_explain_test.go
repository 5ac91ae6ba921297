package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
	"github.com/candor/candor/seed"
	"github.com/candor/candor/store"
)

// unlimited configures email and sms without a send rate, so capacity
// never moves a send.
var unlimited = models.PlanSettings{Channels: []models.Channel{models.ChannelEmail, models.ChannelSMS}}

// exclusionsByCustomer reads the exclusions a launch recorded, keyed by
// external id.
func exclusionsByCustomer(t *testing.T, s *store.Store, campaignID int64) map[string]models.Reason {
	t.Helper()
	var rows []struct{ ExternalID, Reason string }
	err := s.DB().Raw("SELECT c.external_id, e.reason FROM campaign_exclusions e JOIN customers c ON c.id = e.customer_id "+
		"WHERE e.campaign_id = ?", campaignID).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]models.Reason{}
	for _, r := range rows {
		out[r.ExternalID] = models.Reason(r.Reason)
	}
	return out
}

func TestLaunchRecordsEachExcludedCustomerWithItsReason(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		content := f.approved(contentInput())
		f.customer("ok", "main", true, nil)
		f.customer("noconsent", "main", false, nil)
		f.customer("webhook", "main", true, func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelWebhook })
		f.customer("notz", "main", true, func(in *models.CustomerInput) { in.Timezone = "" })
		f.customer("nowin", "main", true, func(in *models.CustomerInput) { in.PreferredWindows = nil })
		f.customer("outsider", "other", true, func(in *models.CustomerInput) { in.Attributes["main"] = "no" })
		camp := f.campaign(content, f.segment(""))

		launched, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(unlimited))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]models.Reason{"noconsent": models.ReasonNoConsent, "webhook": models.ReasonChannelUnavailable,
			"notz": models.ReasonNoTimezone, "nowin": models.ReasonNoWindow}
		got := exclusionsByCustomer(t, f.s, camp.ID)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("exclusions (-want +got):\n%s", diff)
		}
		counts := map[models.Reason]int64{}
		for _, r := range got {
			counts[r]++
		}
		if diff := cmp.Diff(launched.Excluded, counts); diff != "" || launched.Planned != 1 {
			t.Errorf("planned %d; campaign counts (-) and recorded exclusions (+) differ:\n%s", launched.Planned, diff)
		}
	})
}

func TestLaunchRecordsExclusionsAcrossManyBatches(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		// The seed opts 20% of its customers in to the content's topic:
		// more than one planning batch of no_consent exclusions.
		const customers = 11000
		if _, err := seed.Load(ctx, f.s, seed.Options{Customers: customers, Seed: 5}); err != nil {
			t.Fatal(err)
		}
		seg, err := f.s.CreateSegment(ctx, &models.SegmentInput{Name: "everyone",
			Rule: json.RawMessage(`{"field":"attributes.plan","op":"in","value":["free","pro","enterprise"]}`)})
		if err != nil {
			t.Fatal(err)
		}
		camp := f.campaign(f.approved(contentInput()), seg.ID)
		launched, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(models.PlanSettings{Channels: models.Channels}))
		if err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Reason string
			N      int64
		}
		err = f.s.DB().Raw("SELECT reason, COUNT(*) AS n FROM campaign_exclusions WHERE campaign_id = ? GROUP BY reason", camp.ID).Scan(&rows).Error
		if err != nil {
			t.Fatal(err)
		}
		recorded, total := map[models.Reason]int64{}, launched.Planned
		for _, r := range rows {
			recorded[models.Reason(r.Reason)] = r.N
			total += r.N
		}
		if diff := cmp.Diff(launched.Excluded, recorded); diff != "" {
			t.Errorf("campaign counts (-) and recorded exclusions (+) differ:\n%s", diff)
		}
		if recorded[models.ReasonNoConsent] <= 5000 || launched.Planned == 0 || total != customers {
			t.Errorf("planned %d and excluded %v of %d customers; the fixture must exclude more than a batch and plan some",
				launched.Planned, recorded, customers)
		}
		var both int64
		err = f.s.DB().Raw("SELECT COUNT(*) FROM campaign_exclusions e JOIN deliveries d ON d.campaign_id = e.campaign_id "+
			"AND d.customer_id = e.customer_id WHERE e.campaign_id = ?", camp.ID).Scan(&both).Error
		if err != nil || both != 0 {
			t.Errorf("%d customers are both planned and excluded (err %v)", both, err)
		}
	})
}

func TestExplainAfterLaunchReportsTheLaunchDecision(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		content := f.approved(contentInput())
		f.customer("ok", "main", true, nil)
		f.customer("later", "main", false, nil)
		camp := f.campaign(content, f.segment(""))

		t.Run("a draft is explained by evaluation alone", func(t *testing.T) {
			x, err := f.s.ExplainCampaign(ctx, camp.ID, "ok", campaigns.NewPlanner(settings))
			if err != nil {
				t.Fatal(err)
			}
			now := f.clk.Now().UTC().Truncate(time.Microsecond)
			if x.Launch != nil || x.SendAtSource != models.SendAtEvaluated || x.SendAt == nil || !x.EvaluatedAt.Equal(now) {
				t.Errorf("explain draft = %+v", x)
			}
		})

		launched, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
		if err != nil {
			t.Fatal(err)
		}
		items, _, err := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{})
		if err != nil || len(items) != 1 {
			t.Fatalf("deliveries = %+v %v", items, err)
		}
		planned := items[0]
		// A day later "later" opts in and "newcomer" joins the segment:
		// today's rules pass for both, but the launch decided otherwise.
		f.clk.Advance(24 * time.Hour)
		mustSetConsent(t, f.s, "later", campaignTopic, models.ConsentOptedIn)
		f.customer("newcomer", "main", true, nil)
		now := f.clk.Now().UTC().Truncate(time.Microsecond)
		decided := *launched.LaunchedAt

		tests := []struct {
			name     string
			customer string
			want     *models.LaunchDecision
			wantSend *time.Time
		}{
			{"a planned customer's send is the delivery's time, not a fresh computation", "ok",
				&models.LaunchDecision{DecidedAt: decided, Outcome: models.LaunchPlanned, DeliveryID: planned.ID,
					Status: models.DeliveryPlanned, ScheduledAt: &planned.ScheduledAt}, &planned.ScheduledAt},
			{"a customer excluded for no_consent who opted in later stays excluded", "later",
				&models.LaunchDecision{DecidedAt: decided, Outcome: models.LaunchExcluded, Reason: models.ReasonNoConsent}, nil},
			{"a customer created after launch was not in the audience", "newcomer",
				&models.LaunchDecision{DecidedAt: decided, Outcome: models.LaunchNotInAudience}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				x, err := f.s.ExplainCampaign(ctx, camp.ID, tt.customer, campaigns.NewPlanner(settings))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, x.Launch); diff != "" {
					t.Errorf("launch (-want +got):\n%s", diff)
				}
				// The rules are today's evaluation, and today they pass.
				if !x.Eligible || !x.EvaluatedAt.Equal(now) {
					t.Errorf("eligible %t (reason %q) evaluated at %s, want eligible at %s", x.Eligible, x.Reason, x.EvaluatedAt, now)
				}
				if diff := cmp.Diff(tt.wantSend, x.SendAt); diff != "" {
					t.Errorf("send_at (-want +got):\n%s", diff)
				}
				if tt.wantSend == nil {
					if x.SendAtLocal != "" || x.SendAtSource != "" {
						t.Errorf("nothing was planned, yet send_at_local %q from %q", x.SendAtLocal, x.SendAtSource)
					}
					return
				}
				local := tt.wantSend.In(mustLoad(t, "Europe/London")).Format(time.RFC3339) + " Europe/London"
				if x.SendAtSource != models.SendAtDelivery || x.SendAtLocal != local {
					t.Errorf("send_at_local %q from %q, want %q from the delivery", x.SendAtLocal, x.SendAtSource, local)
				}
				// The evaluation a day later would plan another time: the
				// answer above is the stored one.
				if at := slotRuleAt(t, x); at.Equal(*tt.wantSend) {
					t.Errorf("the evaluation's slot %s equals the delivery's time; the test does not tell them apart", at)
				}
			})
		}
	})
}

// slotRuleAt returns the send time the no_slot rule evaluated.
func slotRuleAt(t *testing.T, x *models.CampaignExplanation) time.Time {
	t.Helper()
	for _, r := range x.Rules {
		if at, ok := r.Values["at"].(time.Time); ok && r.Rule == models.ReasonNoSlot {
			return at
		}
	}
	t.Fatalf("no no_slot rule with a time in %+v", x.Rules)
	return time.Time{}
}

func mustLoad(t *testing.T, zone string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
