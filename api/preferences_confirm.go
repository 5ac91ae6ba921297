package api

import (
	"net/http"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/web"
	"github.com/gin-gonic/gin"
)

// doubleOptInEvidence is recorded with a confirmed consent: the link was
// used from this address and browser (evidence erasure removes).
func doubleOptInEvidence(c *gin.Context) models.Evidence {
	ev := preferenceEvidence(c, "")
	ev.Text, ev.FormVersion = "double opt-in: confirmed through the link sent to the customer", models.DoubleOptInFormVersion
	return ev
}

// confirmPage answers GET /p/{token}/confirm/{topic}?code=...: it asks
// the customer to confirm a pending consent with a button (a GET changes
// nothing: mail scanners follow links). ENOTFOUND page for a link that
// does not verify; a link already used says it is done.
func (s *server) confirmPage(c *gin.Context) {
	cust, err := s.tokenCustomer(c, secrets.PurposePreferences)
	var p *models.PendingConfirmation
	if err == nil {
		p, err = s.preferences.PendingConfirmation(c.Request.Context(), cust, c.Param("topic"), c.Query("code"))
	}
	s.writeConfirmation(c, cust, p, c.Query("code"), err)
}

// confirmConsent answers POST /p/{token}/confirm/{topic} with the code
// in the form: the pending consent becomes opted_in (source
// double_opt_in). Posting again answers that it is done. ENOTFOUND;
// ECONFLICT when it lapsed or the consent changed since.
func (s *server) confirmConsent(c *gin.Context) {
	cust, err := s.tokenCustomer(c, secrets.PurposePreferences)
	if err == nil {
		err = readForm(c.Request)
	}
	var p *models.PendingConfirmation
	code := c.Request.PostForm.Get("code")
	if err == nil {
		p, err = s.preferences.ConfirmConsent(c.Request.Context(), cust, c.Param("topic"), code, doubleOptInEvidence(c))
	}
	s.writeConfirmation(c, cust, p, code, err)
}

// writeConfirmation shows the confirmation page, the confirmed page, or
// why the link cannot be used.
func (s *server) writeConfirmation(c *gin.Context, cust *models.Customer, p *models.PendingConfirmation, code string, err error) {
	switch models.ErrorCode(err) {
	case "":
	case models.ENOTFOUND:
		s.writePage(c, http.StatusNotFound, web.PageError, web.ErrorData{Title: web.MsgConfirmLinkNotValidTitle, Message: web.MsgConfirmLinkNotValid})
		return
	case models.ECONFLICT:
		s.writePage(c, http.StatusConflict, web.PageError, web.ErrorData{Title: web.MsgConfirmLinkStaleTitle,
			Message: web.ConfirmLinkStaleMessage(pageLanguage(c).String(), models.ErrorMessage(err))})
		return
	default:
		s.writePageError(c, err)
		return
	}
	data := web.ConfirmData{Confirmation: p, Action: p.Topic.Key, Code: code, BackURL: s.linksFor(cust).PreferencesURL}
	page := web.PageConfirm
	if p.Confirmed {
		page = web.PageConfirmed
	}
	s.writePage(c, http.StatusOK, page, data)
}
