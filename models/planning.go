package models

import (
	"context"
	"time"
)

// This file is the contract between the domain's per-customer decision
// (package campaigns implements Planner) and storage (package store pages
// through the audience, supplies facts and writes what was decided). It
// lives in models so that storage can call the domain without importing
// it: the dependency points inward, as the design draws it.

// PlanSettings are the server settings planning depends on (from the
// config: CANDOR_DEFAULT_*, CANDOR_MAX_MESSAGES_PER_CUSTOMER, channel
// settings and rates). They are given to the planner once, at start-up.
type PlanSettings struct {
	// Channels are the channels this server can send on.
	Channels        []Channel
	DefaultTimezone string
	DefaultWindows  []Window
	// GlobalCap is CANDOR_MAX_MESSAGES_PER_CUSTOMER; nil means none.
	GlobalCap *Cadence
	// SendsPerMinute limits each channel; a missing entry is unlimited.
	SendsPerMinute map[Channel]int
}

// PlanTarget is one campaign as planning sees it, loaded by storage.
type PlanTarget struct {
	CampaignID int64
	// Version is the content version to send: consent is needed for its
	// topic, a variant for the customer's channel and locale.
	Version *ContentVersion
	// Correction campaigns go to the recipients of the content they
	// correct, exempt from already_received and cadence_cap.
	Correction bool
	// OnRequest is a customer's own request from the preference center:
	// exempt from cadence_cap (they asked for it), never from consent,
	// channel, window or already_received.
	OnRequest bool
	// Spread places sends across their window instead of at its start.
	Spread bool
	// NotBefore and NotAfter are the campaign's window (UTC).
	NotBefore, NotAfter time.Time
	// Now is the planning instant.
	Now time.Time
}

// PlanFacts are the facts storage holds about one customer that the
// decision needs, all read in the caller's transaction.
type PlanFacts struct {
	Customer *Customer
	// Consent is the customer's consent for the content's topic; "" is
	// the same as none.
	Consent ConsentStatus
	// ConsentUnverified is set when the consent row does not carry a
	// valid ledger MAC: someone without the secret wrote it.
	ConsentUnverified bool
	// AlreadyReceived is set when the customer has a sent or non-final
	// delivery of any version of the content in another campaign.
	AlreadyReceived bool
	// Counted are the instants of the customer's other deliveries that
	// weigh on cadence (sent ones at their send time, the others at
	// their planned time), at least those within the longest cadence
	// period of the campaign window. The slice is only read.
	Counted []time.Time
}

// PlanDecision is the final decision for one customer: a send time, or
// the reason there is none.
type PlanDecision struct {
	// Reason is empty when a send is planned.
	Reason Reason
	// Status is the status a re-planned delivery ends in when Reason is
	// set (skipped or expired); empty for launch decisions.
	Status DeliveryStatus
	// Channel and Locale are the channel and the content variant's
	// locale the message goes out in.
	Channel Channel
	Locale  string
	// At is the send instant (UTC) when Reason is empty.
	At time.Time
}

// Planned reports whether a send was planned.
func (d PlanDecision) Planned() bool { return d.Reason == "" }

// PlanExplanation is the decision for one customer with every rule that
// led to it, for the explain endpoint.
type PlanExplanation struct {
	Decision PlanDecision
	// Rules lists the audience rule, then every eligibility rule in
	// PlanningReasons order, then any override.
	Rules             []ExplainedRule
	Timezone          string
	TimezoneDefaulted bool
	WindowsDefaulted  bool
}

// Planner takes the per-customer decision that planning, preview,
// explain, resume and the send-time check share. Its settings are fixed
// when it is built; Plan returns a CampaignPlan for one campaign.
type Planner interface {
	// Plan starts deciding for target. The plan is not safe for
	// concurrent use.
	Plan(target PlanTarget) CampaignPlan
}

// CampaignPlan decides, customer by customer, for one campaign. Storage
// reserves the channel capacity other campaigns hold before the first
// decision, then hands it the facts of each customer.
type CampaignPlan interface {
	// Reserve tells the plan that n sends on ch are already planned or
	// queued in the minute starting at minute (by other campaigns).
	Reserve(ch Channel, minute time.Time, n int)
	// RateLimited lists the channels whose send rate is limited: only
	// their load needs reserving.
	RateLimited() []Channel
	// Decide takes the launch decision for a customer of the audience,
	// including its place under the channel's send rate. It returns only
	// errors of the context.
	Decide(ctx context.Context, f *PlanFacts) (PlanDecision, error)
	// Explain evaluates every rule for one customer without reserving
	// capacity. audience is the audience rule storage evaluated (segment
	// membership, or receipt of corrected content) and in its outcome.
	Explain(ctx context.Context, f *PlanFacts, audience ExplainedRule, in bool) (*PlanExplanation, error)
	// Replan decides a planned delivery of a paused campaign whose time
	// passed: a new send time on the same channel, or the status and
	// reason it ends with. f.Customer is nil when the customer is gone.
	Replan(ctx context.Context, f *PlanFacts, d *Delivery) (PlanDecision, error)
	// CheckSend takes the send-time decision for a claimed delivery:
	// every guarantee is checked again against the customer's current
	// facts at the plan's Now (f.Counted holds the customer's sending,
	// sent and unknown deliveries by send time). It returns only errors
	// of the context.
	CheckSend(ctx context.Context, f *PlanFacts, d *Delivery) (SendDecision, error)
	// Moved is how many planned sends the channels' rates moved.
	Moved() int64
}

// SendAction is what a send-time check decided.
type SendAction string

// Send-time actions.
const (
	// SendNow: every guarantee holds; send on the delivery's channel.
	SendNow SendAction = "send"
	// SendReplan: not now; the delivery goes back to planned at At (on
	// Channel, which differs from the delivery's when the customer
	// changed channel).
	SendReplan SendAction = "replan"
	// SendSkip and SendExpire end the delivery with Reason.
	SendSkip   SendAction = "skip"
	SendExpire SendAction = "expire"
)

// SendDecision is the send-time decision for one delivery, with the
// snapshot of the customer's wishes a sent delivery records.
type SendDecision struct {
	Action SendAction
	Reason Reason
	// At, Channel and Locale of a re-planned delivery.
	At      time.Time
	Channel Channel
	Locale  string
	// Address is where the message goes (never logged); Timezone, Window
	// (index into the customer's windows), Local (the wall-clock send
	// time) and PreferenceVersion are the snapshot of a send;
	// PreferenceVersion is also the version a re-plan planned for.
	Address           string
	Timezone          string
	Window            int
	Local             string
	PreferenceVersion int
}

// MaxCadencePeriod is the longest cadence period (ParsePeriod): deliveries
// further than it from a send never weigh on its cadence.
const MaxCadencePeriod = 366 * 24 * time.Hour
