package campaigns

import (
	"context"
	"slices"
	"time"

	"github.com/candor/candor/campaigns/eligibility"
	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

// CheckSend implements models.CampaignPlan: the guarantees of the design,
// checked again when a delivery is claimed, because customers change their
// minds between planning and sending. The order is planning's: who the
// customer is, consent, content, channel, time, then cadence counted over
// what was really sent.
func (p *Plan) CheckSend(ctx context.Context, f *models.PlanFacts, d *models.Delivery) (models.SendDecision, error) {
	if err := ctx.Err(); err != nil {
		return models.SendDecision{}, err
	}
	now := p.target.Now
	end := func(a models.SendAction, r models.Reason) (models.SendDecision, error) {
		return models.SendDecision{Action: a, Reason: r, Channel: d.Channel, Locale: d.Locale}, nil
	}
	c := f.Customer
	switch reason := p.stillWanted(f, d); {
	case reason == models.ReasonChannelChanged:
		return p.replanChannel(ctx, f, d)
	case reason != "":
		return end(models.SendSkip, reason)
	case c.Address(d.Channel) == "":
		return end(models.SendSkip, models.ReasonNoAddress)
	}
	tm := eligibility.ResolveTiming(c, p.settings.DefaultTimezone, p.settings.DefaultWindows)
	switch {
	case tm.Location == nil:
		return end(models.SendExpire, models.ReasonNoTimezone)
	case len(tm.Windows) == 0:
		return end(models.SendExpire, models.ReasonNoWindow)
	}
	in := tm.Input(now, now, p.eval.NotAfter)
	slot, ok := schedule.NextSendTime(in)
	if !ok || !slot.At.Equal(now) {
		// Not inside a window now: a late worker or changed wishes. Never
		// send outside a window; find the next one before not_after.
		reason := models.ReasonWindowMissed
		if c.PreferenceVersion != d.PreferenceVersion {
			reason = models.ReasonWindowChanged
		}
		next, ok := schedule.PlaceSend(in, schedule.Placement{CampaignID: p.target.CampaignID, CustomerID: c.ID, Spread: p.target.Spread})
		if !ok {
			return end(models.SendExpire, models.ReasonWindowMissed)
		}
		return models.SendDecision{Action: models.SendReplan, Reason: reason, At: next.At.UTC(), Channel: d.Channel, Locale: d.Locale,
			PreferenceVersion: c.PreferenceVersion}, nil
	}
	if !p.cadenceExempt() && !sendCadenceOK(f.Counted, now, c.Cadence, p.settings.GlobalCap) {
		return end(models.SendSkip, models.ReasonCadenceCap)
	}
	return models.SendDecision{Action: models.SendNow, Channel: d.Channel, Locale: d.Locale, Address: c.Address(d.Channel),
		Timezone: tm.Zone, Window: slot.Window, Local: slot.Local.Format(time.RFC3339), PreferenceVersion: c.PreferenceVersion}, nil
}

// stillWanted is what resume and the send check both ask first: does the
// customer still want this content on this channel? It returns the first
// reason that says no, in launch's order (who the customer is, consent,
// content, channel), or "". A changed channel is reported as
// channel_changed; the callers differ in what follows (resume skips, the
// send check re-plans on the new channel).
func (p *Plan) stillWanted(f *models.PlanFacts, d *models.Delivery) models.Reason {
	c := f.Customer
	switch {
	case c == nil || c.ErasedAt != nil:
		return models.ReasonErased
	case c.Suppressed:
		return models.ReasonSuppressed
	case f.Consent != models.ConsentOptedIn:
		return models.ReasonConsentWithdrawn
	case f.ConsentUnverified:
		// An opted_in row the ledger did not write (a database writer
		// without the secret): launch excludes it, and so does the send.
		return models.ReasonConsentUnverified
	case p.target.Version.ExpiresAt != nil && !p.target.Version.ExpiresAt.After(p.target.Now):
		return models.ReasonContentExpired
	case c.PreferredChannel != d.Channel:
		return models.ReasonChannelChanged
	case !slices.Contains(p.settings.Channels, d.Channel):
		return models.ReasonChannelUnavailable
	}
	return ""
}

// replanChannel re-plans a delivery whose customer changed channel since
// planning: the whole launch decision is taken again for the new channel
// (configured, address, variant, window). It is never sent on the old one.
func (p *Plan) replanChannel(ctx context.Context, f *models.PlanFacts, d *models.Delivery) (models.SendDecision, error) {
	x, err := p.eval.Decide(ctx, p.facts(f)) // the customer's sends so far weigh on the new slot's cadence
	if err != nil {
		return models.SendDecision{}, err
	}
	if !x.Eligible {
		return models.SendDecision{Action: models.SendSkip, Reason: models.ReasonChannelChanged, Channel: d.Channel, Locale: d.Locale}, nil
	}
	return models.SendDecision{Action: models.SendReplan, Reason: models.ReasonChannelChanged, At: x.Slot.At.UTC(),
		Channel: x.Channel, Locale: x.Locale, PreferenceVersion: f.Customer.PreferenceVersion}, nil
}

// sendCadenceOK counts, for the customer's cadence and the global cap, the
// messages sent (or being sent) in (now - period, now]: the send-time rule.
func sendCadenceOK(sent []time.Time, now time.Time, limits ...*models.Cadence) bool {
	for _, c := range limits {
		if c == nil {
			continue
		}
		from, n := now.Add(-c.Period()), 0
		for _, t := range sent {
			if t.After(from) && !t.After(now) {
				n++
			}
		}
		if n >= c.Max {
			return false
		}
	}
	return true
}
