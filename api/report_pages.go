package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/candor/candor/models"
)

// reportAccess lets a report page through with a signed link's token
// (?token=, made by POST /v1/report-links for exactly this path and
// query) or else with a viewer's API key as a bearer header. A token
// that does not verify is EUNAUTHORIZED, never a fall-back to the key,
// so a broken link says so.
func (s *server) reportAccess(h gin.HandlerFunc) gin.HandlerFunc {
	viewer := s.requireRole(models.RoleViewer)
	return func(c *gin.Context) {
		q := c.Request.URL.Query()
		tok := q.Get("token")
		if tok == "" {
			// The key's checks and rate limit, as on every keyed route.
			for _, step := range []gin.HandlerFunc{viewer, s.rateLimit, h} {
				if step(c); c.IsAborted() {
					return
				}
			}
			return
		}
		q.Del("token")
		scope := c.Request.URL.Path
		if len(q) > 0 {
			scope += "?" + q.Encode()
		}
		if !s.keys.VerifyReportLinkToken(scope, tok, time.Now()) {
			s.writeError(c, models.Errorf(models.EUNAUTHORIZED, "This report link is broken or expired. Ask for a new one."))
			return
		}
		h(c)
	}
}

// campaignReportPage answers GET /reports/campaigns/{id}: the campaign
// report as an HTML page with charts. ENOTFOUND.
func (s *server) campaignReportPage(c *gin.Context) {
	id, err := campaignID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	r, err := s.reports.CampaignReport(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.reportPage(c, func() ([]byte, error) { return s.reportPages.Campaign(r) })
}

// trustReportPage answers GET /reports/trust?from=&to=: the program
// report as an HTML page with charts. EINVALID naming from or to.
func (s *server) trustReportPage(c *gin.Context) {
	p, err := models.ParseReportPeriod(c.Query("from"), c.Query("to"), time.Now())
	if err != nil {
		s.writeError(c, err)
		return
	}
	r, err := s.reports.TrustReport(c.Request.Context(), p)
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.reportPage(c, func() ([]byte, error) { return s.reportPages.Trust(r) })
}

// reportPage renders a page in memory (a template error is a logged 500,
// never half a page) and sends it with the headers of a private page:
// a link's token is in the URL, so no referrer, cache or frame.
func (s *server) reportPage(c *gin.Context, render func() ([]byte, error)) {
	body, err := render()
	if err != nil {
		s.writeError(c, err)
		return
	}
	privatePageHeaders(c)
	c.Data(http.StatusOK, "text/html; charset=utf-8", body)
}

// createReportLink answers POST /v1/report-links with 201 and a signed
// link to one report page, valid for expires_in seconds (an hour by
// default, a day at most). EINVALID naming path or expires_in;
// ENOTFOUND for an unknown campaign; EMALFORMED.
func (s *server) createReportLink(c *gin.Context) {
	var in models.ReportLinkInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	now := time.Now()
	page, ttl, err := in.Validate(now)
	if err == nil && page.CampaignID != 0 {
		_, err = s.campaigns.Campaign(c.Request.Context(), page.CampaignID)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	expires := now.Add(ttl).Truncate(time.Second)
	q := url.Values{}
	for k, v := range page.Query {
		q[k] = v
	}
	q.Set("token", s.keys.ReportLinkToken(page.Path(), expires))
	link := models.ReportLink{URL: s.publicURL + pathOnly(page.Path()) + "?" + q.Encode(), ExpiresAt: expires.UTC()}
	s.respond(c, http.StatusCreated, link, nil)
}

// pathOnly is p without its query.
func pathOnly(p string) string {
	u, err := url.Parse(p)
	if err != nil {
		return p
	}
	return u.Path
}
