package api

import (
	"net/http"

	"github.com/candor/candor/secrets"
	"github.com/candor/candor/web"
	"github.com/gin-gonic/gin"
)

// erasePage answers GET /p/{token}/erase: the confirmation step before
// erasure. It changes nothing. ENOTFOUND.
func (s *server) erasePage(c *gin.Context) {
	cust, err := s.tokenCustomer(c, secrets.PurposePreferences)
	if err != nil {
		s.writePageError(c, err)
		return
	}
	s.writePage(c, http.StatusOK, web.PageErase, s.eraseData(cust.ID, formState(cust), s.linksFor(cust).PreferencesURL, ""))
}

// eraseMyData answers POST /p/{token}/erase with confirm=yes: the
// customer is erased as DELETE /v1/customers/{id} does. Without the
// confirmation the page is shown again (422). EFORBIDDEN; ENOTFOUND.
func (s *server) eraseMyData(c *gin.Context) {
	cust, err := s.formCustomer(c)
	if err != nil {
		s.writePageError(c, err)
		return
	}
	if c.Request.PostForm.Get("confirm") != "yes" {
		s.writePage(c, http.StatusUnprocessableEntity, web.PageErase, s.eraseData(cust.ID, formState(cust),
			s.linksFor(cust).PreferencesURL, "Please tick the box to confirm that you want your data erased."))
		return
	}
	if err := s.preferences.EraseData(c.Request.Context(), cust); err != nil {
		s.writePageError(c, err)
		return
	}
	s.writePage(c, http.StatusOK, web.PageErased, nil)
}

func (s *server) eraseData(customerID int64, state, back, problem string) web.EraseData {
	return web.EraseData{CSRF: s.keys.FormToken(customerID, state), Action: "erase", BackURL: back, Error: problem}
}
