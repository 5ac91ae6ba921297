package preferences

import (
	"context"
	"slices"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

// sent lists the customer's sent messages, newest first, at most
// models.MaxSentShown, each titled by its content version.
func (s *Service) sent(ctx context.Context, c *models.Customer) ([]models.SentMessage, error) {
	var ds []*models.Delivery
	page := models.Page{Limit: models.MaxPageLimit}
	for {
		items, next, err := s.store.CustomerDeliveries(ctx, c.ExternalID, page, models.DeliverySent)
		if err != nil {
			return nil, err
		}
		ds = append(ds, items...)
		if len(ds) > models.MaxSentShown {
			ds = ds[len(ds)-models.MaxSentShown:]
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	slices.Reverse(ds)
	titles := map[[2]int64]string{}
	out := make([]models.SentMessage, 0, len(ds))
	for _, d := range ds {
		key := [2]int64{d.ContentID, int64(d.ContentVersion)}
		title, ok := titles[key]
		if !ok {
			v, err := s.store.ContentVersion(ctx, d.ContentID, d.ContentVersion)
			if err != nil {
				return nil, err
			}
			title, titles[key] = v.Title, v.Title
		}
		out = append(out, sentMessage(d, title))
	}
	return out, nil
}

func sentMessage(d *models.Delivery, title string) models.SentMessage {
	m := models.SentMessage{DeliveryID: d.ID, Channel: d.Channel, Title: title}
	if d.SentAt != nil {
		m.SentAt = *d.SentAt
	}
	return m
}

// SentMessageCopy implements models.PreferenceService. It renders the
// delivery's own content version and variant, as the worker did.
func (s *Service) SentMessageCopy(ctx context.Context, c *models.Customer, deliveryID int64) (*models.SentMessageCopy, error) {
	d, err := s.sentDelivery(ctx, c, deliveryID)
	if err != nil {
		return nil, err
	}
	v, err := s.store.ContentVersion(ctx, d.ContentID, d.ContentVersion)
	if err != nil {
		return nil, err
	}
	variant, ok := content.PickVariant(&v.ContentInput, d.Channel, d.Locale)
	if !ok {
		return nil, models.Errorf(models.ENOTFOUND, "This message can no longer be shown.")
	}
	unsub, prefs := s.links(c)
	m, err := content.Render(&v.ContentInput, variant, content.RenderInput{Name: c.Name, Attributes: c.Attributes,
		PreferencesURL: prefs, UnsubscribeURL: unsub})
	if err != nil {
		return nil, err
	}
	return &models.SentMessageCopy{SentMessage: sentMessage(d, v.Title), Subject: m.Subject, Text: m.Text}, nil
}

// sentDelivery reads a delivery and answers ENOTFOUND unless it is a
// sent message of this very customer, so one customer's link never reads
// another's message.
func (s *Service) sentDelivery(ctx context.Context, c *models.Customer, id int64) (*models.Delivery, error) {
	d, err := s.store.Delivery(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.CustomerID != c.ID || d.Status != models.DeliverySent {
		return nil, models.Errorf(models.ENOTFOUND, "No such message.")
	}
	return d, nil
}
