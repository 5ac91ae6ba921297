package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// ResumeCampaign resumes a paused campaign. Planned deliveries whose time
// passed during the pause are re-planned to the customer's next window
// (a new generation, so their task ids never collide with retained ones);
// those with no window left before not_after expire with reason no_slot
// (or erased, no_timezone, no_window when the profile changed meanwhile).
// The campaign returns to running if any delivery was already handed on,
// else to scheduled. ENOTFOUND; ECONFLICT naming the state.
func (s *Store) ResumeCampaign(ctx context.Context, id int64, ps models.PlanSettings) (*models.Campaign, error) {
	return s.transition(ctx, id, func(tx *gorm.DB, row *campaignRow) error {
		if row.State != string(models.CampaignPaused) {
			return models.Errorf(models.ECONFLICT, "Campaign %d is %s; only paused campaigns can be resumed.", id, row.State)
		}
		if err := s.replanMissed(tx, row, ps); err != nil {
			return err
		}
		var handed int64
		err := tx.Model(&deliveryRow{}).Where("campaign_id = ? AND status NOT IN ?", id,
			[]string{string(models.DeliveryPlanned), string(models.DeliveryCancelled), string(models.DeliveryExpired)}).
			Count(&handed).Error
		if err != nil {
			return err
		}
		state := models.CampaignScheduled
		if handed > 0 {
			state = models.CampaignRunning
		}
		return s.setCampaignState(tx, row, state, nil)
	})
}

// replanMissed re-plans, a page at a time, the campaign's planned
// deliveries scheduled before now. It uses the customer's current zone and
// windows (or the server defaults), and the campaign's spread.
func (s *Store) replanMissed(tx *gorm.DB, row *campaignRow, ps models.PlanSettings) error {
	now := s.now()
	var after int64
	for {
		var rows []deliveryRow
		err := tx.Where("campaign_id = ? AND status = ? AND scheduled_at < ? AND id > ?",
			row.ID, string(models.DeliveryPlanned), now, after).Order("id").Limit(1000).Find(&rows).Error
		if err != nil || len(rows) == 0 {
			return err
		}
		after = rows[len(rows)-1].ID
		ids := make([]int64, len(rows))
		for i := range rows {
			ids[i] = rows[i].CustomerID
		}
		var customers []customerRow
		if err := tx.Where("id IN ?", ids).Find(&customers).Error; err != nil {
			return err
		}
		byID := make(map[int64]*customerRow, len(customers))
		for i := range customers {
			byID[customers[i].ID] = &customers[i]
		}
		for i := range rows {
			d := &rows[i]
			updates := map[string]any{"updated_at": now}
			if at, reason := s.replanSlot(row, ps, byID[d.CustomerID], now); reason == "" {
				updates["scheduled_at"], updates["generation"] = at, d.Generation+1
			} else {
				updates["status"], updates["reason"] = string(models.DeliveryExpired), string(reason)
			}
			if err := tx.Model(&deliveryRow{}).Where("id = ? AND status = ?", d.ID, string(models.DeliveryPlanned)).Updates(updates).Error; err != nil {
				return err
			}
		}
	}
}

// replanSlot computes a re-planned send time for one customer, or the
// reason there is none: erased, no_timezone, no_window or no_slot.
func (s *Store) replanSlot(row *campaignRow, ps models.PlanSettings, cr *customerRow, now time.Time) (time.Time, models.Reason) {
	if cr == nil || cr.ErasedAt != nil {
		return time.Time{}, models.ReasonErased
	}
	c, err := cr.model()
	if err != nil {
		return time.Time{}, models.ReasonNoWindow
	}
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
