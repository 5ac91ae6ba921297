package api

import (
	"net/http"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// listTopics answers GET /v1/topics: one page ordered by key. EINVALID for
// a bad limit or cursor.
func (s *server) listTopics(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.store.Topics(c.Request.Context(), page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}

// getTopic answers GET /v1/topics/{key}. ENOTFOUND.
func (s *server) getTopic(c *gin.Context) {
	topic, err := s.store.Topic(c.Request.Context(), c.Param("key"))
	s.respond(c, http.StatusOK, topic, err)
}

// createTopic answers POST /v1/topics with 201. EINVALID; ECONFLICT when
// the key exists.
func (s *server) createTopic(c *gin.Context) {
	var in models.TopicInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	if err := in.Validate(true); err != nil {
		s.writeError(c, err)
		return
	}
	topic, err := s.store.CreateTopic(c.Request.Context(), &in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/v1/topics/"+topic.Key)
	c.JSON(http.StatusCreated, topic)
}

// topicPatch is the body of PATCH /v1/topics/{key}: absent fields keep
// their value. Key is accepted so a client can send a topic back as it got
// it, but it cannot change: consent events refer to it.
type topicPatch struct {
	Key         *string `json:"key"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	DoubleOptIn *bool   `json:"double_opt_in"`
}

// updateTopic answers PATCH /v1/topics/{key}. EINVALID (also for a changed
// key); ENOTFOUND.
func (s *server) updateTopic(c *gin.Context) {
	var patch topicPatch
	if err := decodeJSON(c, &patch); err != nil {
		s.writeError(c, err)
		return
	}
	current, err := s.store.Topic(c.Request.Context(), c.Param("key"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	in, err := patch.apply(current)
	if err != nil {
		s.writeError(c, err)
		return
	}
	topic, err := s.store.UpdateTopic(c.Request.Context(), current.Key, in)
	s.respond(c, http.StatusOK, topic, err)
}

// apply merges the patch into t and validates the result.
func (p topicPatch) apply(t *models.Topic) (*models.TopicInput, error) {
	if p.Key != nil && *p.Key != t.Key {
		var probs models.Problems
		probs.Add("/key", "immutable", "a topic's key cannot change; create a new topic instead")
		return nil, probs.Err()
	}
	in := &models.TopicInput{Key: t.Key, Name: t.Name, Description: t.Description, DoubleOptIn: t.DoubleOptIn}
	if p.Name != nil {
		in.Name = *p.Name
	}
	if p.Description != nil {
		in.Description = *p.Description
	}
	if p.DoubleOptIn != nil {
		in.DoubleOptIn = *p.DoubleOptIn
	}
	return in, in.Validate(false)
}

// deleteTopic answers DELETE /v1/topics/{key} with 204. ENOTFOUND;
// ECONFLICT when consent has been recorded for the topic.
func (s *server) deleteTopic(c *gin.Context) {
	if err := s.store.DeleteTopic(c.Request.Context(), c.Param("key")); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
