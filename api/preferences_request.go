package api

import (
	"net/http"

	"github.com/candor/candor/models"
	"github.com/candor/candor/web"
	"github.com/gin-gonic/gin"
)

// requestContent answers POST /p/{token}/content/{id}/request: the
// customer asks for an offered item to be sent through their preferred
// channel. The answer page says when it will be sent, or that it is not
// sent again (already received, already on its way, the same form
// submitted before), or why it cannot be sent (409). EFORBIDDEN for a
// missing or forged form token; ENOTFOUND for content not offered.
func (s *server) requestContent(c *gin.Context) {
	cust, err := s.formCustomer(c)
	var req *models.ContentRequest
	if err == nil {
		var id int64
		if id, err = pathID(c, "No such content."); err == nil {
			req, err = s.preferences.RequestContent(c.Request.Context(), cust, id, c.Request.PostForm.Get("state"))
		}
	}
	if err != nil {
		s.writePageError(c, err)
		return
	}
	status := http.StatusOK
	if req.Outcome == models.RequestRefused || req.Outcome == models.RequestTooMany {
		status = http.StatusConflict
	}
	back := s.linksFor(cust).PreferencesURL
	s.writePage(c, status, web.PageRequested, web.RequestedData{Request: req, Timezone: cust.Timezone,
		ReadURL: back + "/content/" + c.Param("id"), BackURL: back})
}
