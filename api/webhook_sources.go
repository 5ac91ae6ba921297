package api

import (
	"net/http"
	"strconv"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// sourceSecret is the answer of creating or rotating a webhook source:
// the only responses that ever contain its secret.
type sourceSecret struct {
	*models.WebhookSource
	Secret string `json:"secret"`
}

// sourceID reads the :id path parameter; an id that is not a positive
// integer names no source (ENOTFOUND).
func sourceID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.Errorf(models.ENOTFOUND, "Webhook source not found.")
	}
	return id, nil
}

// createWebhookSource answers POST /v1/webhook-sources with 201 and the
// secret, shown once. EINVALID; EMALFORMED; ECONFLICT for a taken name.
func (s *server) createWebhookSource(c *gin.Context) {
	var in models.WebhookSourceInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	src, secret, err := s.store.CreateWebhookSource(c.Request.Context(), &in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Location", "/v1/webhook-sources/"+strconv.FormatInt(src.ID, 10))
	c.JSON(http.StatusCreated, sourceSecret{src, secret})
}

// listWebhookSources answers GET /v1/webhook-sources: one page by id.
// EINVALID for a bad limit or cursor.
func (s *server) listWebhookSources(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.store.WebhookSources(c.Request.Context(), page)
	s.respond(c, http.StatusOK, newList(items, next), err)
}

// getWebhookSource answers GET /v1/webhook-sources/{id}. ENOTFOUND.
func (s *server) getWebhookSource(c *gin.Context) {
	id, err := sourceID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	src, err := s.store.WebhookSource(c.Request.Context(), id)
	s.respond(c, http.StatusOK, src, err)
}

// rotateWebhookSource answers POST /v1/webhook-sources/{id}/rotate with
// the new secret, shown once; the old one verifies for overlap_seconds
// more. ENOTFOUND; EINVALID; EMALFORMED.
func (s *server) rotateWebhookSource(c *gin.Context) {
	id, err := sourceID(c)
	var in models.RotateSecretInput
	if err == nil {
		err = decodeJSON(c, &in)
	}
	overlap, err2 := in.Overlap()
	if err == nil {
		err = err2
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	src, secret, err := s.store.RotateWebhookSource(c.Request.Context(), id, overlap)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, sourceSecret{src, secret})
}

// deleteWebhookSource answers DELETE /v1/webhook-sources/{id} with 204.
// ENOTFOUND.
func (s *server) deleteWebhookSource(c *gin.Context) {
	id, err := sourceID(c)
	if err == nil {
		err = s.store.DeleteWebhookSource(c.Request.Context(), id)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// listInboxEvents answers GET /v1/webhook-sources/{id}/events, optionally
// ?status=failed (or pending, applied, superseded): what became of each
// event the source sent. ENOTFOUND; EINVALID for a bad status, limit or
// cursor.
func (s *server) listInboxEvents(c *gin.Context) {
	id, err := sourceID(c)
	page, err2 := pageOf(c)
	status, err3 := models.ParseInboxStatus(c.Query("status"))
	for _, e := range []error{err, err2, err3} {
		if e != nil {
			s.writeError(c, e)
			return
		}
	}
	items, next, err := s.store.InboxEvents(c.Request.Context(), id, status, page)
	s.respond(c, http.StatusOK, newList(items, next), err)
}
