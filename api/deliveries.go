package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/candor/candor/models"
)

// deliveryID reads the :id of a delivery route; anything but a positive
// int64 names no delivery.
func deliveryID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.Errorf(models.ENOTFOUND, "Delivery not found.")
	}
	return id, nil
}

// getDelivery answers GET /v1/deliveries/{id}: the delivery, the snapshot
// of the wishes its send honoured, and every status change. ENOTFOUND.
func (s *server) getDelivery(c *gin.Context) {
	id, err := deliveryID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	d, err := s.deliveries.Delivery(c.Request.Context(), id)
	s.respond(c, http.StatusOK, d, err)
}

// listDeliveries answers GET /v1/deliveries?status=: every campaign's
// deliveries by id, of the statuses given (for example the unknown ones
// an admin may resend). EINVALID for a bad status, limit or cursor.
func (s *server) listDeliveries(c *gin.Context) {
	page, statuses, err := deliveryQuery(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.deliveries.Deliveries(c.Request.Context(), page, statuses...)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}

// resendDelivery answers POST /v1/deliveries/{id}/resend: an unknown
// delivery (a worker died mid-send on a channel without idempotency) is
// planned again, on an admin's explicit request, and passes every
// send-time check again. ENOTFOUND; ECONFLICT unless it is unknown;
// EINVALID, EMALFORMED for a body other than none or {}.
func (s *server) resendDelivery(c *gin.Context) {
	id, err := deliveryID(c)
	if err == nil {
		err = decodeNoBody(c)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	d, err := s.deliveries.ResendDelivery(c.Request.Context(), id, fmt.Sprintf("api-key:%d", callerKey(c).ID))
	s.respond(c, http.StatusOK, d, err)
}

// listOutbox answers GET /v1/outbox?external_id=&campaign_id=: the
// messages the outbox transport kept, by id, as their channel would have
// sent them. ENOTFOUND for an unknown customer; EINVALID for a bad
// campaign id, limit or cursor.
func (s *server) listOutbox(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	f := models.OutboxFilter{ExternalID: c.Query("external_id")}
	if v := c.Query("campaign_id"); v != "" {
		if f.CampaignID, err = strconv.ParseInt(v, 10, 64); err != nil || f.CampaignID <= 0 {
			var p models.Problems
			p.Add("campaign_id", "min", "must be a positive campaign id, got %q", v)
			s.writeError(c, p.Err())
			return
		}
	}
	items, next, err := s.deliveries.OutboxMessages(c.Request.Context(), f, page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}
