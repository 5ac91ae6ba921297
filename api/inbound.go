package api

import (
	"net/http"
	"strconv"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/internal/opsmetrics"
	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// receiveInbound answers POST /v1/inbound/{source}: a request signed
// with the source's Standard Webhooks secret. 202 once every event is in
// the inbox (pending, or failed with its reason); a redelivered
// webhook-id answers 200 with the first delivery's results and stores
// nothing. EUNAUTHORIZED with the reason (nothing stored); ETOOLARGE past
// the body limit; EMALFORMED, EINVALID for a body that is no event or
// batch.
func (s *server) receiveInbound(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("source"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(c, models.Errorf(models.EUNAUTHORIZED, "No webhook source has id %q.", c.Param("source")))
		return
	}
	body, err := readBody(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.inbound.Receive(c.Request.Context(), id, &models.InboundMessage{
		ID:        c.GetHeader(standardwebhooks.HeaderWebhookID),
		Timestamp: c.GetHeader(standardwebhooks.HeaderWebhookTimestamp),
		Signature: c.GetHeader(standardwebhooks.HeaderWebhookSignature),
		Body:      body,
	})
	status := http.StatusAccepted
	if res != nil && res.Duplicate {
		status = http.StatusOK
	}
	if err == nil {
		s.countInbound(res)
	}
	s.respond(c, status, res, err)
}

// countInbound counts a stored request's events by what became of them
// (opsmetrics.InboundEvents).
func (s *server) countInbound(res *models.InboundResult) {
	if res == nil {
		return
	}
	for _, e := range res.Events {
		switch {
		case res.Duplicate:
			s.inboundEvents.WithLabelValues(opsmetrics.InboundDuplicate).Inc()
		case e.Status == models.InboxFailed:
			s.inboundEvents.WithLabelValues(opsmetrics.InboundRejected).Inc()
		default:
			s.inboundEvents.WithLabelValues(opsmetrics.InboundReceived).Inc()
		}
	}
}
