package api

import (
	"net/http"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// getConsents answers GET /v1/customers/{external_id}/consents with the
// customer's ledger: current state per topic, full history and whether the
// hash chain verifies. ENOTFOUND.
func (s *server) getConsents(c *gin.Context) {
	id, err := existingExternalID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	ledger, err := s.store.Consents(c.Request.Context(), id)
	s.respond(c, http.StatusOK, ledger, err)
}

// consentResponse is the answer of PUT .../consents/{topic}. Changed is
// false when the status was already the requested one (nothing recorded).
type consentResponse struct {
	Consent *models.Consent `json:"consent"`
	Changed bool            `json:"changed"`
}

// putConsent answers PUT /v1/customers/{external_id}/consents/{topic}.
// EINVALID for a bad body; ENOTFOUND for an unknown customer or topic;
// ECONFLICT for a bulk-source opt-in of a suppressed customer.
func (s *server) putConsent(c *gin.Context) {
	id, err := existingExternalID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var in models.ConsentInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	if err := in.Validate(); err != nil {
		s.writeError(c, err)
		return
	}
	consent, changed, err := s.store.SetConsent(c.Request.Context(), id, c.Param("topic"), &in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, consentResponse{Consent: consent, Changed: changed})
}
