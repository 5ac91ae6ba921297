package store

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
)

// outboxRow is one message the outbox transport kept.
type outboxRow struct {
	ID         int64
	DeliveryID int64
	CampaignID int64
	CustomerID int64
	Channel    string
	Recipient  string
	Subject    string
	Text       string
	HTML       string
	Headers    string
	Raw        []byte
	CreatedAt  time.Time
}

func (outboxRow) TableName() string { return "outbox_messages" }

// AddOutboxMessage keeps a message of the outbox transport. The campaign
// and customer come from the delivery, so the outbox can be listed by
// either. Adding a message for a delivery that has one already changes
// nothing (a retried send is idempotent). A negative delivery id is a
// double opt-in confirmation's (models.Confirmation.MessageID): it
// belongs to no campaign. ENOTFOUND for an unknown delivery.
func (s *Store) AddOutboxMessage(ctx context.Context, m *models.OutboxMessage) error {
	headers, err := json.Marshal(m.Headers)
	if err != nil {
		return err
	}
	err = s.tx(ctx, false, func(tx *gorm.DB) error {
		var d deliveryRow
		if m.DeliveryID < 0 {
			var conf confirmationRow
			if err := tx.Select("id, customer_id").Where("id = ?", -m.DeliveryID).Take(&conf).Error; err != nil {
				return err
			}
			d = deliveryRow{ID: m.DeliveryID, CustomerID: conf.CustomerID}
		} else if err := tx.Select("id, campaign_id, customer_id").Where("id = ?", m.DeliveryID).Take(&d).Error; err != nil {
			return err
		}
		row := outboxRow{DeliveryID: d.ID, CampaignID: d.CampaignID, CustomerID: d.CustomerID, Channel: string(m.Channel),
			Recipient: m.Recipient, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Headers: string(headers), Raw: []byte(m.Raw),
			CreatedAt: s.now()}
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "delivery_id"}}, DoNothing: true}).Create(&row).Error
	})
	return mapError(err, "Delivery")
}

// OutboxMessages lists the outbox by id, optionally only one customer's
// (by external id) or one campaign's. EINVALID for a bad cursor;
// ENOTFOUND for an unknown customer.
func (s *Store) OutboxMessages(ctx context.Context, f models.OutboxFilter, page models.Page) ([]*models.OutboxMessage, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	db := s.db.WithContext(ctx)
	q := db.Model(&outboxRow{})
	if f.ExternalID != "" {
		cr, err := liveCustomer(db, f.ExternalID)
		if err != nil {
			return nil, "", err
		}
		q = q.Where("customer_id = ?", cr.ID)
	}
	if f.CampaignID != 0 {
		q = q.Where("campaign_id = ?", f.CampaignID)
	}
	ext := map[int64]string{}
	return pageBy(q, ks, "Outbox", func(r outboxRow) int64 { return r.ID }, func(r *outboxRow) (*models.OutboxMessage, error) {
		if _, ok := ext[r.CustomerID]; !ok {
			e, err := externalIDOf(db, r.CustomerID)
			if err != nil {
				return nil, mapError(err, "Outbox")
			}
			ext[r.CustomerID] = e
		}
		m := &models.OutboxMessage{ID: r.ID, DeliveryID: r.DeliveryID, CampaignID: r.CampaignID, ExternalID: ext[r.CustomerID],
			Channel: models.Channel(r.Channel), Recipient: r.Recipient, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
			Raw: string(r.Raw), CreatedAt: r.CreatedAt.UTC()}
		if err := json.Unmarshal([]byte(r.Headers), &m.Headers); err != nil {
			return nil, err
		}
		return m, nil
	})
}
