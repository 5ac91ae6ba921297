package eligibility

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/campaigns/schedule"

	"github.com/candor/candor/models"
)

// Evaluator decides for one campaign, customer by customer, whether a
// delivery may be planned and when. It holds what is the same for every
// customer of a launch (campaign, server settings, the planning instant);
// CustomerFacts holds the rest. Evaluation is pure apart from the
// CadenceCounter, the one question that needs the deliveries table. One
// plan's customers are evaluated one after the other: an Evaluator
// remembers window occurrences between them and is not safe for
// concurrent use.
type Evaluator struct {
	CampaignID int64
	// Topic is the content's topic: the consent the customer must give.
	Topic string
	// Correction campaigns are exempt from already_received and
	// cadence_cap for their one message.
	Correction bool
	// OnRequest: the customer asked for this content from the preference
	// center, so their cadence does not hold it back (consent, channel,
	// window and already_received still do).
	OnRequest bool
	// Spread and Margin place the send inside its window (see schedule.Placement).
	Spread bool
	Margin time.Duration
	// NotBefore and NotAfter are the campaign's window (UTC).
	NotBefore, NotAfter time.Time
	// DefaultLocale and VariantLocales describe the pinned content version
	// (see VariantLocales).
	DefaultLocale  string
	VariantLocales map[models.Channel][]string
	// Channels are the channels configured on this server.
	Channels []models.Channel
	// DefaultTimezone and DefaultWindows come from CANDOR_DEFAULT_TIMEZONE
	// and CANDOR_DEFAULT_WINDOWS; both are unset by default.
	DefaultTimezone string
	DefaultWindows  []models.Window
	// GlobalCap is CANDOR_MAX_MESSAGES_PER_CUSTOMER (nil: none).
	GlobalCap *models.Cadence
	// Now is the planning instant.
	Now time.Time
	// Cadence counts existing deliveries; nil counts none.
	Cadence CadenceCounter
	// place finds each zone and windows' occurrence once for all the
	// customers who share them (schedule.Memo).
	place schedule.Memo
}

// CustomerFacts are the facts about one customer that eligibility needs.
type CustomerFacts struct {
	Customer *models.Customer
	// Consent is the customer's consent for the campaign's topic; "" is
	// the same as none.
	Consent models.ConsentStatus
	// ConsentUnverified is set when the consent row does not verify
	// against the keyed ledger.
	ConsentUnverified bool
	// AlreadyReceived is set when the customer has a sent or non-final
	// delivery of any version of the content, through any campaign.
	AlreadyReceived bool
}

// RuleOutcome is the result of one eligibility rule (models.RuleOutcome).
type RuleOutcome = models.RuleOutcome

// Rule outcomes, as models declares them.
const (
	RulePass    = models.RulePass
	RuleFail    = models.RuleFail
	RuleSkipped = models.RuleSkipped
)

// RuleResult is one rule of an explanation, named after the reason it
// records when it fails, with the values that decided it (never PII).
type RuleResult struct {
	Rule    models.Reason  `json:"rule"`
	Outcome RuleOutcome    `json:"outcome"`
	Detail  string         `json:"detail"`
	Values  map[string]any `json:"values,omitempty"`
}

// Explanation is the eligibility decision for one customer.
type Explanation struct {
	Eligible bool `json:"eligible"`
	// Reason is the first failing rule in models.PlanningReasons order.
	Reason models.Reason `json:"reason,omitempty"`
	// Rules lists every rule in order (only from Evaluate, not Decide).
	Rules   []RuleResult   `json:"rules,omitempty"`
	Channel models.Channel `json:"channel"`
	// Locale is the locale of the variant that would be sent.
	Locale            string `json:"locale,omitempty"`
	Timezone          string `json:"timezone,omitempty"`
	TimezoneDefaulted bool   `json:"timezone_defaulted"`
	WindowsDefaulted  bool   `json:"windows_defaulted"`
	// Slot is the planned send, set only when Eligible. Capacity may still
	// move it (CapacityPlanner).
	Slot *schedule.Slot `json:"slot,omitempty"`
	// Timing is the zone and windows the slot was computed in, set once
	// both were found (capacity placement needs them again).
	Timing Timing `json:"-"`
	// slot backs Slot, so an explanation reused by DecideInto holds its
	// slot without an allocation per customer.
	slot schedule.Slot
}

// Evaluate runs every rule for one customer and explains each (for the
// explain endpoint). It returns the CadenceCounter's errors unchanged, and
// EINVALID when the facts hold no customer.
func (e *Evaluator) Evaluate(ctx context.Context, f CustomerFacts) (*Explanation, error) {
	x := new(Explanation)
	if err := e.run(ctx, f, true, x); err != nil {
		return nil, err
	}
	return x, nil
}

// Decide is Evaluate for bulk planning: it stops at the first failing rule
// and records no per-rule results, so a million customers stay cheap. The
// decision (Eligible, Reason, Slot, Locale) equals Evaluate's.
func (e *Evaluator) Decide(ctx context.Context, f CustomerFacts) (*Explanation, error) {
	x := new(Explanation)
	if err := e.run(ctx, f, false, x); err != nil {
		return nil, err
	}
	return x, nil
}

// DecideInto is Decide writing its decision into x, which it overwrites
// whole: a planner that decides a million customers one after the other
// reuses one explanation instead of allocating one (and a slot) for each
// (issue 17: a third of a preview's allocated bytes). x.Slot points into
// x, so it is valid until x is reused.
func (e *Evaluator) DecideInto(ctx context.Context, f CustomerFacts, x *Explanation) error {
	return e.run(ctx, f, false, x)
}

// ruleRun collects rule results; in brief mode it only keeps the reason.
type ruleRun struct {
	full bool
	x    *Explanation
}

// explainer builds a rule's detail and values. It runs only when
// explaining, so bulk planning formats nothing (and, since rule does not
// keep it, the closure itself stays on the stack).
type explainer func() (detail string, values map[string]any)

// rule records one outcome and reports whether evaluation should stop
// (brief mode after a failure).
func (r *ruleRun) rule(rule models.Reason, outcome RuleOutcome, explain explainer) bool {
	if r.full {
		detail, values := explain()
		r.x.Rules = append(r.x.Rules, RuleResult{Rule: rule, Outcome: outcome, Detail: detail, Values: values})
	}
	if outcome != RuleFail {
		return false
	}
	if r.x.Reason == "" {
		r.x.Reason = rule
	}
	return !r.full
}

func outcome(pass bool) RuleOutcome {
	if pass {
		return RulePass
	}
	return RuleFail
}

// says is the explainer of a rule with a fixed text and no values.
func says(text string) explainer {
	return func() (string, map[string]any) { return text, nil }
}

func (e *Evaluator) run(ctx context.Context, f CustomerFacts, full bool, x *Explanation) error {
	c := f.Customer
	if c == nil {
		return models.Errorf(models.EINVALID, "eligibility needs a customer")
	}
	ch := c.PreferredChannel
	*x = Explanation{Channel: ch}
	r := &ruleRun{full: full, x: x}
	if full {
		x.Rules = make([]RuleResult, 0, len(models.PlanningReasons))
	}

	if r.rule(models.ReasonErased, outcome(c.ErasedAt == nil),
		says(pick(c.ErasedAt == nil, "the customer is not erased", "the customer was erased"))) {
		return nil
	}
	if r.rule(models.ReasonSuppressed, outcome(!c.Suppressed),
		says(pick(!c.Suppressed, "the customer is not suppressed",
			"the customer's address belongs to an erased customer; earlier consent is not resurrected"))) {
		return nil
	}
	if r.rule(models.ReasonConsentUnverified, outcome(!f.ConsentUnverified),
		says(pick(!f.ConsentUnverified, "the consent record verifies against the consent ledger",
			"the consent record does not verify against the consent ledger (written without the secret key); it is not trusted"))) {
		return nil
	}
	consent := f.Consent
	if consent == "" {
		consent = models.ConsentNone
	}
	if r.rule(models.ReasonNoConsent, outcome(consent == models.ConsentOptedIn), func() (string, map[string]any) {
		return fmt.Sprintf("consent for topic %q is %s (opted_in is required)", e.Topic, consent),
			kv("topic", e.Topic, "status", consent)
	}) {
		return nil
	}
	if r.rule(models.ReasonChannelUnavailable, outcome(slices.Contains(e.Channels, ch)), func() (string, map[string]any) {
		return fmt.Sprintf("preferred channel %q; configured channels: %s", ch, channelList(e.Channels)),
			kv("channel", ch, "configured", e.Channels)
	}) {
		return nil
	}
	hasAddress := c.Address(ch) != ""
	if r.rule(models.ReasonNoAddress, outcome(hasAddress), func() (string, map[string]any) {
		return fmt.Sprintf("%s address present: %t", addressField(ch), hasAddress),
			kv("channel", ch, "field", addressField(ch), "present", hasAddress)
	}) {
		return nil
	}
	locale, hasVariant := variantForLocale(e.VariantLocales[ch], c.Locale, e.DefaultLocale)
	x.Locale = locale
	if r.rule(models.ReasonNoVariant, outcome(hasVariant), func() (string, map[string]any) {
		chain := content.LocaleChain(c.Locale, e.DefaultLocale)
		return fmt.Sprintf("%s variants in %s; tried %s", ch, list(e.VariantLocales[ch]), strings.Join(chain, " -> ")),
			kv("channel", ch, "customer_locale", c.Locale, "tried", chain, "variant_locale", locale)
	}) {
		return nil
	}

	tm := ResolveTiming(c, e.DefaultTimezone, e.DefaultWindows)
	x.TimezoneDefaulted, x.WindowsDefaulted = tm.ZoneDefaulted, tm.WindowsDefaulted
	if tm.Location != nil {
		x.Timezone = tm.Zone
	}
	if r.rule(models.ReasonNoTimezone, outcome(tm.Location != nil), func() (string, map[string]any) {
		return fmt.Sprintf("time zone %q (default applied: %t)", tm.Zone, x.TimezoneDefaulted),
			kv("timezone", tm.Zone, "defaulted", x.TimezoneDefaulted)
	}) {
		return nil
	}
	if r.rule(models.ReasonNoWindow, outcome(len(tm.Windows) > 0), func() (string, map[string]any) {
		return fmt.Sprintf("%d preferred windows (default applied: %t)", len(tm.Windows), x.WindowsDefaulted),
			kv("windows", tm.Windows, "defaulted", x.WindowsDefaulted)
	}) {
		return nil
	}
	x.Timing = tm
	return e.timing(ctx, f, r, tm)
}

// timing runs the rules that depend on the send time: cadence, dedup and
// the slot itself. The slot is computed first because cadence is counted
// around it, but no_slot is recorded last (the order).
func (e *Evaluator) timing(ctx context.Context, f CustomerFacts, r *ruleRun, tm Timing) error {
	x := r.x
	canPlan := tm.CanPlan()
	var slot schedule.Slot
	var slotOK bool
	if canPlan {
		in := tm.Input(e.Now, e.NotBefore, e.NotAfter)
		slot, slotOK = e.place.PlaceSend(in, schedule.Placement{CampaignID: e.CampaignID, CustomerID: f.Customer.ID, Spread: e.Spread, Margin: e.Margin})
	}

	switch {
	case e.Correction:
		r.rule(models.ReasonCadenceCap, RulePass, says("exempt: a correction of content the customer received"))
	case e.OnRequest:
		r.rule(models.ReasonCadenceCap, RulePass, says("exempt: the customer asked for this content"))
	case !canPlan:
		r.rule(models.ReasonCadenceCap, RuleSkipped, says("not evaluated: no send time without a time zone and windows"))
	default:
		// Without a slot there is no planned time; the search start is
		// the honest stand-in so explain still shows the counts.
		at := slot.At
		if !slotOK {
			at = later(e.Now, e.NotBefore)
		}
		// Only an explanation shows the checks; a decision needs the answer.
		var checks []CadenceCheck
		var ok bool
		var err error
		if r.full {
			checks, ok, err = CheckCadence(ctx, e.Cadence, f.Customer.ID, at, f.Customer.Cadence, e.GlobalCap)
		} else {
			ok, err = CadenceAllows(ctx, e.Cadence, f.Customer.ID, at, f.Customer.Cadence, e.GlobalCap)
		}
		if err != nil {
			return err
		}
		if r.rule(models.ReasonCadenceCap, outcome(ok), func() (string, map[string]any) {
			return fmt.Sprintf("%s around %s", describeCadence(checks), at.UTC().Format(time.RFC3339)),
				kv("at", at.UTC(), "checks", checks)
		}) {
			return nil
		}
	}

	if e.Correction {
		r.rule(models.ReasonAlreadyReceived, RulePass, says("exempt: a correction goes to those who received the original"))
	} else if r.rule(models.ReasonAlreadyReceived, outcome(!f.AlreadyReceived),
		says(pick(!f.AlreadyReceived, "the customer has not received this content",
			"the customer already received or is due to receive a version of this content"))) {
		return nil
	}

	switch {
	case !canPlan:
		r.rule(models.ReasonNoSlot, RuleSkipped, says("not evaluated: no time zone or no windows"))
	case !slotOK:
		r.rule(models.ReasonNoSlot, RuleFail, func() (string, map[string]any) {
			return fmt.Sprintf("no window occurrence with room between %s and %s",
					e.NotBefore.UTC().Format(time.RFC3339), e.NotAfter.UTC().Format(time.RFC3339)),
				kv("not_before", e.NotBefore.UTC(), "not_after", e.NotAfter.UTC())
		})
	default:
		r.rule(models.ReasonNoSlot, RulePass, func() (string, map[string]any) {
			return fmt.Sprintf("send at %s (%s local, window %d)", slot.At.Format(time.RFC3339), slot.Local.Format("Mon 2006-01-02 15:04 MST"), slot.Window),
				kv("at", slot.At, "local", slot.Local, "window", slot.Window)
		})
	}
	if x.Reason == "" {
		x.slot = slot
		x.Eligible, x.Slot = true, &x.slot
	}
	return nil
}
