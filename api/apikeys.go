package api

import (
	"net/http"
	"strconv"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// createdAPIKey is the answer of POST /v1/api-keys: the only response that
// ever contains the key itself.
type createdAPIKey struct {
	APIKey *models.APIKey `json:"api_key"`
	Key    string         `json:"key"`
}

// createAPIKey answers POST /v1/api-keys with 201. EINVALID for a bad name
// or role. The new key belongs to the owner of the calling key.
func (s *server) createAPIKey(c *gin.Context) {
	var in models.APIKeyInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	if err := in.Validate(); err != nil {
		s.writeError(c, err)
		return
	}
	// A key made with a key belongs to the same person: minting a second
	// admin key does not make a second pair of eyes.
	caller := callerKey(c)
	in.OwnerName, in.OwnerEmail = caller.OwnerName, caller.OwnerEmail
	key, plain, err := s.store.CreateAPIKey(c.Request.Context(), &in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	// The key must not linger in caches or proxies.
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, createdAPIKey{APIKey: key, Key: plain})
}

// listAPIKeys answers GET /v1/api-keys: every key, newest first, revoked
// ones included, never the keys themselves.
func (s *server) listAPIKeys(c *gin.Context) {
	keys, err := s.store.APIKeys(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(keys, ""))
}

// revokeAPIKey answers DELETE /v1/api-keys/{id} with 204. ENOTFOUND, also
// for an id that is not a number.
func (s *server) revokeAPIKey(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(c, models.Errorf(models.ENOTFOUND, "No API key has this id."))
		return
	}
	if err := s.store.RevokeAPIKey(c.Request.Context(), id); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
