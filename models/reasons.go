package models

// Reason says why a customer is excluded from a campaign at planning time,
// or why a delivery was skipped, re-planned or expired at send time.
// Planning and sending share one list so reports can count both alike.
type Reason string

// Exclusion and skip reasons (the vocabulary of docs/scheduling.md).
const (
	// ReasonErased: the customer was erased.
	ReasonErased Reason = "erased"
	// ReasonSuppressed: the customer's address matches an erased customer's
	// fingerprint, so no consent from an earlier life of it counts.
	ReasonSuppressed Reason = "suppressed"
	// ReasonConsentUnverified: the customer's consent row for the topic
	// does not verify against the keyed ledger (it was written without
	// the secret), so it is not trusted, whatever it says.
	ReasonConsentUnverified Reason = "consent_unverified"
	// ReasonNoConsent: consent for the content's topic is not opted_in.
	ReasonNoConsent Reason = "no_consent"
	// ReasonConsentWithdrawn: consent was withdrawn between planning and
	// sending (send time only).
	ReasonConsentWithdrawn Reason = "consent_withdrawn"
	// ReasonChannelUnavailable: the preferred channel is not configured
	// on this server.
	ReasonChannelUnavailable Reason = "channel_unavailable"
	// ReasonNoAddress: no address for the preferred channel.
	ReasonNoAddress Reason = "no_address"
	// ReasonNoVariant: the content has no variant for the channel in the
	// customer's locale chain.
	ReasonNoVariant Reason = "no_variant"
	// ReasonNoTimezone: no time zone on the customer and no
	// CANDOR_DEFAULT_TIMEZONE.
	ReasonNoTimezone Reason = "no_timezone"
	// ReasonNoWindow: no preferred windows and no CANDOR_DEFAULT_WINDOWS.
	ReasonNoWindow Reason = "no_window"
	// ReasonNoSlot: no preferred window between the campaign's not_before
	// and not_after (or no capacity left in any of them).
	ReasonNoSlot Reason = "no_slot"
	// ReasonCadenceCap: the customer's cadence or the global cap is reached.
	ReasonCadenceCap Reason = "cadence_cap"
	// ReasonAlreadyReceived: the customer already received (or is about to
	// receive) a version of this content.
	ReasonAlreadyReceived Reason = "already_received"
	// ReasonContentExpired: the content expired before the send.
	ReasonContentExpired Reason = "content_expired"
	// ReasonChannelChanged: the customer changed channel; re-planned.
	ReasonChannelChanged Reason = "channel_changed"
	// ReasonWindowChanged: the customer changed windows or zone; re-planned.
	ReasonWindowChanged Reason = "window_changed"
	// ReasonWindowMissed: the send came too late for its window.
	ReasonWindowMissed Reason = "window_missed"
	// ReasonCampaignCancelled: the campaign was cancelled.
	ReasonCampaignCancelled Reason = "campaign_cancelled"
	// ReasonRejected: the channel refused the message for good (a bad
	// address, an HTTP 4xx, an SMTP 5xx).
	ReasonRejected Reason = "rejected"
	// ReasonRetriesExhausted: every retry of a transient failure failed.
	ReasonRetriesExhausted Reason = "retries_exhausted"
)

// ExplainNotInAudience is the reason explain gives for a customer outside
// the campaign's audience: not a member of its segment, or for a
// correction, never sent the corrected content. It is not an exclusion:
// planning never meets such customers, so no campaign counts it.
const ExplainNotInAudience Reason = "not_in_audience"

// PlanningReasons lists the reasons eligibility can record at planning
// time, in the order the rules are evaluated: the first failing rule is
// the recorded reason.
var PlanningReasons = []Reason{
	ReasonErased, ReasonSuppressed, ReasonConsentUnverified, ReasonNoConsent, ReasonChannelUnavailable,
	ReasonNoAddress, ReasonNoVariant, ReasonNoTimezone, ReasonNoWindow,
	ReasonCadenceCap, ReasonAlreadyReceived, ReasonNoSlot,
}

// Reasons lists every reason, planning ones first, in a stable order.
var Reasons = append(append([]Reason{}, PlanningReasons...),
	ReasonConsentWithdrawn, ReasonContentExpired, ReasonChannelChanged,
	ReasonWindowChanged, ReasonWindowMissed, ReasonCampaignCancelled,
	ReasonRejected, ReasonRetriesExhausted,
)

// Valid reports whether r is one of Reasons.
func (r Reason) Valid() bool {
	for _, known := range Reasons {
		if r == known {
			return true
		}
	}
	return false
}
