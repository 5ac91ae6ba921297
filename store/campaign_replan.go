package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// ResumeCampaign implements campaigns.Store: it resumes a paused campaign.
// Planned deliveries whose time passed during the pause are checked again
// by planner against what may have changed
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
func (s *Store) ResumeCampaign(ctx context.Context, id int64, planner models.Planner) (*models.Campaign, error) {
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
		moved, err := s.replanMissed(tx, row, planner)
		if err != nil {
			return err
		}
		if _, err := s.skipErased(tx, id); err != nil {
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
		if err := s.audit(tx, models.AuditCampaignResumed, "campaign", id, map[string]any{"state": string(state), "moved": moved}); err != nil {
			return err
		}
		return s.setCampaignState(tx, row, state, map[string]any{"moved_count": row.MovedCount + moved})
	})
}

// handedOn are the statuses of deliveries the dispatcher handed to the
// queue: a campaign with any of them has been running. Skipped, expired
// and cancelled ones never were.
var handedOn = []string{string(models.DeliveryQueued), string(models.DeliverySending), string(models.DeliverySent),
	string(models.DeliveryFailed), string(models.DeliveryUnknown)}

// replanPage is what re-planning one page of deliveries needs to know
// about their customers, loaded in three queries.
type replanPage struct {
	customers map[int64]*customerRow
	consent   map[int64]models.ConsentStatus
	// unverified marks consent rows the ledger did not write (issue 15).
	unverified map[int64]bool
	// others are the instants of each customer's other counting
	// deliveries: the page's own deliveries are left out, so a delivery
	// never counts against itself.
	others map[int64][]time.Time
}

// replanMissed re-plans, a page at a time, the campaign's planned
// deliveries scheduled before now, and returns how many the channels'
// send rates moved. A pause can last long enough for the customer to
// withdraw consent, change channel or receive other campaigns, so the
// planner decides each delivery again at its new time, with the
// customer's current zone and windows and the campaign's spread.
func (s *Store) replanMissed(tx *gorm.DB, row *campaignRow, planner models.Planner) (int64, error) {
	now := s.now()
	p, err := s.newPlan(tx, row, planner, now)
	if err != nil {
		return 0, err
	}
	// Every campaign's future sends, this one's included, already hold
	// their minutes; the missed ones lie before now and hold none.
	ctx := tx.Statement.Context
	if err := s.reserveCapacity(ctx, tx, p.decide, 0, now, row.NotAfter); err != nil {
		return 0, err
	}
	var after int64
	for {
		var rows []deliveryRow
		err := tx.Where("campaign_id = ? AND status = ? AND scheduled_at < ? AND id > ?",
			row.ID, string(models.DeliveryPlanned), now, after).Order("id").Limit(1000).Find(&rows).Error
		if err != nil || len(rows) == 0 {
			return p.decide.Moved(), err
		}
		after = rows[len(rows)-1].ID
		page, err := s.loadReplanPage(tx, row, p.version.Topic, rows, now)
		if err != nil {
			return 0, err
		}
		for i := range rows {
			d := &rows[i]
			x, err := page.replan(ctx, p.decide, d)
			if err != nil {
				return 0, err
			}
			updates := map[string]any{"updated_at": now}
			if x.Planned() {
				updates["scheduled_at"], updates["generation"] = x.At, d.Generation+1
			} else {
				updates["status"], updates["reason"] = string(x.Status), string(x.Reason)
				event, err := eventJSON(now, models.DeliveryPlanned, x.Status, x.Reason, "resume")
				if err != nil {
					return 0, err
				}
				updates["events"] = gorm.Expr(s.appendEvent("?"), event)
			}
			if err := tx.Model(&deliveryRow{}).Where("id = ? AND status = ?", d.ID, string(models.DeliveryPlanned)).Updates(updates).Error; err != nil {
				return 0, err
			}
		}
	}
}

// replan hands the planner the facts of d's customer.
func (page *replanPage) replan(ctx context.Context, decide models.CampaignPlan, d *deliveryRow) (models.PlanDecision, error) {
	f := models.PlanFacts{Consent: page.consent[d.CustomerID], ConsentUnverified: page.unverified[d.CustomerID], Counted: page.others[d.CustomerID]}
	if cr := page.customers[d.CustomerID]; cr != nil {
		c, err := cr.model()
		if err != nil {
			// A profile that no longer decodes has no usable windows.
			return models.PlanDecision{Reason: models.ReasonNoWindow, Status: models.DeliveryExpired}, nil
		}
		f.Customer = c
	}
	return decide.Replan(ctx, &f, d.model())
}

// loadReplanPage loads the customers of rows, their consent for topic and
// their other deliveries that can weigh on a cadence of a send between
// now and the campaign's end.
func (s *Store) loadReplanPage(tx *gorm.DB, row *campaignRow, topic string, rows []deliveryRow, now time.Time) (*replanPage, error) {
	ids := make([]int64, len(rows))
	own := make([]int64, len(rows))
	for i := range rows {
		ids[i], own[i] = rows[i].CustomerID, rows[i].ID
	}
	page := &replanPage{customers: map[int64]*customerRow{}, consent: map[int64]models.ConsentStatus{}, unverified: map[int64]bool{},
		others: map[int64][]time.Time{}}
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
	verified := s.consentVerifier()
	for i := range consents {
		c := &consents[i]
		page.consent[c.CustomerID] = models.ConsentStatus(c.Status)
		page.unverified[c.CustomerID] = !verified(c)
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
			now.Add(-models.MaxCadencePeriod), row.NotAfter.UTC().Add(models.MaxCadencePeriod)).
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
