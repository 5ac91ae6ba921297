package api

import (
	"net/http"
	"strconv"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/web"
	"github.com/gin-gonic/gin"
)

// offeredContent answers GET /p/{token}/content/{id}: an item the page
// offers, to read at once, saying first whether the customer already
// received it and what a correction changed since, with a form to have it
// sent. ENOTFOUND for content the page does not offer this customer.
func (s *server) offeredContent(c *gin.Context) {
	cust, err := s.tokenCustomer(c, secrets.PurposePreferences)
	var item *models.OfferedItem
	if err == nil {
		var id int64
		if id, err = pathID(c, "No such content."); err == nil {
			item, err = s.preferences.OfferedContent(c.Request.Context(), cust, id)
		}
	}
	if err != nil {
		s.writePageError(c, err)
		return
	}
	form := &web.RequestForm{State: item.State, CSRF: s.keys.FormToken(cust.ID, item.State), Action: c.Param("id") + "/request",
		Channel: cust.PreferredChannel, Timezone: cust.Timezone}
	s.writePage(c, http.StatusOK, web.PageContent, web.ContentData{Message: item.Message, Receipt: item.Receipt,
		BackURL: s.linksFor(cust).PreferencesURL, Request: form})
}

// pathID reads the :id path parameter of a page. ENOTFOUND (with
// notFound as the message) unless it is a positive number.
func pathID(c *gin.Context, notFound string) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.Errorf(models.ENOTFOUND, "%s", notFound)
	}
	return id, nil
}
