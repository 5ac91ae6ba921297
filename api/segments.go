package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// segmentID reads the :id path parameter. An id that is not a positive
// integer names no segment, so it is ENOTFOUND like any unknown id.
func segmentID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.Errorf(models.ENOTFOUND, "Segment not found.")
	}
	return id, nil
}

// listSegments answers GET /v1/segments: one page by id. EINVALID for a
// bad limit or cursor.
func (s *server) listSegments(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.store.Segments(c.Request.Context(), page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}

// getSegment answers GET /v1/segments/{id}. ENOTFOUND.
func (s *server) getSegment(c *gin.Context) {
	id, err := segmentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	seg, err := s.store.Segment(c.Request.Context(), id)
	s.respond(c, http.StatusOK, seg, err)
}

// createSegment answers POST /v1/segments with 201. EINVALID naming the
// JSON pointer of each bad field or rule node; EMALFORMED.
func (s *server) createSegment(c *gin.Context) {
	var in models.SegmentInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	seg, err := s.store.CreateSegment(c.Request.Context(), &in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/v1/segments/"+strconv.FormatInt(seg.ID, 10))
	c.JSON(http.StatusCreated, seg)
}

// putSegment answers PUT /v1/segments/{id}: it replaces name, description
// and rule. EINVALID; EMALFORMED; ENOTFOUND.
func (s *server) putSegment(c *gin.Context) {
	id, err := segmentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var in models.SegmentInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	seg, err := s.store.UpdateSegment(c.Request.Context(), id, &in)
	s.respond(c, http.StatusOK, seg, err)
}

// deleteSegment answers DELETE /v1/segments/{id} with 204. ENOTFOUND.
func (s *server) deleteSegment(c *gin.Context) {
	id, err := segmentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.store.DeleteSegment(c.Request.Context(), id); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// previewRequest is the body of POST /v1/segments/preview.
type previewRequest struct {
	Rule json.RawMessage `json:"rule"`
}

// previewRule answers POST /v1/segments/preview: the count and a sample
// of an ad-hoc rule's audience. It writes nothing, so viewers may call it.
// EINVALID naming the bad rule node; EMALFORMED.
func (s *server) previewRule(c *gin.Context) {
	var req previewRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	if len(req.Rule) == 0 || string(req.Rule) == "null" {
		var p models.Problems
		p.Add("/rule", "required", "is required")
		s.writeError(c, p.Err())
		return
	}
	preview, err := s.store.PreviewRule(c.Request.Context(), req.Rule)
	s.respond(c, http.StatusOK, preview, err)
}

// segmentPreview answers GET /v1/segments/{id}/preview. ENOTFOUND.
func (s *server) segmentPreview(c *gin.Context) {
	id, err := segmentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	preview, err := s.store.SegmentPreview(c.Request.Context(), id)
	s.respond(c, http.StatusOK, preview, err)
}

// segmentCustomers answers GET /v1/segments/{id}/customers: one page of
// members in creation order. ENOTFOUND; EINVALID for a bad limit or cursor.
func (s *server) segmentCustomers(c *gin.Context) {
	id, err := segmentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.store.SegmentCustomers(c.Request.Context(), id, page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}

// explainSegment answers GET /v1/segments/{id}/explain/{external_id}: the
// rule tree with each node's result and the customer's deciding value.
// ENOTFOUND for an unknown segment or customer.
func (s *server) explainSegment(c *gin.Context) {
	id, err := segmentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	ext, err := existingExternalID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	e, err := s.store.ExplainSegment(c.Request.Context(), id, ext)
	s.respond(c, http.StatusOK, e, err)
}
