package api

import (
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/web"
	"github.com/gin-gonic/gin"
)

// preferencesPageVersion is recorded as the form version of every consent
// change made on the preference center; change it with the page's text.
const preferencesPageVersion = "preference-center-v1"

// preferencesPage answers GET /p/{token}: the preference center.
// ENOTFOUND page for a bad, expired or revoked link.
func (s *server) preferencesPage(c *gin.Context) {
	cust, err := s.tokenCustomer(c, secrets.PurposePreferences)
	var page *models.PreferencePage
	if err == nil {
		page, err = s.preferences.PreferencePage(c.Request.Context(), cust)
	}
	if err != nil {
		s.writePageError(c, err)
		return
	}
	data := s.preferencesData(c, page, currentValues(page))
	if c.Query("saved") != "" {
		data.Notice = web.MsgSaved
	}
	s.writePage(c, http.StatusOK, web.PagePreferences, data)
}

// updatePreferences answers POST /p/{token}: it applies the form and
// redirects to the page (303), or shows the page again with every
// rejected field marked (422). EFORBIDDEN page for a missing, forged or
// stale form token; ENOTFOUND.
func (s *server) updatePreferences(c *gin.Context) {
	cust, err := s.formCustomer(c)
	var form *models.PreferenceForm
	if err == nil {
		form, err = preferenceForm(c)
	}
	if err == nil {
		_, err = s.preferences.UpdatePreferences(c.Request.Context(), cust, form)
	}
	var e *models.Error
	switch {
	case errors.As(err, &e) && e.Code == models.EINVALID && form != nil:
		s.rejectPreferences(c, cust, submittedValues(c), e.Fields)
	case err != nil:
		s.writePageError(c, err)
	default:
		c.Redirect(http.StatusSeeOther, c.Param("token")+"?saved=1")
	}
}

// rejectPreferences shows the page again with the submitted values and
// the problems of each field.
func (s *server) rejectPreferences(c *gin.Context, cust *models.Customer, values web.PreferenceValues, fields []models.FieldError) {
	page, err := s.preferences.PreferencePage(c.Request.Context(), cust)
	if err != nil {
		s.writePageError(c, err)
		return
	}
	data := s.preferencesData(c, page, values)
	for _, f := range fields {
		data.Errors = append(data.Errors, web.FieldError{Field: f.Field, Label: web.FieldLabels[f.Field],
			Message: web.FieldMessage(pageLanguage(c).String(), f.Field, f.Rule, f.Detail)})
	}
	s.writePage(c, http.StatusUnprocessableEntity, web.PagePreferences, data)
}

// unsubscribeEverything answers POST /p/{token}/unsubscribe: every topic
// opted out (source preference_center), pending deliveries skipped.
// EFORBIDDEN; ENOTFOUND.
func (s *server) unsubscribeEverything(c *gin.Context) {
	cust, err := s.formCustomer(c)
	var n int
	if err == nil {
		n, err = s.preferences.UnsubscribeEverything(c.Request.Context(), cust, preferenceEvidence(c, "unsubscribe from everything"))
	}
	if err != nil {
		s.writePageError(c, err)
		return
	}
	s.writePage(c, http.StatusOK, web.PageUnsubscribed, web.UnsubscribedData{Changed: n, PreferencesURL: s.linksFor(cust).PreferencesURL})
}

// exportMyData answers GET /p/{token}/export with everything held about
// the customer as a JSON download. ENOTFOUND.
func (s *server) exportMyData(c *gin.Context) {
	cust, err := s.tokenCustomer(c, secrets.PurposePreferences)
	var export *models.CustomerExport
	if err == nil {
		export, err = s.preferences.ExportData(c.Request.Context(), cust)
	}
	if err != nil {
		s.writePageError(c, err)
		return
	}
	privatePageHeaders(c)
	c.Header("Content-Disposition", `attachment; filename="candor-my-data.json"`)
	c.JSON(http.StatusOK, export)
}

// sentMessage answers GET /p/{token}/messages/{id} with a message sent to
// the customer, rendered again. ENOTFOUND for another customer's message.
func (s *server) sentMessage(c *gin.Context) {
	cust, err := s.tokenCustomer(c, secrets.PurposePreferences)
	var msg *models.SentMessageCopy
	if err == nil {
		id, perr := strconv.ParseInt(c.Param("id"), 10, 64)
		if perr != nil || id <= 0 {
			err = models.Errorf(models.ENOTFOUND, "No such message.")
		} else {
			msg, err = s.preferences.SentMessageCopy(c.Request.Context(), cust, id)
		}
	}
	if err != nil {
		s.writePageError(c, err)
		return
	}
	s.writePage(c, http.StatusOK, web.PageMessage, web.MessageData{Message: msg, BackURL: s.linksFor(cust).PreferencesURL})
}

// formCustomer verifies the preference link and the form token: an HMAC
// of the customer and the form's state field, which only a page Candor
// rendered for this customer carries (CSRF). EFORBIDDEN when it is
// missing, forged or another customer's; ENOTFOUND; EMALFORMED or
// ETOOLARGE for an unreadable form. Whether the state is still current
// is the service's decision (ECONFLICT).
func (s *server) formCustomer(c *gin.Context) (*models.Customer, error) {
	cust, err := s.tokenCustomer(c, secrets.PurposePreferences)
	if err != nil {
		return nil, err
	}
	if err := readForm(c.Request); err != nil {
		return nil, err
	}
	f := c.Request.PostForm
	if !s.keys.VerifyFormToken(cust.ID, f.Get("state"), f.Get("csrf")) {
		return nil, models.Errorf(models.EFORBIDDEN, "This form did not come from your page.")
	}
	return cust, nil
}

// readForm parses a urlencoded or multipart form body.
func readForm(r *http.Request) error {
	err := r.ParseMultipartForm(64 << 10)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return models.Errorf(models.ETOOLARGE, "The form is too large.")
	case err != nil && !errors.Is(err, http.ErrNotMultipart):
		return models.Errorf(models.EMALFORMED, "The form could not be read.")
	}
	return nil
}

// preferenceEvidence is recorded with each consent change of the page.
// The IP and user agent are evidence in the ledger (erasure removes them),
// never logged.
func preferenceEvidence(c *gin.Context, what string) models.Evidence {
	ua := c.Request.UserAgent()
	if utf8.RuneCountInString(ua) > 1000 || !utf8.ValidString(ua) {
		ua = ""
	}
	return models.Evidence{Text: "preference center: " + what, FormVersion: preferencesPageVersion, IP: c.ClientIP(), UserAgent: ua}
}
