package store

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
)

// channelFeedbackRow is a row of channel_feedback (no address, no PII).
type channelFeedbackRow struct {
	ID         int64
	Kind       string
	Channel    string
	CustomerID int64
	DeliveryID int64
	OccurredAt time.Time
	ReceivedAt time.Time
}

func (channelFeedbackRow) TableName() string { return "channel_feedback" }

// bouncedAddressRow is a row of bounced_addresses.
type bouncedAddressRow struct {
	Fingerprint string `gorm:"primaryKey"`
	Channel     string
	CreatedAt   time.Time
}

func (bouncedAddressRow) TableName() string { return "bounced_addresses" }

// RecordChannelFeedback records a provider's report and returns the live
// customers it concerns (for a complaint or STOP, the caller opts them
// out through OptOutAll). A hard bounce marks the address unusable: its
// fingerprint goes into bounced_addresses, so the claim skips deliveries
// to it with no_address. A replayed report changes nothing. EINVALID for
// a channel without addresses to bounce; ENOTFOUND when the report names
// no known delivery, customer or address.
func (s *Store) RecordChannelFeedback(ctx context.Context, fb *models.ChannelFeedback) ([]int64, error) {
	var customers []int64
	err := s.tx(ctx, true, func(tx *gorm.DB) error {
		var err error
		var fingerprint string
		var deliveryID int64
		customers, fingerprint, deliveryID, err = s.feedbackTarget(tx, fb)
		if err != nil {
			return err
		}
		now := s.now()
		at := fb.OccurredAt.UTC().Truncate(time.Microsecond)
		rows := []channelFeedbackRow{{Kind: string(fb.Kind), Channel: string(fb.Channel), DeliveryID: deliveryID, OccurredAt: at, ReceivedAt: now}}
		if len(customers) > 0 {
			rows = rows[:0]
			for _, id := range customers {
				rows = append(rows, channelFeedbackRow{Kind: string(fb.Kind), Channel: string(fb.Channel), CustomerID: id,
					DeliveryID: deliveryID, OccurredAt: at, ReceivedAt: now})
			}
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows)
		if res.Error != nil {
			return res.Error
		}
		if fb.Kind == models.FeedbackComplaint && res.RowsAffected > 0 {
			// The outbox event integrations and the campaign report read;
			// a replayed report (rows already there) writes none.
			if err := complaintEvents(tx, customers, deliveryID, fb.Channel, at); err != nil {
				return err
			}
		}
		if fb.Kind != models.FeedbackHardBounce || fingerprint == "" {
			return nil
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&bouncedAddressRow{Fingerprint: fingerprint, Channel: string(fb.Channel), CreatedAt: now}).Error
	})
	if err != nil {
		return nil, mapError(err, "Channel feedback")
	}
	return customers, nil
}

// feedbackTarget resolves what a report names: the live customers, the
// fingerprint of the address, and the delivery (0 when not named). The
// channel of a delivery is the delivery's own.
func (s *Store) feedbackTarget(tx *gorm.DB, fb *models.ChannelFeedback) ([]int64, string, int64, error) {
	switch {
	case fb.DeliveryID != 0:
		var d deliveryRow
		if err := tx.Select("id", "customer_id", "channel", "address_fingerprint").Where("id = ?", fb.DeliveryID).Take(&d).Error; err != nil {
			return nil, "", 0, mapError(err, "Delivery")
		}
		fb.Channel = models.Channel(d.Channel)
		live, err := liveIDs(tx, "id = ?", d.CustomerID)
		// The fingerprint of the address the message went to, recorded
		// when it was claimed, even if the customer changed it since.
		return live, d.AddressFingerprint, d.ID, err
	case fb.ExternalID != "":
		row, err := liveCustomer(tx, fb.ExternalID)
		if err != nil {
			return nil, "", 0, err
		}
		c, err := row.model()
		if err != nil {
			return nil, "", 0, err
		}
		addr := c.Address(fb.Channel)
		if addr == "" {
			return []int64{row.ID}, "", 0, nil
		}
		return []int64{row.ID}, s.keys.Fingerprint(addressKind(fb.Channel), addr), 0, nil
	}
	spec, ok := models.ChannelSpecFor(fb.Channel)
	if !ok || (spec.AddressField != "email" && spec.AddressField != "phone") {
		return nil, "", 0, models.Errorf(models.EINVALID, "/data/channel: must be email or sms to name an address, got %q", fb.Channel)
	}
	cond := "phone = ?"
	if spec.AddressField == "email" {
		cond = "LOWER(email) = LOWER(?)" // as fingerprints compare emails
	}
	ids, err := liveIDs(tx, cond, fb.Address)
	if err != nil {
		return nil, "", 0, err
	}
	if len(ids) == 0 && fb.Kind != models.FeedbackHardBounce {
		return nil, "", 0, models.Errorf(models.ENOTFOUND, "No live customer has this %s address.", fb.Channel)
	}
	return ids, s.keys.Fingerprint(spec.AddressField, fb.Address), 0, nil
}

// liveIDs returns the ids of live customers matching the condition.
func liveIDs(tx *gorm.DB, cond string, arg any) ([]int64, error) {
	var ids []int64
	err := tx.Model(&customerRow{}).Where(cond+" AND erased_at IS NULL", arg).Order("id").Pluck("id", &ids).Error
	return ids, err
}

// dropBouncedAddresses blanks, in the claim's copy of each customer, an
// email or phone that bounced hard, so the send-time check skips their
// deliveries on that channel with no_address.
func (s *Store) dropBouncedAddresses(tx *gorm.DB, customers map[int64]*models.Customer) error {
	byFP := map[string][]*string{}
	for _, c := range customers {
		if c.Email != "" {
			fp := s.keys.Fingerprint("email", c.Email)
			byFP[fp] = append(byFP[fp], &c.Email)
		}
		if c.Phone != "" {
			fp := s.keys.Fingerprint("phone", c.Phone)
			byFP[fp] = append(byFP[fp], &c.Phone)
		}
	}
	if len(byFP) == 0 {
		return nil
	}
	var bounced []string
	var err error
	if s.dialect == DialectPostgres {
		bounced, err = bouncedPostgres(tx, mapKeys(byFP))
	} else {
		err = tx.Model(&bouncedAddressRow{}).Where("fingerprint IN ?", mapKeys(byFP)).Pluck("fingerprint", &bounced).Error
	}
	if err != nil {
		return err
	}
	for _, fp := range bounced {
		for _, addr := range byFP[fp] {
			*addr = ""
		}
	}
	return nil
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// complaintEvents writes one channel.complained event per customer, dated
// when the complaint was made (the report counts complaints within a week
// of the message). The data names the delivery and channel, never an
// address.
func complaintEvents(tx *gorm.DB, customers []int64, deliveryID int64, ch models.Channel, at time.Time) error {
	data := map[string]any{"channel": string(ch)}
	if deliveryID != 0 {
		data["delivery_id"] = deliveryID
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	rows := make([]eventRow, 0, len(customers))
	for _, id := range customers {
		rows = append(rows, eventRow{Type: string(models.EventChannelComplained), CustomerID: &id, Data: string(raw), CreatedAt: at})
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Create(&rows).Error
}
