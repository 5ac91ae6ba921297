package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

func TestASegmentInUseKeepsItsRule(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		f.customer("a", "main", true, nil)
		seg := f.segment("")
		camp := f.campaign(f.approved(contentInput()), seg)
		rule := json.RawMessage(`{"field":"attributes.main","op":"eq","value":"no"}`)
		same := json.RawMessage(`{"field":"attributes.main","op":"eq","value":"yes"}`)

		t.Run("the rule of a segment used only by a draft can be replaced", func(t *testing.T) {
			if _, err := f.s.UpdateSegment(ctx, seg, &models.SegmentInput{Name: "draft use", Rule: rule}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.UpdateSegment(ctx, seg, &models.SegmentInput{Name: "draft use", Rule: same}); err != nil {
				t.Fatal(err)
			}
		})
		if _, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil {
			t.Fatal(err)
		}
		t.Run("replacing the rule of a segment a scheduled campaign uses is a conflict", func(t *testing.T) {
			_, err := f.s.UpdateSegment(ctx, seg, &models.SegmentInput{Name: "x", Rule: rule})
			wantCode(t, err, models.ECONFLICT)
			got, err := f.s.Segment(ctx, seg)
			if err != nil || !strings.Contains(string(got.Rule), `"yes"`) {
				t.Errorf("segment after the refused change = %s, %v; want the launched rule", got.Rule, err)
			}
		})
		t.Run("renaming a segment in use with the same rule is allowed", func(t *testing.T) {
			got, err := f.s.UpdateSegment(ctx, seg, &models.SegmentInput{Name: "renamed", Description: "still main", Rule: same})
			if err != nil || got.Name != "renamed" {
				t.Fatalf("rename = %+v, %v", got, err)
			}
		})
		if _, err := f.s.CancelCampaign(ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		t.Run("once its campaigns are over the rule can be replaced again", func(t *testing.T) {
			if _, err := f.s.UpdateSegment(ctx, seg, &models.SegmentInput{Name: "free", Rule: rule}); err != nil {
				t.Fatal(err)
			}
		})
	})
}
