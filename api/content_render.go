package api

import (
	"net/http"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// renderRequest is the body of POST /v1/content/{id}/render: a customer
// by external id, or inline sample data; channel and locale default to
// the customer's preferences. Version picks an approved version instead
// of the working body.
type renderRequest struct {
	ExternalID string         `json:"external_id"`
	Sample     *renderSample  `json:"sample"`
	Channel    models.Channel `json:"channel"`
	Locale     string         `json:"locale"`
	Version    int            `json:"version"`
}

// renderSample is customer data for a render without a real customer.
type renderSample struct {
	Name       string         `json:"name"`
	Attributes map[string]any `json:"attributes"`
}

// renderContent answers POST /v1/content/{id}/render with the message
// exactly as it would be sent, links included. It writes nothing.
// EINVALID for a body naming both or neither of external_id and sample, a
// bad channel, or no variant for the channel in any locale of the
// fallback chain; ENOTFOUND for unknown content, version or customer.
func (s *server) renderContent(c *gin.Context) {
	id, err := contentID(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req renderRequest
	if err := decodeJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	if err := req.validate(); err != nil {
		s.writeError(c, err)
		return
	}
	body, version, err := s.renderBody(c, id, req.Version)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var input content.RenderInput
	channel, locale := req.Channel, req.Locale
	if req.ExternalID != "" {
		cust, err := s.store.Customer(c.Request.Context(), req.ExternalID)
		if err != nil {
			s.writeError(c, err)
			return
		}
		l := s.linksFor(cust)
		input = content.RenderInput{Name: cust.Name, Attributes: cust.Attributes, PreferencesURL: l.PreferencesURL, UnsubscribeURL: l.UnsubscribeURL}
		if channel == "" {
			channel = cust.PreferredChannel
		}
		if locale == "" {
			locale = cust.Locale
		}
	} else {
		// Id 0 never names a customer, so these links have the real
		// length but resolve to nothing.
		l := s.linksFor(&models.Customer{})
		input = content.RenderInput{Name: req.Sample.Name, Attributes: req.Sample.Attributes,
			PreferencesURL: l.PreferencesURL, UnsubscribeURL: l.UnsubscribeURL}
	}
	v, ok := content.PickVariant(body, channel, locale)
	if !ok {
		var p models.Problems
		p.Add("/channel", "no_variant", "the content has no %s variant for locale %q or its fallbacks %v", channel, locale, content.LocaleChain(locale, body.DefaultLocale))
		s.writeError(c, p.Err())
		return
	}
	msg, err := content.Render(body, v, input)
	if err != nil {
		s.writeError(c, err)
		return
	}
	msg.ContentID, msg.Version = id, version
	c.JSON(http.StatusOK, msg)
}

func (r *renderRequest) validate() error {
	var p models.Problems
	switch {
	case r.ExternalID == "" && r.Sample == nil:
		p.Add("/external_id", "required", "give a customer's external_id or sample data")
	case r.ExternalID != "" && r.Sample != nil:
		p.Add("/sample", "exclusive", "give either external_id or sample, not both")
	case r.ExternalID != "" && !models.ValidExternalID(r.ExternalID):
		p.Add("/external_id", "format", "is not a valid external id")
	}
	if r.Sample != nil && r.ExternalID == "" && r.Channel == "" {
		p.Add("/channel", "required", "a sample render needs a channel")
	}
	if r.Channel != "" && !r.Channel.Valid() {
		p.Add("/channel", "enum", "must be %s, got %q", models.ChannelList(" or "), r.Channel)
	}
	if r.Locale != "" && !models.ValidLocale(r.Locale) {
		p.Add("/locale", "bcp47", "must be a BCP 47 language tag such as en-US or de-AT")
	}
	if r.Version < 0 || r.Version > models.MaxContentVersion {
		p.Add("/version", "range", "must be a version number from 1 to %d (0 or omitted for the working body)", models.MaxContentVersion)
	}
	return p.Err()
}

// renderBody returns the body to render: an approved version when one is
// asked for, else the working body (version 0 in the answer).
func (s *server) renderBody(c *gin.Context, id int64, version int) (*models.ContentInput, int, error) {
	if version > 0 {
		v, err := s.store.ContentVersion(c.Request.Context(), id, version)
		if err != nil {
			return nil, 0, err
		}
		return &v.ContentInput, v.Version, nil
	}
	item, err := s.store.Content(c.Request.Context(), id)
	if err != nil {
		return nil, 0, err
	}
	return &item.ContentInput, 0, nil
}
