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
