package campaigns_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// plannedDelivery is a delivery planned for plannerCustomer's preference
// version 3 on email.
func plannedDelivery() *models.Delivery {
	return &models.Delivery{ID: 1, CustomerID: 42, Channel: models.ChannelEmail, Locale: "en", Status: models.DeliveryQueued, PreferenceVersion: 3}
}

func TestCheckSend(t *testing.T) {
	email, sms := models.ChannelEmail, models.ChannelSMS
	skip := func(r models.Reason) models.SendDecision {
		return models.SendDecision{Action: models.SendSkip, Reason: r, Channel: email, Locale: "en"}
	}
	expire := func(r models.Reason) models.SendDecision {
		return models.SendDecision{Action: models.SendExpire, Reason: r, Channel: email, Locale: "en"}
	}
	replan := func(r models.Reason, ch models.Channel, at time.Time, pv int) models.SendDecision {
		return models.SendDecision{Action: models.SendReplan, Reason: r, At: at, Channel: ch, Locale: "en", PreferenceVersion: pv}
	}
	send := models.SendDecision{Action: models.SendNow, Channel: email, Locale: "en", Address: "a@example.com",
		Timezone: "Europe/London", Window: 0, Local: "2026-06-01T09:00:00+01:00", PreferenceVersion: 3}
	past := plannerNow.Add(-time.Minute)
	tuesday := nineLondon.Add(24 * time.Hour)
	tests := []struct {
		name     string
		settings *models.PlanSettings
		target   func(t *models.PlanTarget)
		facts    func(f *models.PlanFacts)
		want     models.SendDecision
	}{
		{name: "a delivery whose guarantees hold is sent now with the snapshot of the wishes", want: send},
		{name: "a customer who is gone is skipped as erased", facts: func(f *models.PlanFacts) { f.Customer = nil }, want: skip(models.ReasonErased)},
		{name: "an erased customer is skipped as erased", facts: func(f *models.PlanFacts) { f.Customer.ErasedAt = &past }, want: skip(models.ReasonErased)},
		{name: "a suppressed customer is skipped", facts: func(f *models.PlanFacts) { f.Customer.Suppressed = true }, want: skip(models.ReasonSuppressed)},
		{name: "an opt-out is a withdrawn consent", facts: func(f *models.PlanFacts) { f.Consent = models.ConsentOptedOut }, want: skip(models.ReasonConsentWithdrawn)},
		{name: "no consent record at all is a withdrawn consent", facts: func(f *models.PlanFacts) { f.Consent = "" }, want: skip(models.ReasonConsentWithdrawn)},
		{name: "an opt-in the consent ledger did not write is skipped as unverified", facts: func(f *models.PlanFacts) { f.ConsentUnverified = true },
			want: skip(models.ReasonConsentUnverified)},
		{name: "content that expired is skipped", target: func(t *models.PlanTarget) { t.Version.ExpiresAt = &past }, want: skip(models.ReasonContentExpired)},
		{name: "content expiring exactly now is expired", target: func(t *models.PlanTarget) { t.Version.ExpiresAt = &plannerNow }, want: skip(models.ReasonContentExpired)},
		{name: "a changed channel re-plans on the new channel",
			facts: func(f *models.PlanFacts) { f.Customer.PreferredChannel = sms; f.Customer.PreferenceVersion = 4 },
			want:  replan(models.ReasonChannelChanged, sms, nineLondon, 4)},
		{name: "a change to a channel the server lacks skips it as channel_changed",
			facts: func(f *models.PlanFacts) { f.Customer.PreferredChannel = models.ChannelWebhook },
			want:  skip(models.ReasonChannelChanged)},
		{name: "a channel the server no longer has is unavailable", settings: &models.PlanSettings{Channels: []models.Channel{sms}},
			want: skip(models.ReasonChannelUnavailable)},
		{name: "a missing address skips it", facts: func(f *models.PlanFacts) { f.Customer.Email = "" }, want: skip(models.ReasonNoAddress)},
		{name: "a customer without a zone expires it", facts: func(f *models.PlanFacts) { f.Customer.Timezone = "" }, want: expire(models.ReasonNoTimezone)},
		{name: "a customer without windows expires it", facts: func(f *models.PlanFacts) { f.Customer.PreferredWindows = nil }, want: expire(models.ReasonNoWindow)},
		{name: "the server's default zone and windows apply at send time too",
			settings: &models.PlanSettings{Channels: plannerSettings.Channels, DefaultTimezone: "Europe/London",
				DefaultWindows: []models.Window{{Days: []string{"mon"}, Start: "08:00", End: "10:00"}}},
			facts: func(f *models.PlanFacts) { f.Customer.Timezone, f.Customer.PreferredWindows = "", nil },
			want:  send},
		{name: "changed windows re-plan it as window_changed at the next window",
			facts: func(f *models.PlanFacts) {
				f.Customer.PreferredWindows = []models.Window{{Days: []string{"tue"}, Start: "09:00", End: "17:00"}}
				f.Customer.PreferenceVersion = 4
			},
			want: replan(models.ReasonWindowChanged, email, tuesday, 4)},
		{name: "a late worker with unchanged wishes re-plans it as window_missed",
			target: func(t *models.PlanTarget) { t.Now = plannerNow.Add(9 * time.Hour) }, // 18:00 London
			want:   replan(models.ReasonWindowMissed, email, tuesday, 3)},
		{name: "a window's end is exclusive",
			target: func(t *models.PlanTarget) { t.Now = plannerNow.Add(8 * time.Hour) }, // 17:00 London
			want:   replan(models.ReasonWindowMissed, email, tuesday, 3)},
		{name: "a late worker with no window left before not_after expires it as window_missed",
			target: func(t *models.PlanTarget) { t.Now = plannerNow.Add(56 * time.Hour) }, // Wednesday 17:00; ends Thursday 09:00
			want:   expire(models.ReasonWindowMissed)},
		{name: "a late worker after not_after expires it", target: func(t *models.PlanTarget) { t.Now = t.NotAfter.Add(time.Hour) },
			want: expire(models.ReasonWindowMissed)},
		{name: "a cadence reached in the period skips it",
			facts: func(f *models.PlanFacts) {
				f.Customer.Cadence = &models.Cadence{Max: 1, Per: "1d"}
				f.Counted = []time.Time{plannerNow.Add(-23 * time.Hour)}
			},
			want: skip(models.ReasonCadenceCap)},
		{name: "a message sent exactly now counts",
			facts: func(f *models.PlanFacts) {
				f.Customer.Cadence = &models.Cadence{Max: 1, Per: "1d"}
				f.Counted = []time.Time{plannerNow}
			},
			want: skip(models.ReasonCadenceCap)},
		{name: "a message exactly one period ago and planned ones later do not count",
			facts: func(f *models.PlanFacts) {
				f.Customer.Cadence = &models.Cadence{Max: 1, Per: "1d"}
				f.Counted = []time.Time{plannerNow.Add(-24 * time.Hour), plannerNow.Add(time.Hour)}
			},
			want: send},
		{name: "the global cap applies when the customer has no cadence",
			settings: &models.PlanSettings{Channels: plannerSettings.Channels, GlobalCap: &models.Cadence{Max: 2, Per: "7d"}},
			facts: func(f *models.PlanFacts) {
				f.Counted = []time.Time{plannerNow.Add(-48 * time.Hour), plannerNow.Add(-time.Hour)}
			},
			want: skip(models.ReasonCadenceCap)},
		{name: "a correction is exempt from cadence",
			target: func(t *models.PlanTarget) { t.Correction = true },
			facts: func(f *models.PlanFacts) {
				f.Customer.Cadence = &models.Cadence{Max: 1, Per: "1d"}
				f.Counted = []time.Time{plannerNow}
			},
			want: send},
		{name: "content the customer asked for is exempt from cadence",
			target: func(t *models.PlanTarget) { t.OnRequest = true },
			facts: func(f *models.PlanFacts) {
				f.Customer.Cadence = &models.Cadence{Max: 1, Per: "1d"}
				f.Counted = []time.Time{plannerNow}
			},
			want: send},
		{name: "content the customer asked for still waits for their window",
			target: func(t *models.PlanTarget) { t.OnRequest = true; t.Now = plannerNow.Add(9 * time.Hour) },
			want:   replan(models.ReasonWindowMissed, email, tuesday, 3)},
		{name: "content the customer asked for is never sent on another channel",
			target: func(t *models.PlanTarget) { t.OnRequest = true },
			facts:  func(f *models.PlanFacts) { f.Customer.PreferredChannel = models.ChannelWebhook },
			want:   skip(models.ReasonChannelChanged)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := plannerSettings
			if tt.settings != nil {
				settings = *tt.settings
			}
			target := plannerTarget(false)
			if tt.target != nil {
				tt.target(&target)
			}
			c := plannerCustomer()
			c.PreferenceVersion = 3
			f := &models.PlanFacts{Customer: c, Consent: models.ConsentOptedIn}
			if tt.facts != nil {
				tt.facts(f)
			}
			got, err := campaigns.NewPlanner(settings).Plan(target).CheckSend(context.Background(), f, plannedDelivery())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckSendStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &models.PlanFacts{Customer: plannerCustomer(), Consent: models.ConsentOptedIn}
	if _, err := campaigns.NewPlanner(plannerSettings).Plan(plannerTarget(false)).CheckSend(ctx, f, plannedDelivery()); err == nil {
		t.Error("no error from a cancelled context")
	}
}
