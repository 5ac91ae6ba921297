package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/candor/candor/models"
)

// campaignReport answers GET /v1/campaigns/{id}/report: the campaign's
// funnel, respect of each customer's wishes, reactions within 7 days and
// sends by hour, computed now (docs/reports.md). ENOTFOUND.
func (s *server) campaignReport(c *gin.Context) {
	s.withCampaign(c, http.StatusOK, func(ctx context.Context, id int64) (any, error) {
		return s.reports.CampaignReport(ctx, id)
	})
}

// trustReport answers GET /v1/reports/trust?from=&to=: consent won and
// lost per topic and week, net growth, and the pressure of the last 30
// days (docs/reports.md). EINVALID naming from or to.
func (s *server) trustReport(c *gin.Context) {
	p, err := models.ParseReportPeriod(c.Query("from"), c.Query("to"), time.Now())
	if err != nil {
		s.writeError(c, err)
		return
	}
	r, err := s.reports.TrustReport(c.Request.Context(), p)
	s.respond(c, http.StatusOK, r, err)
}
