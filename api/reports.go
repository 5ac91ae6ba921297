package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
)

// campaignReport answers GET /v1/campaigns/{id}/report: the campaign's
// funnel, respect of each customer's wishes, reactions within 7 days and
// sends by hour, computed now (docs/reports.md). ENOTFOUND.
func (s *server) campaignReport(c *gin.Context) {
	s.withCampaign(c, http.StatusOK, func(ctx context.Context, id int64) (any, error) {
		return s.reports.CampaignReport(ctx, id)
	})
}
