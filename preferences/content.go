package preferences

import (
	"context"
	"slices"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

// OfferedContent implements models.PreferenceService. It renders the
// variant of the customer's preferred channel in their locale, or else the
// email one: the customer reads it in a browser, whatever the channel.
func (s *Service) OfferedContent(ctx context.Context, c *models.Customer, contentID int64) (*models.OfferedItem, error) {
	ledger, o, err := s.offer(ctx, c, contentID)
	if err != nil {
		return nil, err
	}
	v, err := s.store.ContentVersion(ctx, o.ContentID, o.Version)
	if err != nil {
		return nil, err
	}
	variant, ok := content.PickVariant(&v.ContentInput, c.PreferredChannel, c.Locale)
	if !ok {
		variant, ok = content.PickVariant(&v.ContentInput, models.ChannelEmail, c.Locale)
	}
	if !ok {
		return nil, models.Errorf(models.ENOTFOUND, "This content is not available in your language.")
	}
	unsub, prefs := s.links(c)
	m, err := content.Render(&v.ContentInput, variant, content.RenderInput{Name: c.Name, Attributes: c.Attributes,
		PreferencesURL: prefs, UnsubscribeURL: unsub})
	if err != nil {
		return nil, err
	}
	read := &models.SentMessageCopy{SentMessage: models.SentMessage{Channel: variant.Channel, Title: v.Title}, Subject: m.Subject, Text: m.Text}
	return &models.OfferedItem{Message: read, Receipt: &o.Receipt, State: pageState(c, ledger)}, nil
}

// offer finds contentID among the items the page offers the customer,
// with their consent ledger. ENOTFOUND when it is not offered.
func (s *Service) offer(ctx context.Context, c *models.Customer, contentID int64) (*models.ConsentLedger, *models.ContentOffer, error) {
	ledger, err := s.store.Consents(ctx, c.ExternalID)
	if err != nil {
		return nil, nil, err
	}
	offers, err := s.store.ContentOffers(ctx, c.ID, optedIn(ledger), s.now())
	if err != nil {
		return nil, nil, err
	}
	i := slices.IndexFunc(offers, func(o *models.ContentOffer) bool { return o.ContentID == contentID })
	if i < 0 {
		return nil, nil, models.Errorf(models.ENOTFOUND, "This content is not offered to you.")
	}
	return ledger, offers[i], nil
}
