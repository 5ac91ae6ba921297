package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/candor/candor/models"
)

// endpointSecret is the answer of creating an endpoint: the only response
// that ever contains its secret.
type endpointSecret struct {
	*models.WebhookEndpoint
	Secret string `json:"secret"`
}

// endpointID reads the :id path parameter; an id that is not a positive
// integer names no endpoint (ENOTFOUND).
func endpointID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.Errorf(models.ENOTFOUND, "Webhook endpoint not found.")
	}
	return id, nil
}

// createWebhookEndpoint answers POST /v1/webhook-endpoints with 201 and
// the secret, shown once. EINVALID (a bad URL, http:// or a private
// address without CANDOR_WEBHOOK_ALLOW_PRIVATE, an unknown event type);
// EMALFORMED.
func (s *server) createWebhookEndpoint(c *gin.Context) {
	var in models.WebhookEndpointInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	ep, secret, err := s.endpoints.CreateWebhookEndpoint(c.Request.Context(), &in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Location", "/v1/webhook-endpoints/"+strconv.FormatInt(ep.ID, 10))
	c.JSON(http.StatusCreated, endpointSecret{ep, secret})
}

// listWebhookEndpoints answers GET /v1/webhook-endpoints: one page by id.
// EINVALID for a bad limit or cursor.
func (s *server) listWebhookEndpoints(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.endpoints.WebhookEndpoints(c.Request.Context(), page)
	s.respond(c, http.StatusOK, newList(items, next), err)
}

// getWebhookEndpoint answers GET /v1/webhook-endpoints/{id}. ENOTFOUND.
func (s *server) getWebhookEndpoint(c *gin.Context) {
	id, err := endpointID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	ep, err := s.endpoints.WebhookEndpoint(c.Request.Context(), id)
	s.respond(c, http.StatusOK, ep, err)
}

// updateWebhookEndpoint answers PATCH /v1/webhook-endpoints/{id}: url,
// events, description, status (enabled or disabled). ENOTFOUND;
// EINVALID; EMALFORMED.
func (s *server) updateWebhookEndpoint(c *gin.Context) {
	id, err := endpointID(c)
	var in models.WebhookEndpointPatch
	if err == nil {
		err = decodeJSON(c, &in)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	ep, err := s.endpoints.UpdateWebhookEndpoint(c.Request.Context(), id, &in)
	s.respond(c, http.StatusOK, ep, err)
}

// deleteWebhookEndpoint answers DELETE /v1/webhook-endpoints/{id} with
// 204. ENOTFOUND.
func (s *server) deleteWebhookEndpoint(c *gin.Context) {
	id, err := endpointID(c)
	if err == nil {
		err = s.endpoints.DeleteWebhookEndpoint(c.Request.Context(), id)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// testWebhookEndpoint answers POST /v1/webhook-endpoints/{id}/test with
// 202: a webhook_endpoint.test event is queued for this endpoint alone;
// its attempts show in the attempt log. ENOTFOUND.
func (s *server) testWebhookEndpoint(c *gin.Context) {
	id, err := endpointID(c)
	if err == nil {
		err = decodeNoBody(c)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	msg, err := s.endpoints.TestWebhookEndpoint(c.Request.Context(), id)
	s.respond(c, http.StatusAccepted, msg, err)
}

// replayWebhookEndpoint answers POST /v1/webhook-endpoints/{id}/replay
// with 202 and how many messages were queued again: {"event_id": N} or
// {"since": "<RFC 3339>"}. ENOTFOUND; EINVALID; EMALFORMED.
func (s *server) replayWebhookEndpoint(c *gin.Context) {
	id, err := endpointID(c)
	var in models.ReplayInput
	if err == nil {
		err = decodeJSON(c, &in)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.endpoints.ReplayWebhookEndpoint(c.Request.Context(), id, &in)
	s.respond(c, http.StatusAccepted, res, err)
}

// listWebhookAttempts answers GET /v1/webhook-endpoints/{id}/attempts: the
// attempt log, one page by id. ENOTFOUND; EINVALID for a bad limit or
// cursor.
func (s *server) listWebhookAttempts(c *gin.Context) {
	id, err := endpointID(c)
	page, err2 := pageOf(c)
	for _, e := range []error{err, err2} {
		if e != nil {
			s.writeError(c, e)
			return
		}
	}
	items, next, err := s.endpoints.WebhookAttempts(c.Request.Context(), id, page)
	s.respond(c, http.StatusOK, newList(items, next), err)
}
