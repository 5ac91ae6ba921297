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
// received it and what a correction changed since. ENOTFOUND for content
// the page does not offer this customer.
func (s *server) offeredContent(c *gin.Context) {
	cust, err := s.tokenCustomer(c, secrets.PurposePreferences)
	var read *models.SentMessageCopy
	var receipt *models.ContentReceipt
	if err == nil {
		id, perr := strconv.ParseInt(c.Param("id"), 10, 64)
		if perr != nil || id <= 0 {
			err = models.Errorf(models.ENOTFOUND, "No such content.")
		} else {
			read, receipt, err = s.preferences.OfferedContent(c.Request.Context(), cust, id)
		}
	}
	if err != nil {
		s.writePageError(c, err)
		return
	}
	s.writePage(c, http.StatusOK, web.PageContent, web.ContentData{Message: read, Receipt: receipt, BackURL: s.linksFor(cust).PreferencesURL})
}
