package api

import (
	"net/http"

	"github.com/candor/candor/models"
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
	s.writePage(c, http.StatusOK, web.PageErase, s.eraseData(cust, ""))
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
		s.writePage(c, http.StatusUnprocessableEntity, web.PageErase, s.eraseData(cust, web.MsgEraseUnconfirmed))
		return
	}
	if err := s.preferences.EraseData(c.Request.Context(), cust); err != nil {
		s.writePageError(c, err)
		return
	}
	s.writePage(c, http.StatusOK, web.PageErased, nil)
}

// eraseData fills the confirmation page; its form state is fixed, since
// erasing is the same whatever changed meanwhile.
func (s *server) eraseData(cust *models.Customer, problem string) web.EraseData {
	const state = "erase"
	return web.EraseData{State: state, CSRF: s.keys.FormToken(cust.ID, state), Action: "erase",
		BackURL: s.linksFor(cust).PreferencesURL, Error: problem}
}
