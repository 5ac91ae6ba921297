package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// TestExplainStartsWithTheAudience: before launch, a customer outside the
// segment, or for a correction one who was never sent the corrected
// content (only planned), is not eligible however well the other rules
// pass, and explain gives no send time for them.
func TestExplainStartsWithTheAudience(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		f.customer("member", "main", true, nil)
		f.customer("outsider", "other", true, nil)
		original := f.approved(contentInput())
		orig := f.campaign(original, f.segment("main"))
		tests := []struct {
			name     string
			campaign func() int64
			customer string
			want     bool
		}{
			{"a segment member is in the audience", func() int64 { return f.campaign(original, f.segment("main")).ID }, "member", true},
			{"a customer outside the segment is not", func() int64 { return f.campaign(original, f.segment("main")).ID }, "outsider", false},
			{"a correction's audience leaves out a customer whose original was only planned", func() int64 {
				if _, err := f.s.LaunchCampaign(ctx, orig.ID, campaigns.NewPlanner(settings)); err != nil {
					t.Fatal(err)
				}
				fixIn := contentInput()
				fixIn.Kind, fixIn.Corrects, fixIn.Title = models.KindCorrection, &original, "Correction: bank transfers"
				now := f.clk.Now().UTC().Truncate(time.Microsecond)
				c, err := f.s.CreateCampaign(ctx, &models.CampaignInput{Name: "fix", ContentID: f.approved(fixIn),
					Audience: &models.Audience{RecipientsOf: original}, Window: models.CampaignWindow{NotBefore: now, NotAfter: now.Add(48 * time.Hour)}})
				if err != nil {
					t.Fatal(err)
				}
				return c.ID
			}, "member", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				x, err := f.s.ExplainCampaign(ctx, tt.campaign(), tt.customer, campaigns.NewPlanner(settings))
				if err != nil {
					t.Fatal(err)
				}
				rule := x.Rules[0]
				if rule.Rule != models.ExplainNotInAudience || (rule.Outcome == "pass") != tt.want || x.Eligible != tt.want {
					t.Errorf("eligible %v, first rule %+v; want in audience %v", x.Eligible, rule, tt.want)
				}
				if !tt.want && (x.Reason != models.ExplainNotInAudience || x.SendAt != nil) {
					t.Errorf("reason %q, send_at %v; want not_in_audience and no send time", x.Reason, x.SendAt)
				}
			})
		}
	})
}
