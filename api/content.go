package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// listContent answers GET /v1/content: one page by id. EINVALID for a bad
// limit or cursor.
func (s *server) listContent(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.store.Contents(c.Request.Context(), page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}

// getContent answers GET /v1/content/{id}. ENOTFOUND.
func (s *server) getContent(c *gin.Context) {
	id, err := contentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	item, err := s.store.Content(c.Request.Context(), id)
	s.respond(c, http.StatusOK, item, err)
}

// createContent answers POST /v1/content with 201 and the new draft.
// EINVALID for a body that breaks a rule or a template that does not
// parse or uses an unknown variable (naming the variant field and
// line:column); EMALFORMED.
func (s *server) createContent(c *gin.Context) {
	in, err := decodeContentInput(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	item, err := s.store.CreateContent(c.Request.Context(), in, callerKey(c).ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/v1/content/"+strconv.FormatInt(item.ID, 10))
	c.JSON(http.StatusCreated, item)
}

// updateContent answers PUT /v1/content/{id}: it replaces the body; for
// approved content it opens a new draft version. EINVALID; ENOTFOUND;
// ECONFLICT for retired content.
func (s *server) updateContent(c *gin.Context) {
	id, err := contentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	in, err := decodeContentInput(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	item, err := s.store.UpdateContent(c.Request.Context(), id, in, callerKey(c).ID)
	s.respond(c, http.StatusOK, item, err)
}

// decodeContentInput decodes, normalizes and validates a content body,
// templates included, so nothing unrenderable is ever stored.
func decodeContentInput(c *gin.Context) (*models.ContentInput, error) {
	var in models.ContentInput
	if err := decodeJSON(c, &in); err != nil {
		return nil, err
	}
	in.Normalize()
	var p models.Problems
	p = append(p, models.ErrorFields(in.Validate())...)
	p = append(p, models.ErrorFields(content.ValidateTemplates(&in))...)
	return &in, p.Err()
}

// submitContent answers POST /v1/content/{id}/submit. ENOTFOUND; ECONFLICT
// unless the content is a draft.
func (s *server) submitContent(c *gin.Context) {
	s.contentAction(c, func(ctx context.Context, id int64) (any, error) {
		return s.store.SubmitContent(ctx, id)
	})
}

// findingsResponse is the answer of POST /v1/content/{id}/check.
type findingsResponse struct {
	Findings []models.Finding `json:"findings"`
}

// checkContent answers POST /v1/content/{id}/check with the findings of
// every check on the working body. It writes nothing. ENOTFOUND.
func (s *server) checkContent(c *gin.Context) {
	s.contentAction(c, func(ctx context.Context, id int64) (any, error) {
		item, err := s.store.Content(ctx, id)
		if err != nil {
			return nil, err
		}
		return findingsResponse{Findings: s.checker()(item)}, nil
	})
}

// checker runs the content checks with the server's clock and links.
func (s *server) checker() models.ContentChecker {
	return func(item *models.Content) []models.Finding {
		return content.CheckContent(&item.ContentInput, content.CheckOptions{Now: time.Now(), PublicURL: s.publicURL})
	}
}

// approveRequest is the body of POST /v1/content/{id}/approve.
type approveRequest struct {
	AcknowledgedWarnings []string `json:"acknowledged_warnings"`
}

// approveContent answers POST /v1/content/{id}/approve with 201 and the new
// immutable version. EFORBIDDEN when the caller's key last edited the
// content (four eyes); EINVALID with the error findings, or naming a
// warning the body does not acknowledge; ENOTFOUND; ECONFLICT unless the
// content is in review.
func (s *server) approveContent(c *gin.Context) {
	id, err := contentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req approveRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	in := &models.Approval{ApprovedBy: callerKey(c).ID, AcknowledgedWarnings: req.AcknowledgedWarnings}
	v, err := s.store.ApproveContent(c.Request.Context(), id, in, s.checker())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/v1/content/"+strconv.FormatInt(id, 10)+"/versions/"+strconv.Itoa(v.Version))
	c.JSON(http.StatusCreated, v)
}

// rejectRequest is the body of POST /v1/content/{id}/reject.
type rejectRequest struct {
	Reason string `json:"reason"`
}

// rejectContent answers POST /v1/content/{id}/reject: back to draft with
// a reason. EINVALID without a reason; ENOTFOUND; ECONFLICT unless in review.
func (s *server) rejectContent(c *gin.Context) {
	id, err := contentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req rejectRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	item, err := s.store.RejectContent(c.Request.Context(), id, req.Reason)
	s.respond(c, http.StatusOK, item, err)
}

// retireContent answers POST /v1/content/{id}/retire. ENOTFOUND; ECONFLICT
// if already retired.
func (s *server) retireContent(c *gin.Context) {
	s.contentAction(c, func(ctx context.Context, id int64) (any, error) {
		return s.store.RetireContent(ctx, id)
	})
}

// contentAction answers a content action that takes no input: it reads
// the id, refuses a body (an option the action does not have is a client
// bug, not something to ignore), runs do and writes its result.
func (s *server) contentAction(c *gin.Context, do func(ctx context.Context, id int64) (any, error)) {
	id, err := contentID(c)
	if err == nil {
		err = decodeNoBody(c)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	v, err := do(c.Request.Context(), id)
	s.respond(c, http.StatusOK, v, err)
}

// listContentVersions answers GET /v1/content/{id}/versions with every
// approved version, oldest first. ENOTFOUND.
func (s *server) listContentVersions(c *gin.Context) {
	id, err := contentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	versions, err := s.store.ContentVersions(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(versions, ""))
}

// getContentVersion answers GET /v1/content/{id}/versions/{version}.
// ENOTFOUND.
func (s *server) getContentVersion(c *gin.Context) {
	id, err := contentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	version, err := strconv.Atoi(c.Param("version"))
	if err != nil || version <= 0 || version > models.MaxContentVersion {
		s.writeError(c, models.Errorf(models.ENOTFOUND, "Content version not found."))
		return
	}
	v, err := s.store.ContentVersion(c.Request.Context(), id, version)
	s.respond(c, http.StatusOK, v, err)
}

// contentID returns the path's content id; ENOTFOUND for one that no
// content can have.
func contentID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.Errorf(models.ENOTFOUND, "Content not found.")
	}
	return id, nil
}

// callerKey returns the API key that requireRole authenticated.
func callerKey(c *gin.Context) *models.APIKey {
	return c.MustGet(apiKeyKey).(*models.APIKey)
}
