package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// contentReceipt answers GET /v1/customers/{external_id}/content/{id}:
// whether the customer already received the content (any version), when
// and how, and any correction approved since. ENOTFOUND.
func (s *server) contentReceipt(c *gin.Context) {
	ext, err := existingExternalID(c)
	var id int64
	if err == nil {
		id, err = contentID(c)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	r, err := s.store.ContentReceipt(c.Request.Context(), ext, id)
	s.respond(c, http.StatusOK, r, err)
}
