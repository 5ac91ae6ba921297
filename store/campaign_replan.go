package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// ResumeCampaign resumes a paused campaign. Planned deliveries whose time
// passed during the pause are checked again against what may have changed
// meanwhile and re-planned to the customer's next window (a new
// generation, so their task ids never collide with retained ones). Those
// whose consent is no longer opted_in, whose customer changed channel, or
// whose new time would break the cadence are skipped (consent_withdrawn,
// channel_changed, cadence_cap); those with no window left before
// not_after expire with reason no_slot (or erased, no_timezone, no_window
// when the profile changed). The campaign returns to running if any
// delivery was already handed on, else to scheduled. ENOTFOUND; ECONFLICT
// naming the state.
func (s *Store) ResumeCampaign(ctx context.Context, id int64, ps models.PlanSettings) (*models.Campaign, error) {
	return s.transition(ctx, id, func(tx *gorm.DB, row *campaignRow) error {
		if row.State != string(models.CampaignPaused) {
			return models.Errorf(models.ECONFLICT, "Campaign %d is %s; only paused campaigns can be resumed.", id, row.State)
		}
		// Counted before re-planning: the deliveries resume skips were
		// never handed on.
		var handed int64
		err := tx.Model(&deliveryRow{}).Where("campaign_id = ? AND status NOT IN ?", id,
			[]string{string(models.DeliveryPlanned), string(models.DeliveryCancelled), string(models.DeliveryExpired)}).
			Count(&handed).Error
		if err != nil {
			return err
		}
		if err := s.replanMissed(tx, row, ps); err != nil {
			return err
		}
		state := models.CampaignScheduled
		if handed > 0 {
			state = models.CampaignRunning
		}
		return s.setCampaignState(tx, row, state, nil)
	})
}

// replanPage is what re-planning one page of deliveries needs to know
// about their customers, loaded in three queries.
type replanPage struct {
	customers map[int64]*customerRow
	consent   map[int64]models.ConsentStatus
	// others are the instants of each customer's other counting
	// deliveries: the page's own deliveries are left out, so a delivery
	// never counts against itself.
	others campaigns.DeliveryTimes
}

// replanMissed re-plans, a page at a time, the campaign's planned
// deliveries scheduled before now. A pause can last long enough for the
// customer to withdraw consent, change channel or receive other
// campaigns, so each delivery passes launch's consent, channel and
// cadence rules again at its new time, with the customer's current zone
// and windows (or the server defaults) and the campaign's spread.
func (s *Store) replanMissed(tx *gorm.DB, row *campaignRow, ps models.PlanSettings) error {
	now := s.now()
	topic, err := pinnedTopic(tx, row)
	if err != nil {
		return err
	}
	var after int64
	for {
		var rows []deliveryRow
		err := tx.Where("campaign_id = ? AND status = ? AND scheduled_at < ? AND id > ?",
			row.ID, string(models.DeliveryPlanned), now, after).Order("id").Limit(1000).Find(&rows).Error
		if err != nil || len(rows) == 0 {
			return err
		}
		after = rows[len(rows)-1].ID
		page, err := loadReplanPage(tx, row, topic, rows, now)
		if err != nil {
			return err
		}
		for i := range rows {
			d := &rows[i]
			updates := map[string]any{"updated_at": now}
			at, status, reason, err := s.replanDelivery(tx.Statement.Context, row, ps, page, d, now)
			if err != nil {
				return err
			}
			if reason == "" {
				updates["scheduled_at"], updates["generation"] = at, d.Generation+1
			} else {
				updates["status"], updates["reason"] = string(status), string(reason)
			}
			if err := tx.Model(&deliveryRow{}).Where("id = ? AND status = ?", d.ID, string(models.DeliveryPlanned)).Updates(updates).Error; err != nil {
				return err
			}
		}
	}
}

// pinnedTopic returns the topic of the content version the launch pinned:
// consent is needed for that topic, whatever later versions say.
func pinnedTopic(tx *gorm.DB, row *campaignRow) (string, error) {
	var vrow contentVersionRow
	if err := tx.Where("content_id = ? AND version = ?", row.ContentID, row.ContentVersion).Take(&vrow).Error; err != nil {
		return "", mapError(err, "Content version")
	}
	v, err := vrow.model()
	if err != nil {
		return "", err
	}
	return v.Topic, nil
}

// loadReplanPage loads the customers of rows, their consent for topic and
// their other deliveries that can weigh on a cadence of a send between
// now and the campaign's end.
func loadReplanPage(tx *gorm.DB, row *campaignRow, topic string, rows []deliveryRow, now time.Time) (*replanPage, error) {
	ids := make([]int64, len(rows))
	own := make([]int64, len(rows))
	for i := range rows {
		ids[i], own[i] = rows[i].CustomerID, rows[i].ID
	}
	page := &replanPage{customers: map[int64]*customerRow{}, consent: map[int64]models.ConsentStatus{}, others: campaigns.DeliveryTimes{}}
	var customers []customerRow
	if err := tx.Where("id IN ?", ids).Find(&customers).Error; err != nil {
		return nil, err
	}
	for i := range customers {
		page.customers[customers[i].ID] = &customers[i]
	}
	var consents []consentRow
	if err := tx.Where("topic = ? AND customer_id IN ?", topic, ids).Find(&consents).Error; err != nil {
		return nil, mapError(err, "Consents")
	}
	for _, c := range consents {
		page.consent[c.CustomerID] = models.ConsentStatus(c.Status)
	}
	if row.RecipientsOf != nil {
		return page, nil // a correction is exempt from cadence
	}
	var others []struct {
		CustomerID  int64
		ScheduledAt time.Time
		SentAt      *time.Time
	}
	err := tx.Model(&deliveryRow{}).Select("customer_id, scheduled_at, sent_at").
		Where("customer_id IN ? AND id NOT IN ? AND status IN ?", ids, own, countingStatuses).
		Where("COALESCE(sent_at, scheduled_at) > ? AND COALESCE(sent_at, scheduled_at) < ?",
			now.Add(-maxCadencePeriod), row.NotAfter.UTC().Add(maxCadencePeriod)).
		Scan(&others).Error
	if err != nil {
		return nil, mapError(err, "Deliveries")
	}
	for _, o := range others {
		at := o.ScheduledAt
		if o.SentAt != nil {
			at = *o.SentAt
		}
		page.others[o.CustomerID] = append(page.others[o.CustomerID], at.UTC())
	}
	return page, nil
}

// replanDelivery decides one missed delivery: its new send time, or the
// status (skipped or expired) and reason it ends with instead. The order
// follows launch: consent before channel before time before cadence.
func (s *Store) replanDelivery(ctx context.Context, row *campaignRow, ps models.PlanSettings, page *replanPage, d *deliveryRow, now time.Time) (time.Time, models.DeliveryStatus, models.Reason, error) {
	cr := page.customers[d.CustomerID]
	if cr == nil || cr.ErasedAt != nil {
		return time.Time{}, models.DeliveryExpired, models.ReasonErased, nil
	}
	c, err := cr.model()
	if err != nil {
		return time.Time{}, models.DeliveryExpired, models.ReasonNoWindow, nil
	}
	if page.consent[c.ID] != models.ConsentOptedIn {
		return time.Time{}, models.DeliverySkipped, models.ReasonConsentWithdrawn, nil
	}
	// The delivery's locale, address and capacity were decided for the
	// old channel; re-routing would skip those checks, so it is skipped
	// and never sent on a channel the customer no longer wants.
	if c.PreferredChannel != models.Channel(d.Channel) {
		return time.Time{}, models.DeliverySkipped, models.ReasonChannelChanged, nil
	}
	at, reason := s.replanSlot(row, ps, c, now)
	if reason != "" {
		return time.Time{}, models.DeliveryExpired, reason, nil
	}
	if row.RecipientsOf == nil {
		_, ok, err := campaigns.CheckCadence(ctx, page.others, c.ID, at, c.Cadence, ps.GlobalCap)
		if err != nil {
			return time.Time{}, "", "", err
		}
		if !ok {
			return time.Time{}, models.DeliverySkipped, models.ReasonCadenceCap, nil
		}
	}
	return at, "", "", nil
}

// replanSlot computes a re-planned send time for one customer, or the
// reason there is none: no_timezone, no_window or no_slot.
func (s *Store) replanSlot(row *campaignRow, ps models.PlanSettings, c *models.Customer, now time.Time) (time.Time, models.Reason) {
	zone, windows := c.Timezone, c.PreferredWindows
	if zone == "" {
		zone = ps.DefaultTimezone
	}
	if len(windows) == 0 {
		windows = ps.DefaultWindows
	}
	loc, err := campaigns.LoadZone(zone)
	if err != nil {
		return time.Time{}, models.ReasonNoTimezone
	}
	if len(windows) == 0 {
		return time.Time{}, models.ReasonNoWindow
	}
	in := campaigns.ScheduleInput{Now: now, NotBefore: row.NotBefore.UTC(), NotAfter: row.NotAfter.UTC(), Location: loc, Windows: windows}
	slot, ok := campaigns.PlaceSend(in, campaigns.Placement{CampaignID: row.ID, CustomerID: c.ID, Spread: row.Spread})
	if !ok {
		return time.Time{}, models.ReasonNoSlot
	}
	return slot.At, ""
}
