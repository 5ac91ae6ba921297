package campaigns_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// plannerNow is Monday 2026-06-01 08:00 UTC, 09:00 in London (BST): a
// London window of weekdays 09:00-17:00 opens right then.
var plannerNow = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

func plannerTarget(correction bool) models.PlanTarget {
	return models.PlanTarget{
		CampaignID: 7, Correction: correction, NotBefore: plannerNow, NotAfter: plannerNow.Add(72 * time.Hour), Now: plannerNow,
		Version: &models.ContentVersion{ContentInput: models.ContentInput{Topic: "pricing", DefaultLocale: "en",
			Variants: []models.Variant{{Locale: "en", Channel: models.ChannelEmail}, {Locale: "en", Channel: models.ChannelSMS}}}},
	}
}

func plannerCustomer() *models.Customer {
	return &models.Customer{ID: 42, Email: "a@example.com", Phone: "+14155550100", Locale: "en", Timezone: "Europe/London",
		PreferredChannel: models.ChannelEmail,
		PreferredWindows: []models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "09:00", End: "17:00"}}}
}

var plannerSettings = models.PlanSettings{Channels: []models.Channel{models.ChannelEmail, models.ChannelSMS}}

// nineLondon is the window's start, plannerNow.
var nineLondon = plannerNow

func TestDecide(t *testing.T) {
	tests := []struct {
		name       string
		settings   models.PlanSettings
		correction bool
		facts      func(f *models.PlanFacts)
		reserve    int // sends other campaigns hold in the first minute
		want       models.PlanDecision
	}{
		{name: "an opted-in customer is planned at the start of their window", settings: plannerSettings,
			want: models.PlanDecision{Channel: models.ChannelEmail, Locale: "en", At: nineLondon}},
		{name: "a correction is never sent twice to a customer who already has it", settings: plannerSettings, correction: true,
			facts: func(f *models.PlanFacts) { f.AlreadyReceived = true },
			want:  models.PlanDecision{Reason: models.ReasonAlreadyReceived, Channel: models.ChannelEmail, Locale: "en"}},
		{name: "a full minute moves the send to the next minute with room",
			settings: models.PlanSettings{Channels: plannerSettings.Channels, SendsPerMinute: map[models.Channel]int{models.ChannelEmail: 1}},
			reserve:  1,
			want:     models.PlanDecision{Channel: models.ChannelEmail, Locale: "en", At: nineLondon.Add(time.Minute)}},
		{name: "cadence is checked again where capacity moved the send",
			settings: models.PlanSettings{Channels: plannerSettings.Channels, SendsPerMinute: map[models.Channel]int{models.ChannelEmail: 1}},
			reserve:  1,
			facts: func(f *models.PlanFacts) {
				f.Customer.Cadence = &models.Cadence{Max: 1, Per: "1h"}
				// Inside the hour around the moved send (09:01), outside
				// the hour around the first slot (09:00).
				f.Counted = []time.Time{nineLondon.Add(time.Hour + 30*time.Second)}
			},
			want: models.PlanDecision{Reason: models.ReasonCadenceCap, Channel: models.ChannelEmail, Locale: "en"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := campaigns.NewPlanner(tt.settings).Plan(plannerTarget(tt.correction))
			if tt.reserve > 0 {
				plan.Reserve(models.ChannelEmail, nineLondon, tt.reserve)
			}
			f := &models.PlanFacts{Customer: plannerCustomer(), Consent: models.ConsentOptedIn}
			if tt.facts != nil {
				tt.facts(f)
			}
			got, err := plan.Decide(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplan(t *testing.T) {
	delivery := &models.Delivery{ID: 1, CustomerID: 42, Channel: models.ChannelEmail, Locale: "en", Status: models.DeliveryPlanned}
	expired := plannerNow.Add(-time.Hour)
	tests := []struct {
		name   string
		facts  func(f *models.PlanFacts)
		target func(t *models.PlanTarget)
		want   models.PlanDecision
	}{
		{name: "a customer whose wishes still hold is moved to the next window",
			want: models.PlanDecision{Channel: models.ChannelEmail, Locale: "en", At: nineLondon}},
		{name: "a customer who is gone skips the delivery as erased, as erasure itself does",
			facts: func(f *models.PlanFacts) { f.Customer = nil },
			want:  models.PlanDecision{Reason: models.ReasonErased, Status: models.DeliverySkipped, Channel: models.ChannelEmail}},
		{name: "a withdrawn consent skips it",
			facts: func(f *models.PlanFacts) { f.Consent = models.ConsentOptedOut },
			want:  models.PlanDecision{Reason: models.ReasonConsentWithdrawn, Status: models.DeliverySkipped, Channel: models.ChannelEmail}},
		{name: "a changed channel skips it rather than sending on the old one",
			facts: func(f *models.PlanFacts) { f.Customer.PreferredChannel = models.ChannelSMS },
			want:  models.PlanDecision{Reason: models.ReasonChannelChanged, Status: models.DeliverySkipped, Channel: models.ChannelEmail}},
		{name: "expired content skips it",
			target: func(t *models.PlanTarget) { t.Version.ExpiresAt = &expired },
			want:   models.PlanDecision{Reason: models.ReasonContentExpired, Status: models.DeliverySkipped, Channel: models.ChannelEmail}},
		{name: "no window before not_after expires it",
			facts: func(f *models.PlanFacts) {
				f.Customer.PreferredWindows = []models.Window{{Days: []string{"sat"}, Start: "09:00", End: "17:00"}}
			},
			want: models.PlanDecision{Reason: models.ReasonNoSlot, Status: models.DeliveryExpired, Channel: models.ChannelEmail}},
		{name: "a cadence reached at the new time skips it",
			facts: func(f *models.PlanFacts) {
				f.Customer.Cadence = &models.Cadence{Max: 1, Per: "1d"}
				f.Counted = []time.Time{nineLondon}
			},
			want: models.PlanDecision{Reason: models.ReasonCadenceCap, Status: models.DeliverySkipped, Channel: models.ChannelEmail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := plannerTarget(false)
			if tt.target != nil {
				tt.target(&target)
			}
			f := &models.PlanFacts{Customer: plannerCustomer(), Consent: models.ConsentOptedIn}
			if tt.facts != nil {
				tt.facts(f)
			}
			got, err := campaigns.NewPlanner(plannerSettings).Plan(target).Replan(context.Background(), f, delivery)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}
