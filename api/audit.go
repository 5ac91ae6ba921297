package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// listAudit answers GET /v1/audit (admin): the audit trail, oldest first,
// one page by id. Filters: actor (owner email), action, resource (a type,
// or type:id), since and until (RFC 3339; since inclusive, until
// exclusive). EINVALID (422) naming the parameter for a bad value, limit
// or cursor.
func (s *server) listAudit(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var p models.Problems
	for _, name := range []string{"actor", "action", "resource", "since", "until"} {
		if len(c.QueryArray(name)) > 1 {
			p.Add(name, "repeated", "give %s at most once", name)
		}
	}
	f := models.AuditFilter{Actor: c.Query("actor"), Action: c.Query("action")}
	if r := c.Query("resource"); r != "" {
		f.ResourceType, f.ResourceID, _ = strings.Cut(r, ":")
		if f.ResourceType == "" {
			p.Add("resource", "format", "must be a resource type or type:id, got %q", r)
		}
	}
	for _, t := range []struct {
		name string
		to   **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		raw, ok := c.GetQuery(t.name)
		if !ok {
			continue
		}
		v, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			p.Add(t.name, "format", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", raw)
			continue
		}
		*t.to = &v
	}
	if err := p.Err(); err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.store.AuditEntries(c.Request.Context(), f, page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}
