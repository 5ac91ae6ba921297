package campaigns_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

func TestCheckConfirmation(t *testing.T) {
	email := models.ChannelEmail
	skip := func(r models.Reason) models.SendDecision {
		return models.SendDecision{Action: models.SendSkip, Reason: r}
	}
	send := models.SendDecision{Action: models.SendNow, Channel: email, Locale: "en", Address: "a@example.com",
		Timezone: "Europe/London", Window: 0, Local: "2026-06-01T09:00:00+01:00"}
	evening := plannerNow.Add(9 * time.Hour) // Monday 18:00 London
	past := plannerNow.Add(-time.Hour)
	tests := []struct {
		name     string
		settings *models.PlanSettings
		now      time.Time
		expires  time.Duration
		customer func(c *models.Customer)
		want     models.SendDecision
	}{
		{name: "inside a window it is sent now on the preferred channel", want: send},
		{name: "cadence does not hold it back", customer: func(c *models.Customer) { c.Cadence = &models.Cadence{Max: 1, Per: "1d"} }, want: send},
		{name: "outside the windows it waits for the next one", now: evening,
			want: models.SendDecision{Action: models.SendReplan, Reason: models.ReasonWindowMissed, At: plannerNow.Add(24 * time.Hour), Channel: email, Locale: "en"}},
		{name: "no window before it lapses skips it", now: evening, expires: 10 * time.Hour, want: skip(models.ReasonNoSlot)},
		{name: "an erased customer gets nothing", customer: func(c *models.Customer) { c.ErasedAt = &past }, want: skip(models.ReasonErased)},
		{name: "a suppressed address gets nothing", customer: func(c *models.Customer) { c.Suppressed = true }, want: skip(models.ReasonSuppressed)},
		{name: "a channel the server lacks is never replaced by another",
			customer: func(c *models.Customer) { c.PreferredChannel = models.ChannelWebhook }, want: skip(models.ReasonChannelUnavailable)},
		{name: "no address for the channel skips it", customer: func(c *models.Customer) { c.Email = "" }, want: skip(models.ReasonNoAddress)},
		{name: "no zone skips it", customer: func(c *models.Customer) { c.Timezone = "" }, want: skip(models.ReasonNoTimezone)},
		{name: "no windows skips it", customer: func(c *models.Customer) { c.PreferredWindows = nil }, want: skip(models.ReasonNoWindow)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := plannerSettings
			if tt.settings != nil {
				settings = *tt.settings
			}
			now := plannerNow
			if !tt.now.IsZero() {
				now = tt.now
			}
			expires := 7 * 24 * time.Hour
			if tt.expires != 0 {
				expires = tt.expires
			}
			c := plannerCustomer()
			if tt.customer != nil {
				tt.customer(c)
			}
			conf := &models.Confirmation{ID: 1, CustomerID: c.ID, Topic: "letters", ConsentSeq: 2, ExpiresAt: now.Add(expires)}
			got := campaigns.NewPlanner(settings).CheckConfirmation(c, conf, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}
