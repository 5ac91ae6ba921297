package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/web"
	"github.com/gin-gonic/gin"
)

// oneClickEvidence is recorded with every one-click opt-out (RFC 8058).
var oneClickEvidence = models.Evidence{Text: "one-click unsubscribe"}

// unsubscribePage answers GET /u/{token} with a confirmation page. It
// changes nothing: mail scanners follow links, and must not unsubscribe
// anyone. ENOTFOUND (404 page) for a bad token or an erased customer.
func (s *server) unsubscribePage(c *gin.Context) {
	if _, err := s.tokenCustomer(c, secrets.PurposeUnsubscribe); err != nil {
		s.writePageError(c, err)
		return
	}
	// A relative action posts back to this very URL, also behind a proxy
	// that serves Candor under a path prefix.
	s.writePage(c, http.StatusOK, web.PageUnsubscribe, web.UnsubscribeData{Action: c.Param("token")})
}

// unsubscribe answers POST /u/{token} with body List-Unsubscribe=One-Click
// (form-urlencoded or multipart): the customer is opted out of every topic,
// idempotently, and their planned and queued deliveries are skipped.
// The answer links to the preference center, where they can opt in to
// some topics again. ENOTFOUND for a bad token or erased customer,
// EMALFORMED without the one-click field, ETOOLARGE.
func (s *server) unsubscribe(c *gin.Context) {
	cust, err := s.tokenCustomer(c, secrets.PurposeUnsubscribe)
	if err == nil {
		err = oneClickForm(c.Request)
	}
	var n int
	if err == nil {
		n, err = s.store.OptOutAll(c.Request.Context(), cust.ID, models.SourceOneClick, oneClickEvidence)
	}
	if err != nil {
		s.writePageError(c, err)
		return
	}
	s.writePage(c, http.StatusOK, web.PageUnsubscribed, web.UnsubscribedData{Changed: n, PreferencesURL: s.linksFor(cust).PreferencesURL})
}

// tokenCustomer verifies the path's token for purpose p and that it names
// a live customer in the customer's current token epoch. ENOTFOUND
// otherwise: a forged, expired or revoked token and an erased customer
// look the same from outside.
func (s *server) tokenCustomer(c *gin.Context, p secrets.Purpose) (*models.Customer, error) {
	claims, err := s.keys.ParseCustomerToken(p, c.Param("token"))
	if err != nil {
		return nil, models.Errorf(models.ENOTFOUND, "This link is not valid.")
	}
	cust, err := s.store.CustomerByID(c.Request.Context(), claims.CustomerID)
	if err != nil {
		return nil, err
	}
	if cust.TokenEpoch != claims.Epoch {
		return nil, models.Errorf(models.ENOTFOUND, "This link is not valid.")
	}
	setPageLanguage(c, cust)
	return cust, nil
}

// oneClickForm checks for the RFC 8058 body List-Unsubscribe=One-Click.
// ETOOLARGE for a body over the limit; EMALFORMED otherwise.
func oneClickForm(r *http.Request) error {
	err := r.ParseMultipartForm(32 << 10)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return models.Errorf(models.ETOOLARGE, "The form is too large.")
	case err != nil && !errors.Is(err, http.ErrNotMultipart):
		return models.Errorf(models.EMALFORMED, "The form could not be read.")
	case r.PostForm.Get("List-Unsubscribe") != "One-Click":
		return models.Errorf(models.EMALFORMED, "This address accepts only the one-click unsubscribe form (List-Unsubscribe=One-Click).")
	}
	return nil
}

// pageMessages are what a customer reads when a public page fails. They
// never say whether a customer exists.
var pageMessages = map[int]web.ErrorData{
	http.StatusNotFound:              {Title: web.MsgLinkNotValidTitle, Message: web.MsgLinkNotValid},
	http.StatusBadRequest:            {Title: web.MsgBadRequestTitle, Message: web.MsgUseTheButton},
	http.StatusRequestEntityTooLarge: {Title: web.MsgTooLargeTitle, Message: web.MsgUseTheButton},
	http.StatusForbidden:             {Title: web.MsgForgedFormTitle, Message: web.MsgForgedForm},
	http.StatusConflict:              {Title: web.MsgStaleFormTitle, Message: web.MsgStaleForm},
}

// writePageError answers a public page with an HTML error page, with the
// status problem.go assigns to the error's code.
func (s *server) writePageError(c *gin.Context, err error) {
	status := statusOf(models.ErrorCode(err))
	data, ok := pageMessages[status]
	if !ok {
		data = web.ErrorData{Title: web.MsgFailedTitle, Message: web.MsgFailed}
		if status == http.StatusInternalServerError {
			s.logger.ErrorContext(c.Request.Context(), "public page failed",
				slog.String("request_id", requestID(c)), slog.String("route", routeOf(c)), slog.Any("error", err))
		}
	}
	s.writePage(c, status, web.PageError, data)
}

// writePage renders an HTML page in the page's language with headers
// that keep the token in its URL out of referrers, caches and search
// engines.
func (s *server) writePage(c *gin.Context, status int, page string, data any) {
	body, err := s.pages.Render(page, pageLanguage(c), data)
	if err != nil {
		s.logger.ErrorContext(c.Request.Context(), "render page", slog.String("request_id", requestID(c)), slog.Any("error", err))
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	privatePageHeaders(c)
	c.Abort()
	c.Data(status, "text/html; charset=utf-8", body)
}

// privatePageHeaders keep a page reached by a customer's token out of
// referrers, caches, search engines and frames.
func privatePageHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}
