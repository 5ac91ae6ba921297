package store

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/campaigns/eligibility"
	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

// ResumeCampaign resumes a paused campaign. Planned deliveries whose time
// passed during the pause are checked again against what may have changed
// meanwhile and re-planned to the customer's next window (a new
// generation, so their task ids never collide with retained ones), sharing
// each channel's send rate with everything already planned. Those whose
// customer became suppressed, whose consent is no longer opted_in, whose
// customer changed channel, whose channel this server no longer has, whose
// content expired, or whose new time would break the cadence are skipped
// (suppressed, consent_withdrawn, channel_changed, channel_unavailable,
// content_expired, cadence_cap); those with no window left before
// not_after expire with reason no_slot (or erased, no_timezone, no_window
// when the profile changed). The campaign returns to running if any
// delivery was already handed on, to completed if no delivery is left to
// send, else to scheduled. ENOTFOUND; ECONFLICT naming the state.
func (s *Store) ResumeCampaign(ctx context.Context, id int64, ps models.PlanSettings) (*models.Campaign, error) {
	leave, err := s.enterPlanning(ctx)
	if err != nil {
		return nil, mapError(err, "Campaign")
	}
	defer leave()
	return s.transition(ctx, id, func(tx *gorm.DB, row *campaignRow) error {
		if row.State != string(models.CampaignPaused) {
			return models.Errorf(models.ECONFLICT, "Campaign %d is %s; only paused campaigns can be resumed.", id, row.State)
		}
		// Counted before re-planning: the deliveries resume skips were
		// never handed on.
		var handed int64
		err := tx.Model(&deliveryRow{}).Where("campaign_id = ? AND status IN ?", id, handedOn).Count(&handed).Error
		if err != nil {
			return err
		}
		if err := s.lockPlanning(tx); err != nil {
			return err
		}
		moved, err := s.replanMissed(tx, row, ps)
		if err != nil {
			return err
		}
		var open int64
		err = tx.Model(&deliveryRow{}).Where("campaign_id = ? AND status IN ?", id, []string{string(models.DeliveryPlanned),
			string(models.DeliveryQueued), string(models.DeliverySending)}).Count(&open).Error
		if err != nil {
			return err
		}
		state := models.CampaignScheduled
		switch {
		case open == 0:
			state = models.CampaignCompleted
		case handed > 0:
			state = models.CampaignRunning
		}
		return s.setCampaignState(tx, row, state, map[string]any{"moved_count": row.MovedCount + moved})
	})
}

// handedOn are the statuses of deliveries the dispatcher handed to the
// queue: a campaign with any of them has been running. Skipped, expired
// and cancelled ones never were.
var handedOn = []string{string(models.DeliveryQueued), string(models.DeliverySending), string(models.DeliverySent),
	string(models.DeliveryFailed), string(models.DeliveryUnknown)}

// replanner is what re-planning a paused campaign shares across pages:
// the pinned version and one capacity planner for every channel.
type replanner struct {
	row      *campaignRow
	ps       models.PlanSettings
	version  *models.ContentVersion
	capacity *schedule.CapacityPlanner
	now      time.Time
}

// replanPage is what re-planning one page of deliveries needs to know
// about their customers, loaded in three queries.
type replanPage struct {
	customers map[int64]*customerRow
	consent   map[int64]models.ConsentStatus
	// others are the instants of each customer's other counting
	// deliveries: the page's own deliveries are left out, so a delivery
	// never counts against itself.
	others eligibility.DeliveryTimes
}

// replanMissed re-plans, a page at a time, the campaign's planned
// deliveries scheduled before now, and returns how many the channels'
// send rates moved. A pause can last long enough for the customer to
// withdraw consent, change channel or receive other campaigns, so each
// delivery passes launch's rules again at its new time, with the
// customer's current zone and windows (or the server defaults) and the
// campaign's spread.
func (s *Store) replanMissed(tx *gorm.DB, row *campaignRow, ps models.PlanSettings) (int64, error) {
	r := &replanner{row: row, ps: ps, now: s.now(), capacity: schedule.NewCapacityPlanner(ps.SendsPerMinute)}
	var err error
	if r.version, err = pinnedVersion(tx, row); err != nil {
		return 0, err
	}
	// Every campaign's future sends, this one's included, already hold
	// their minutes; the missed ones lie before now and hold none.
	ctx := tx.Statement.Context
	if err := s.reserveCapacity(ctx, tx, r.capacity, ps.SendsPerMinute, 0, r.now, row.NotAfter); err != nil {
		return 0, err
	}
	var after int64
	for {
		var rows []deliveryRow
		err := tx.Where("campaign_id = ? AND status = ? AND scheduled_at < ? AND id > ?",
			row.ID, string(models.DeliveryPlanned), r.now, after).Order("id").Limit(1000).Find(&rows).Error
		if err != nil || len(rows) == 0 {
			return int64(r.capacity.Moved()), err
		}
		after = rows[len(rows)-1].ID
		page, err := loadReplanPage(tx, row, r.version.Topic, rows, r.now)
		if err != nil {
			return 0, err
		}
		for i := range rows {
			d := &rows[i]
			updates := map[string]any{"updated_at": r.now}
			at, status, reason, err := r.replanDelivery(ctx, page, d)
			if err != nil {
				return 0, err
			}
			if reason == "" {
				updates["scheduled_at"], updates["generation"] = at, d.Generation+1
			} else {
				updates["status"], updates["reason"] = string(status), string(reason)
			}
			if err := tx.Model(&deliveryRow{}).Where("id = ? AND status = ?", d.ID, string(models.DeliveryPlanned)).Updates(updates).Error; err != nil {
				return 0, err
			}
		}
	}
}

// pinnedVersion returns the content version the launch pinned: consent is
// needed for its topic and it expires at its expires_at, whatever later
// versions say.
func pinnedVersion(tx *gorm.DB, row *campaignRow) (*models.ContentVersion, error) {
	var vrow contentVersionRow
	if err := tx.Where("content_id = ? AND version = ?", row.ContentID, row.ContentVersion).Take(&vrow).Error; err != nil {
		return nil, mapError(err, "Content version")
	}
	return vrow.model()
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
	page := &replanPage{customers: map[int64]*customerRow{}, consent: map[int64]models.ConsentStatus{}, others: eligibility.DeliveryTimes{}}
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
// follows launch: who the customer is, consent, channel, content, time,
// capacity, then cadence at the time capacity chose.
func (r *replanner) replanDelivery(ctx context.Context, page *replanPage, d *deliveryRow) (time.Time, models.DeliveryStatus, models.Reason, error) {
	cr := page.customers[d.CustomerID]
	if cr == nil || cr.ErasedAt != nil {
		return time.Time{}, models.DeliveryExpired, models.ReasonErased, nil
	}
	c, err := cr.model()
	if err != nil {
		return time.Time{}, models.DeliveryExpired, models.ReasonNoWindow, nil
	}
	ch := models.Channel(d.Channel)
	switch {
	case c.Suppressed:
		return time.Time{}, models.DeliverySkipped, models.ReasonSuppressed, nil
	case page.consent[c.ID] != models.ConsentOptedIn:
		return time.Time{}, models.DeliverySkipped, models.ReasonConsentWithdrawn, nil
	case c.PreferredChannel != ch:
		// The delivery's locale, address and capacity were decided for
		// the old channel; re-routing would skip those checks, so it is
		// skipped and never sent on a channel the customer no longer wants.
		return time.Time{}, models.DeliverySkipped, models.ReasonChannelChanged, nil
	case !slices.Contains(r.ps.Channels, ch):
		return time.Time{}, models.DeliverySkipped, models.ReasonChannelUnavailable, nil
	case r.version.ExpiresAt != nil && !r.version.ExpiresAt.After(r.now):
		return time.Time{}, models.DeliverySkipped, models.ReasonContentExpired, nil
	}
	in, slot, reason := r.replanSlot(c)
	if reason != "" {
		return time.Time{}, models.DeliveryExpired, reason, nil
	}
	slot, ok := r.capacity.Place(ch, in, slot, 0)
	if !ok {
		return time.Time{}, models.DeliveryExpired, models.ReasonNoSlot, nil
	}
	if r.row.RecipientsOf == nil {
		_, ok, err := eligibility.CheckCadence(ctx, page.others, c.ID, slot.At, c.Cadence, r.ps.GlobalCap)
		if err != nil {
			return time.Time{}, "", "", err
		}
		if !ok {
			return time.Time{}, models.DeliverySkipped, models.ReasonCadenceCap, nil
		}
	}
	return slot.At.UTC(), "", "", nil
}

// replanSlot computes a re-planned send slot for one customer and the
// input it was computed from, or the reason there is none: no_timezone,
// no_window or no_slot.
func (r *replanner) replanSlot(c *models.Customer) (schedule.Input, schedule.Slot, models.Reason) {
	zone, windows := c.Timezone, c.PreferredWindows
	if zone == "" {
		zone = r.ps.DefaultTimezone
	}
	if len(windows) == 0 {
		windows = r.ps.DefaultWindows
	}
	loc, err := schedule.LoadZone(zone)
	if err != nil {
		return schedule.Input{}, schedule.Slot{}, models.ReasonNoTimezone
	}
	if len(windows) == 0 {
		return schedule.Input{}, schedule.Slot{}, models.ReasonNoWindow
	}
	in := schedule.Input{Now: r.now, NotBefore: r.row.NotBefore.UTC(), NotAfter: r.row.NotAfter.UTC(), Location: loc, Windows: windows}
	slot, ok := schedule.PlaceSend(in, schedule.Placement{CampaignID: r.row.ID, CustomerID: c.ID, Spread: r.row.Spread})
	if !ok {
		return in, schedule.Slot{}, models.ReasonNoSlot
	}
	return in, slot, ""
}
