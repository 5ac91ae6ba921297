package api

import (
	"crypto/subtle"
	"strings"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

const apiKeyKey = "candor.api_key"

// bearerToken returns the credentials of an "Authorization: Bearer" header,
// or "" when there are none.
func bearerToken(c *gin.Context) string {
	scheme, token, ok := strings.Cut(c.GetHeader("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// requireRole lets the request through only with an active API key whose
// role includes need. No, unknown or revoked key: EUNAUTHORIZED (401);
// a weaker role: EFORBIDDEN (403) naming the role that is needed.
func (s *server) requireRole(need models.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		plain := bearerToken(c)
		if plain == "" {
			s.writeError(c, models.Errorf(models.EUNAUTHORIZED, "Send an API key as Authorization: Bearer <key>."))
			return
		}
		key, err := s.store.AuthenticateAPIKey(c.Request.Context(), plain)
		if err != nil {
			s.writeError(c, err)
			return
		}
		if !key.Role.Allows(need) {
			s.writeError(c, models.Errorf(models.EFORBIDDEN, "This action needs an API key with the %s role; this key has the %s role.", need, key.Role))
			return
		}
		c.Set(apiKeyKey, key)
		// The store records this actor in the audit trail, in the
		// transaction of each action.
		c.Request = c.Request.WithContext(models.WithActor(c.Request.Context(), models.ActorOf(key)))
		c.Next()
	}
}

// checkMetricsToken returns EUNAUTHORIZED unless /metrics is public or the
// request carries the metrics token. The comparison takes constant time so
// the token cannot be guessed byte by byte.
func (s *server) checkMetricsToken(c *gin.Context) error {
	if s.metricsToken == "" || subtle.ConstantTimeCompare([]byte(bearerToken(c)), []byte(s.metricsToken)) == 1 {
		return nil
	}
	return models.Errorf(models.EUNAUTHORIZED, "Send the metrics token as Authorization: Bearer <token>.")
}
