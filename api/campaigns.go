package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// campaignID reads the :id path parameter. An id that is not a positive
// integer names no campaign, so it is ENOTFOUND like any unknown id.
func campaignID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.Errorf(models.ENOTFOUND, "Campaign not found.")
	}
	return id, nil
}

// listCampaigns answers GET /v1/campaigns: one page by id. EINVALID for a
// bad limit or cursor.
func (s *server) listCampaigns(c *gin.Context) {
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.campaigns.Campaigns(c.Request.Context(), page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}

// getCampaign answers GET /v1/campaigns/{id}: state and counts. ENOTFOUND.
func (s *server) getCampaign(c *gin.Context) {
	s.withCampaign(c, http.StatusOK, func(ctx context.Context, id int64) (any, error) {
		return s.campaigns.Campaign(ctx, id)
	})
}

// createCampaign answers POST /v1/campaigns with 201 and a draft.
// EINVALID naming each bad field; EMALFORMED.
func (s *server) createCampaign(c *gin.Context) {
	var in models.CampaignInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	camp, err := s.campaigns.CreateCampaign(c.Request.Context(), &in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", "/v1/campaigns/"+strconv.FormatInt(camp.ID, 10))
	c.JSON(http.StatusCreated, camp)
}

// putCampaign answers PUT /v1/campaigns/{id}: it replaces a draft.
// EINVALID; EMALFORMED; ENOTFOUND; ECONFLICT unless it is a draft.
func (s *server) putCampaign(c *gin.Context) {
	id, err := campaignID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var in models.CampaignInput
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	camp, err := s.campaigns.UpdateCampaign(c.Request.Context(), id, &in)
	s.respond(c, http.StatusOK, camp, err)
}

// deleteCampaign answers DELETE /v1/campaigns/{id} with 204. ENOTFOUND;
// ECONFLICT unless it is a draft.
func (s *server) deleteCampaign(c *gin.Context) {
	id, err := campaignID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.campaigns.DeleteCampaign(c.Request.Context(), id); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// launchCampaign answers POST /v1/campaigns/{id}/launch: it plans the
// campaign and returns it scheduled; a launched campaign is returned
// unchanged. ENOTFOUND; ECONFLICT with the reason; EINVALID, EMALFORMED
// for a body other than none or {}.
func (s *server) launchCampaign(c *gin.Context) {
	s.campaignAction(c, func(ctx context.Context, id int64) (any, error) {
		return s.campaigns.LaunchCampaign(ctx, id)
	})
}

// pauseCampaign answers POST /v1/campaigns/{id}/pause. ENOTFOUND;
// ECONFLICT naming the current state; EINVALID, EMALFORMED for a body.
func (s *server) pauseCampaign(c *gin.Context) {
	s.campaignAction(c, func(ctx context.Context, id int64) (any, error) {
		return s.campaigns.PauseCampaign(ctx, id)
	})
}

// resumeCampaign answers POST /v1/campaigns/{id}/resume. ENOTFOUND;
// ECONFLICT naming the current state; EINVALID, EMALFORMED for a body.
func (s *server) resumeCampaign(c *gin.Context) {
	s.campaignAction(c, func(ctx context.Context, id int64) (any, error) {
		return s.campaigns.ResumeCampaign(ctx, id)
	})
}

// cancelCampaign answers POST /v1/campaigns/{id}/cancel. ENOTFOUND;
// ECONFLICT naming the current state; EINVALID, EMALFORMED for a body.
func (s *server) cancelCampaign(c *gin.Context) {
	s.campaignAction(c, func(ctx context.Context, id int64) (any, error) {
		return s.campaigns.CancelCampaign(ctx, id)
	})
}

// previewCampaign answers POST /v1/campaigns/{id}/preview: what a launch
// now would plan, computed without writing (so viewers may call it). It
// takes no options: EINVALID, EMALFORMED for a body other than none or {};
// ENOTFOUND; ECONFLICT for content that cannot be launched; EBUSY (from
// the router's limiter) when too many previews run.
func (s *server) previewCampaign(c *gin.Context) {
	s.campaignAction(c, func(ctx context.Context, id int64) (any, error) {
		return s.campaigns.PreviewCampaign(ctx, id)
	})
}

// explainCampaign answers GET /v1/campaigns/{id}/explain/{external_id}:
// every eligibility rule with its outcome and deciding values, the send
// time in UTC and local time, and the channel. ENOTFOUND; ECONFLICT.
func (s *server) explainCampaign(c *gin.Context) {
	ext, err := existingExternalID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.withCampaign(c, http.StatusOK, func(ctx context.Context, id int64) (any, error) {
		return s.campaigns.ExplainCampaign(ctx, id, ext)
	})
}

// campaignDeliveries answers GET /v1/campaigns/{id}/deliveries?status=:
// one page by id, of the statuses given (see deliveryQuery). ENOTFOUND;
// EINVALID for a bad status, limit or cursor.
func (s *server) campaignDeliveries(c *gin.Context) {
	id, err := campaignID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	page, statuses, err := deliveryQuery(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.campaigns.CampaignDeliveries(c.Request.Context(), id, page, statuses...)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}

// customerDeliveries answers GET /v1/customers/{external_id}/deliveries?status=:
// one page by id, of the statuses given (see deliveryQuery). ENOTFOUND;
// EINVALID for a bad status, limit or cursor.
func (s *server) customerDeliveries(c *gin.Context) {
	ext, err := existingExternalID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	page, statuses, err := deliveryQuery(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	items, next, err := s.campaigns.CustomerDeliveries(c.Request.Context(), ext, page, statuses...)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(items, next))
}

// deliveryQuery reads the page and the status filter of a delivery list.
// ?status= may be repeated and may list statuses separated by commas;
// none means every status. EINVALID for a bad limit or an unknown status
// (rule "enum" on "status", listing the known ones).
func deliveryQuery(c *gin.Context) (models.Page, []models.DeliveryStatus, error) {
	page, err := pageOf(c)
	if err != nil {
		return page, nil, err
	}
	statuses, err := models.ParseDeliveryStatuses(c.QueryArray("status"))
	return page, statuses, err
}

// campaignAction is withCampaign for a POST that takes no input: a body
// other than none or {} is refused rather than silently ignored.
func (s *server) campaignAction(c *gin.Context, do func(ctx context.Context, id int64) (any, error)) {
	s.withCampaign(c, http.StatusOK, func(ctx context.Context, id int64) (any, error) {
		if err := decodeNoBody(c); err != nil {
			return nil, err
		}
		return do(ctx, id)
	})
}

// withCampaign reads the campaign id, runs do and writes its result with
// status, or the error as a problem.
func (s *server) withCampaign(c *gin.Context, status int, do func(ctx context.Context, id int64) (any, error)) {
	id, err := campaignID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	v, err := do(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(status, v)
}
