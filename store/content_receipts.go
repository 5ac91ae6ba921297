package store

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// ContentReceipt implements models.ContentReceiptService.
func (s *Store) ContentReceipt(ctx context.Context, externalID string, contentID int64) (*models.ContentReceipt, error) {
	db := s.db.WithContext(ctx)
	row, err := liveCustomer(db, externalID)
	if err != nil {
		return nil, err
	}
	var item contentRow
	if err := db.Where("id = ? AND approved_version > 0", contentID).Take(&item).Error; err != nil {
		return nil, mapError(err, "Content")
	}
	r, err := s.receipt(db, row.ID, item.ID, item.ApprovedVersion)
	if err != nil {
		return nil, mapError(err, "Content")
	}
	return r, nil
}

// receipt reads the customer's sent or pending delivery of the content
// (the unique index on customer and content allows one of either), of a
// launched campaign, and corrections since it was sent.
func (s *Store) receipt(db *gorm.DB, customerID, contentID int64, current int) (*models.ContentReceipt, error) {
	r := &models.ContentReceipt{ContentID: contentID, Version: current}
	var sent []deliveryRow
	if err := db.Raw("SELECT "+deliveryColumns+" FROM deliveries WHERE customer_id = ? AND content_id = ? "+
		"AND status IN ('planned', 'queued', 'sending', 'sent')"+s.launchedOnly("campaign_id"), customerID, contentID).Scan(&sent).Error; err != nil {
		return nil, err
	}
	if len(sent) == 0 {
		return r, nil
	}
	if sent[0].Status != string(models.DeliverySent) {
		d := sent[0]
		r.Pending = &models.PendingSend{DeliveryID: d.ID, ScheduledAt: d.ScheduledAt.UTC(), Channel: models.Channel(d.Channel)}
		return r, nil
	}
	if sent[0].SentAt == nil {
		return r, nil
	}
	at := sent[0].SentAt.UTC()
	r.ReceivedAt, r.Channel, r.Version = &at, models.Channel(sent[0].Channel), sent[0].ContentVersion
	var corrections []contentRow
	if err := db.Where("corrects = ? AND approved_version > 0", contentID).Order("id").Find(&corrections).Error; err != nil {
		return nil, err
	}
	for _, c := range corrections {
		v, err := s.contentVersion(db, versionKey{c.ID, 1})
		if err != nil {
			return nil, err
		}
		if v.ApprovedAt.After(at) {
			r.CorrectedSince = &models.Correction{ContentID: c.ID, Title: v.Title, Summary: v.Summary, ApprovedAt: v.ApprovedAt}
			break
		}
	}
	return r, nil
}

// ContentOffers implements models.ContentReceiptService.
func (s *Store) ContentOffers(ctx context.Context, customerID int64, topics []string, now time.Time) ([]*models.ContentOffer, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	var items []contentRow
	// The working topic narrows the scan; the approved version's own
	// topic and expiry decide below, since a draft may have changed them.
	if err := db.Where("approved_version > 0 AND state <> ? AND topic IN ?", string(models.ContentRetired), topics).
		Order("id DESC").Limit(4 * models.MaxContentOffers).Find(&items).Error; err != nil {
		return nil, err
	}
	var out []*models.ContentOffer
	for _, item := range items {
		v, err := s.contentVersion(db, versionKey{item.ID, item.ApprovedVersion})
		if err != nil {
			return nil, err
		}
		if !slices.Contains(topics, v.Topic) || (v.ExpiresAt != nil && !v.ExpiresAt.After(now)) {
			continue
		}
		r, err := s.receipt(db, customerID, item.ID, item.ApprovedVersion)
		if err != nil {
			return nil, err
		}
		out = append(out, &models.ContentOffer{ContentID: item.ID, Version: item.ApprovedVersion, Topic: v.Topic,
			Title: v.Title, Summary: v.Summary, Receipt: *r})
		if len(out) == models.MaxContentOffers {
			break
		}
	}
	return out, nil
}
