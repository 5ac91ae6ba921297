package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// ExplainCampaign implements campaigns.Store: planner explains rule by
// rule why a customer does (not) receive the campaign, evaluated against the customer's current data (at
// evaluated_at). A launched campaign is evaluated with its pinned version
// and without counting its own delivery against the customer, and also
// reports what its launch decided (planned, excluded with the recorded
// reason, or not in the audience): today's rules may say otherwise, and
// guarantee 7 is about the decision that was made. send_at is then the
// delivery's scheduled_at, never a fresh computation, and absent when the
// launch planned nothing. ENOTFOUND for an unknown campaign or customer;
// ECONFLICT as LaunchCampaign for a draft whose content cannot be sent.
func (s *Store) ExplainCampaign(ctx context.Context, id int64, externalID string, planner models.Planner) (*models.CampaignExplanation, error) {
	db := s.db.WithContext(ctx)
	row, err := campaignByID(db, id)
	if err != nil {
		return nil, err
	}
	cr, err := liveCustomer(db, externalID)
	if err != nil {
		return nil, err
	}
	c, err := cr.model()
	if err != nil {
		return nil, err
	}
	p, err := s.newPlan(db, row, planner, s.now())
	if err != nil {
		return nil, err
	}
	// The same fact queries as a launch page of one customer: explain and
	// launch decide on the same facts.
	facts, err := s.customerFacts(ctx, db, p, c)
	if err != nil {
		return nil, err
	}
	audience, inAudience, err := s.audienceRule(ctx, db, row, c)
	if err != nil {
		return nil, err
	}
	x, err := p.decide.Explain(ctx, facts, audience, inAudience)
	if err != nil {
		return nil, err
	}
	out := &models.CampaignExplanation{
		CampaignID: row.ID, ExternalID: externalID, ContentVersion: p.version.Version,
		Eligible: x.Decision.Planned(), Reason: x.Decision.Reason, Channel: x.Decision.Channel, Locale: x.Decision.Locale,
		Timezone: x.Timezone, TimezoneDefaulted: x.TimezoneDefaulted, WindowsDefaulted: x.WindowsDefaulted,
		Rules: x.Rules, EvaluatedAt: p.target.Now.UTC(),
	}
	var d deliveryRow
	res := db.Where("campaign_id = ? AND customer_id = ?", row.ID, c.ID).Limit(1).Find(&d)
	if res.Error != nil {
		return nil, mapError(res.Error, "Deliveries")
	}
	if res.RowsAffected > 0 {
		out.Delivery = d.model()
		out.Delivery.ExternalID = externalID
	}
	if row.LaunchedAt == nil {
		// Not launched (a draft, or a draft that was cancelled): the
		// evaluation is all there is.
		if out.Eligible {
			out.SendAt, out.SendAtLocal, out.SendAtSource = sendAtLocal(x.Decision.At, x.Timezone, models.SendAtEvaluated)
		}
		return out, nil
	}
	out.Launch, err = launchDecision(db, row, c.ID, out.Delivery)
	if err != nil {
		return nil, err
	}
	if out.Delivery != nil {
		// The customer's zone may have changed since launch; the local
		// form shows the planned instant on their clock today.
		out.SendAt, out.SendAtLocal, out.SendAtSource = sendAtLocal(out.Delivery.ScheduledAt, x.Timezone, models.SendAtDelivery)
	}
	return out, nil
}

// launchDecision reads what the launch of row decided for the customer:
// the delivery it wrote, else the exclusion it recorded, else the customer
// was not in the audience.
func launchDecision(db *gorm.DB, row *campaignRow, customerID int64, d *models.Delivery) (*models.LaunchDecision, error) {
	out := &models.LaunchDecision{DecidedAt: row.LaunchedAt.UTC(), Outcome: models.LaunchNotInAudience}
	if d != nil {
		at := d.ScheduledAt
		out.Outcome, out.DeliveryID, out.Status, out.Reason, out.ScheduledAt = models.LaunchPlanned, d.ID, d.Status, d.Reason, &at
		return out, nil
	}
	reason, excluded, err := launchExclusion(db, row.ID, customerID)
	if err != nil {
		return nil, err
	}
	if excluded {
		out.Outcome, out.Reason = models.LaunchExcluded, reason
	}
	return out, nil
}

// sendAtLocal returns at in UTC and on the clock of zone (empty when the
// customer has no usable zone now), tagged with its source. zone comes
// from the planner's explanation, which names only zones it could load.
func sendAtLocal(at time.Time, zone string, source models.SendAtSource) (*time.Time, string, models.SendAtSource) {
	utc := at.UTC()
	loc, err := time.LoadLocation(zone)
	if zone == "" || err != nil {
		return &utc, "", source
	}
	return &utc, utc.In(loc).Format(time.RFC3339) + " " + zone, source
}
