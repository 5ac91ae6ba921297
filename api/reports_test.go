package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestCampaignReportThroughTheAPI(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		content := a.approvedContent(contentBody(models.KindEducation, 0))
		a.campaignCustomer("in", "main", true, nil)
		a.campaignCustomer("out", "main", false, nil)
		camp := a.createCampaign(content, a.groupSegment("main"))
		path := fmt.Sprintf("/v1/campaigns/%d", camp.ID)
		wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, path+"/launch", nil), http.StatusOK)

		t.Run("a viewer reads the funnel of a launched campaign", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, path+"/report", nil)
			wantStatus(t, rec, http.StatusOK)
			got := decodeBody[models.CampaignReport](t, rec)
			want := models.ReportFunnel{SegmentSize: 2, Excluded: map[models.Reason]int64{models.ReasonNoConsent: 1},
				Planned: 1, Pending: 1, Skipped: map[models.Reason]int64{}, Failed: map[models.Reason]int64{}, Expired: map[models.Reason]int64{}}
			if diff := cmp.Diff(want, got.Funnel); diff != "" {
				t.Errorf("funnel (-want +got):\n%s", diff)
			}
			if got.Respect.Share != nil || got.Reaction.WithinDays != 7 {
				t.Errorf("with nothing sent, respect share = %v and reaction window = %d; want null and 7", got.Respect.Share, got.Reaction.WithinDays)
			}
		})
		t.Run("an unknown campaign is a 404 problem", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/campaigns/987654/report", nil), http.StatusNotFound)
		})
		t.Run("a caller without a key is refused", func(t *testing.T) {
			wantStatus(t, a.callWithKey("", http.MethodGet, path+"/report", nil), http.StatusUnauthorized)
		})
	})
}

func TestTrustReportThroughTheAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("c1")
		rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/c1/consents/pricing-guides", map[string]any{"status": "opted_in"})
		wantStatus(t, rec, http.StatusOK)

		t.Run("a viewer reads this week's opt-in", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, "/v1/reports/trust", nil)
			wantStatus(t, rec, http.StatusOK)
			got := decodeBody[models.TrustReport](t, rec)
			if got.NetGrowth["pricing-guides"] != 1 || len(got.Consent) != 1 || got.Consent[0].OptIns != 1 {
				t.Errorf("report = %+v, want one opt-in to pricing-guides", got)
			}
		})
		tests := []struct {
			name, query string
			rules       []string
		}{
			{"an unreadable from is a 422 naming from", "?from=last-week", []string{"from date"}},
			{"a to before from is a 422 naming to", "?from=2026-02-01&to=2026-01-01", []string{"to after_from"}},
			{"a period over a year is a 422 naming to", "?from=2024-01-01&to=2026-01-01", []string{"to max_span"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/reports/trust"+tt.query, nil), http.StatusUnprocessableEntity, tt.rules...)
			})
		}
	})
}
