package campaigns

import (
	"slices"
	"time"

	"github.com/candor/candor/campaigns/eligibility"
	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

var _ models.ConfirmationChecker = (*Planner)(nil)

// CheckConfirmation implements models.ConfirmationChecker: a double opt-in
// confirmation goes on the customer's preferred channel only (configured,
// address known; no other channel as a fallback) and inside one of their
// windows, like any message. It is exempt from cadence (the customer, or
// their CRM on their behalf, just asked) and needs no consent (it asks
// for it). Outside a window it waits for the next one before the
// confirmation lapses; when none is left, or the customer has no zone or
// windows, it is skipped with the reason.
func (p *Planner) CheckConfirmation(c *models.Customer, conf *models.Confirmation, now time.Time) models.SendDecision {
	end := func(r models.Reason) models.SendDecision {
		return models.SendDecision{Action: models.SendSkip, Reason: r}
	}
	switch {
	case c == nil || c.ErasedAt != nil:
		return end(models.ReasonErased)
	case c.Suppressed:
		return end(models.ReasonSuppressed)
	case !slices.Contains(p.settings.Channels, c.PreferredChannel):
		return end(models.ReasonChannelUnavailable)
	case c.Address(c.PreferredChannel) == "":
		return end(models.ReasonNoAddress)
	}
	tm := eligibility.ResolveTiming(c, p.settings.DefaultTimezone, p.settings.DefaultWindows)
	switch {
	case tm.Location == nil:
		return end(models.ReasonNoTimezone)
	case len(tm.Windows) == 0:
		return end(models.ReasonNoWindow)
	}
	slot, ok := schedule.NextSendTime(tm.Input(now, now, conf.ExpiresAt))
	switch {
	case !ok:
		return end(models.ReasonNoSlot)
	case !slot.At.Equal(now):
		return models.SendDecision{Action: models.SendReplan, Reason: models.ReasonWindowMissed, At: slot.At.UTC(),
			Channel: c.PreferredChannel, Locale: c.Locale}
	}
	return models.SendDecision{Action: models.SendNow, Channel: c.PreferredChannel, Locale: c.Locale,
		Address: c.Address(c.PreferredChannel), Timezone: tm.Zone, Window: slot.Window, Local: slot.Local.Format(time.RFC3339),
		PreferenceVersion: c.PreferenceVersion}
}
