package store

import (
	"context"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// ExplainCampaign explains rule by rule why a customer does (not) receive
// the campaign, with the planned send time in UTC and on the customer's
// clock, and the delivery a launch wrote, if any. A launched campaign is
// explained with its pinned version and without counting its own delivery
// against the customer. ENOTFOUND for an unknown campaign or customer;
// ECONFLICT as LaunchCampaign for a draft whose content cannot be sent.
func (s *Store) ExplainCampaign(ctx context.Context, id int64, externalID string, ps models.PlanSettings) (*models.CampaignExplanation, error) {
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
	p, err := s.newPlan(db, row, ps, s.now())
	if err != nil {
		return nil, err
	}
	var consent consentRow
	res := db.Where("customer_id = ? AND topic = ?", c.ID, p.version.Topic).Limit(1).Find(&consent)
	if res.Error != nil {
		return nil, mapError(res.Error, "Consents")
	}
	received, err := hasReceived(db, c.ID, p.version.ContentID, row.ID)
	if err != nil {
		return nil, mapError(err, "Deliveries")
	}
	p.eval.Cadence = deliveryCounter{db: db, campaignID: row.ID}
	x, err := p.eval.Evaluate(ctx, campaigns.CustomerFacts{Customer: c, Consent: models.ConsentStatus(consent.Status), AlreadyReceived: received})
	if err != nil {
		return nil, err
	}
	out := &models.CampaignExplanation{
		CampaignID: row.ID, ExternalID: externalID, ContentVersion: p.version.Version,
		Eligible: x.Eligible, Reason: x.Reason, Channel: x.Channel, Locale: x.Locale,
		Timezone: x.Timezone, TimezoneDefaulted: x.TimezoneDefaulted, WindowsDefaulted: x.WindowsDefaulted,
		Rules: make([]models.ExplainedRule, len(x.Rules)),
	}
	for i, r := range x.Rules {
		out.Rules[i] = models.ExplainedRule{Rule: r.Rule, Outcome: string(r.Outcome), Detail: r.Detail, Values: r.Values}
	}
	if p.eval.Correction && received && out.Eligible {
		out.Eligible, out.Reason = false, models.ReasonAlreadyReceived
		out.Rules = append(out.Rules, models.ExplainedRule{Rule: models.ReasonAlreadyReceived, Outcome: "fail",
			Detail: "the customer already received or is due to receive this correction; it is never sent twice"})
	}
	if x.Slot != nil && out.Eligible {
		at := x.Slot.At.UTC()
		out.SendAt, out.SendAtLocal = &at, x.Slot.Local.Format(time.RFC3339)+" "+x.Timezone
	}
	var d deliveryRow
	res = db.Where("campaign_id = ? AND customer_id = ?", row.ID, c.ID).Limit(1).Find(&d)
	if res.Error != nil {
		return nil, mapError(res.Error, "Deliveries")
	}
	if res.RowsAffected > 0 {
		out.Delivery = d.model()
		out.Delivery.ExternalID = externalID
	}
	return out, nil
}
