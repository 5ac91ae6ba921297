// Package campaigns holds the per-customer decision of a campaign once:
// the Planner that launch, preview, explain, resume and the send-time
// check call, and the Service that orchestrates them over storage. Its
// sub-packages hold one concern each: segment (the rule language),
// content (honesty checks and rendering), schedule (send times, spread,
// channel capacity) and eligibility (the rules, one by one).
package campaigns

import (
	"context"
	"time"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/campaigns/eligibility"
	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

// Planner implements models.Planner with the server's settings, given
// once at start-up.
type Planner struct {
	settings models.PlanSettings
	limited  []models.Channel
}

// NewPlanner returns the planner for settings.
func NewPlanner(settings models.PlanSettings) *Planner {
	p := &Planner{settings: settings}
	for _, ch := range models.Channels {
		if settings.SendsPerMinute[ch] > 0 {
			p.limited = append(p.limited, ch)
		}
	}
	return p
}

// Settings returns the settings the planner was built with.
func (p *Planner) Settings() models.PlanSettings { return p.settings }

// Plan implements models.Planner.
func (p *Planner) Plan(t models.PlanTarget) models.CampaignPlan {
	ps := p.settings
	pl := &Plan{target: t, settings: ps, limited: p.limited, capacity: schedule.NewCapacityPlanner(ps.SendsPerMinute)}
	pl.eval = eligibility.Evaluator{
		CampaignID: t.CampaignID, Topic: t.Version.Topic, Correction: t.Correction, OnRequest: t.OnRequest,
		Spread: t.Spread, NotBefore: t.NotBefore.UTC(), NotAfter: t.NotAfter.UTC(),
		DefaultLocale: t.Version.DefaultLocale, VariantLocales: content.VariantLocales(&t.Version.ContentInput),
		Channels: ps.Channels, DefaultTimezone: ps.DefaultTimezone, DefaultWindows: ps.DefaultWindows,
		GlobalCap: ps.GlobalCap, Now: t.Now, Cadence: &pl.counted,
	}
	return pl
}

// Plan is one campaign's models.CampaignPlan: the eligibility evaluator
// and the channels' capacity, shared by every customer of the campaign.
type Plan struct {
	target   models.PlanTarget
	settings models.PlanSettings
	limited  []models.Channel
	eval     eligibility.Evaluator
	capacity *schedule.CapacityPlanner
	// counted is the evaluator's cadence counter, pointed at each
	// customer's facts in turn (one value, so no allocation per customer).
	counted counted
	// movedThenCapped counts sends capacity moved that cadence then
	// refused: moved_by_capacity counts planned sends only.
	movedThenCapped int
	// decided is the explanation Decide reuses customer after customer
	// (eligibility.Evaluator.DecideInto).
	decided eligibility.Explanation
}

// RateLimited implements models.CampaignPlan.
func (p *Plan) RateLimited() []models.Channel { return p.limited }

// Reserve implements models.CampaignPlan.
func (p *Plan) Reserve(ch models.Channel, minute time.Time, n int) {
	p.capacity.ReserveN(ch, minute, n)
}

// Moved implements models.CampaignPlan.
func (p *Plan) Moved() int64 { return int64(p.capacity.Moved() - p.movedThenCapped) }

// facts points the cadence counter at f and returns eligibility's view.
func (p *Plan) facts(f *models.PlanFacts) eligibility.CustomerFacts {
	p.counted.times = f.Counted
	return eligibility.CustomerFacts{Customer: f.Customer, Consent: f.Consent,
		ConsentUnverified: f.ConsentUnverified, AlreadyReceived: f.AlreadyReceived}
}

// Decide implements models.CampaignPlan: the eligibility rules, the
// correction's own dedup, then the channel's send rate, and cadence again
// where the rate moved the send.
func (p *Plan) Decide(ctx context.Context, f *models.PlanFacts) (models.PlanDecision, error) {
	x := &p.decided
	if err := p.eval.DecideInto(ctx, p.facts(f), x); err != nil {
		return models.PlanDecision{}, err
	}
	d := models.PlanDecision{Reason: x.Reason, Channel: x.Channel, Locale: x.Locale}
	if !x.Eligible {
		return d, nil
	}
	if p.correctionRepeat(f) {
		d.Reason = models.ReasonAlreadyReceived
		return d, nil
	}
	in := x.Timing.Input(p.eval.Now, p.eval.NotBefore, p.eval.NotAfter)
	slot, ok := p.capacity.Place(x.Channel, in, *x.Slot, p.eval.Margin)
	if !ok {
		d.Reason = models.ReasonNoSlot
		return d, nil
	}
	if !p.cadenceExempt() && !slot.At.Equal(x.Slot.At) {
		// The rolling period around the new time may hold a message the
		// old one did not. The minute capacity reserved stays taken,
		// which only leaves it emptier than allowed.
		ok, err := eligibility.CadenceAllows(ctx, &p.counted, f.Customer.ID, slot.At, f.Customer.Cadence, p.settings.GlobalCap)
		if err != nil {
			return models.PlanDecision{}, err
		}
		if !ok {
			p.movedThenCapped++
			d.Reason = models.ReasonCadenceCap
			return d, nil
		}
	}
	d.At = slot.At.UTC()
	return d, nil
}

// correctionRepeat: a correction is exempt from already_received for the
// content it corrects, never a licence to send the same correction twice.
func (p *Plan) correctionRepeat(f *models.PlanFacts) bool {
	return p.target.Correction && f.AlreadyReceived
}

// Explain implements models.CampaignPlan: the audience rule first, then
// every eligibility rule, then the correction's own dedup.
func (p *Plan) Explain(ctx context.Context, f *models.PlanFacts, audience models.ExplainedRule, in bool) (*models.PlanExplanation, error) {
	x, err := p.eval.Evaluate(ctx, p.facts(f))
	if err != nil {
		return nil, err
	}
	out := &models.PlanExplanation{
		Decision: models.PlanDecision{Reason: x.Reason, Channel: x.Channel, Locale: x.Locale},
		Rules:    make([]models.ExplainedRule, 0, len(x.Rules)+2),
		Timezone: x.Timezone, TimezoneDefaulted: x.TimezoneDefaulted, WindowsDefaulted: x.WindowsDefaulted,
	}
	out.Rules = append(out.Rules, audience)
	for _, r := range x.Rules {
		out.Rules = append(out.Rules, models.ExplainedRule{Rule: r.Rule, Outcome: string(r.Outcome), Detail: r.Detail, Values: r.Values})
	}
	switch {
	case !in:
		out.Decision.Reason = models.ExplainNotInAudience
	case x.Eligible && p.correctionRepeat(f):
		out.Decision.Reason = models.ReasonAlreadyReceived
		out.Rules = append(out.Rules, models.ExplainedRule{Rule: models.ReasonAlreadyReceived, Outcome: string(eligibility.RuleFail),
			Detail: "the customer already received or is due to receive this correction; it is never sent twice"})
	case x.Eligible:
		out.Decision.At = x.Slot.At.UTC()
	}
	return out, nil
}

// Replan implements models.CampaignPlan. The order follows launch: what
// the customer still wants (stillWanted, shared with the send check),
// then time, capacity, and cadence at the time capacity chose. A delivery is never moved to another channel:
// its locale, address and capacity were decided for the old one.
func (p *Plan) Replan(ctx context.Context, f *models.PlanFacts, d *models.Delivery) (models.PlanDecision, error) {
	skip := func(r models.Reason) (models.PlanDecision, error) {
		return models.PlanDecision{Reason: r, Status: models.DeliverySkipped, Channel: d.Channel}, nil
	}
	expire := func(r models.Reason) (models.PlanDecision, error) {
		return models.PlanDecision{Reason: r, Status: models.DeliveryExpired, Channel: d.Channel}, nil
	}
	if reason := p.stillWanted(f, d); reason != "" {
		// A changed channel is skipped here, not re-planned: resume never
		// moves a delivery to another channel (see the doc above).
		return skip(reason)
	}
	c := f.Customer
	tm := eligibility.ResolveTiming(c, p.settings.DefaultTimezone, p.settings.DefaultWindows)
	switch {
	case tm.Location == nil:
		return expire(models.ReasonNoTimezone)
	case len(tm.Windows) == 0:
		return expire(models.ReasonNoWindow)
	}
	in := tm.Input(p.target.Now, p.eval.NotBefore, p.eval.NotAfter)
	slot, ok := schedule.PlaceSend(in, schedule.Placement{CampaignID: p.target.CampaignID, CustomerID: c.ID, Spread: p.target.Spread})
	if ok {
		slot, ok = p.capacity.Place(d.Channel, in, slot, 0)
	}
	if !ok {
		return expire(models.ReasonNoSlot)
	}
	if !p.cadenceExempt() {
		p.counted.times = f.Counted
		_, ok, err := eligibility.CheckCadence(ctx, &p.counted, c.ID, slot.At, c.Cadence, p.settings.GlobalCap)
		if err != nil {
			return models.PlanDecision{}, err
		}
		if !ok {
			return skip(models.ReasonCadenceCap)
		}
	}
	return models.PlanDecision{Channel: d.Channel, Locale: d.Locale, At: slot.At.UTC()}, nil
}

// cadenceExempt: a correction's one message and a customer's own request
// are not held back by cadence (see models.PlanTarget).
func (p *Plan) cadenceExempt() bool { return p.target.Correction || p.target.OnRequest }

// counted is an eligibility.CadenceCounter over one customer's counted
// instants.
type counted struct{ times []time.Time }

// CountDeliveries implements eligibility.CadenceCounter; the instants
// already belong to the customer asked about. It never fails.
func (c *counted) CountDeliveries(_ context.Context, _ int64, from, to time.Time) (int, error) {
	n := 0
	for _, t := range c.times {
		if t.After(from) && t.Before(to) {
			n++
		}
	}
	return n, nil
}
