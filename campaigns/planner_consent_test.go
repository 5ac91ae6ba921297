package campaigns_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// withoutProfile is f as store's launch statement reads a customer
// whose consent is not opted_in (store's profileColumns): no addresses,
// locale, zone, windows or cadence, and no deliveries weighing on dedup
// or cadence. The id, channel, preference version, suppression, erasure
// and the consent itself stay.
func withoutProfile(f models.PlanFacts) models.PlanFacts {
	c := *f.Customer
	c.ExternalID, c.Email, c.Phone, c.Locale, c.Timezone = "", "", "", "", ""
	c.PreferredWindows, c.Cadence = nil, nil
	f.Customer = &c
	f.AlreadyReceived, f.Counted = false, nil
	return f
}

// randomPlanFacts draws a customer whose every fact may be anything a
// planner could meet, with a consent other than opted_in.
func randomPlanFacts(r *rand.Rand) models.PlanFacts {
	pick := func(options ...string) string { return options[r.IntN(len(options))] }
	c := &models.Customer{ID: r.Int64N(1 << 40), ExternalID: pick("", "crm-1"), Email: pick("", "a@example.com"),
		Phone: pick("", "+14155550100"), Locale: pick("", "en", "de-AT", "fr"),
		Timezone:         pick("", "Europe/London", "Asia/Kathmandu", "Not/AZone"),
		PreferredChannel: models.Channels[r.IntN(len(models.Channels))], Suppressed: r.IntN(5) == 0,
		PreferenceVersion: r.IntN(4)}
	if r.IntN(5) == 0 {
		at := plannerNow.Add(-time.Duration(r.IntN(1000)) * time.Hour)
		c.ErasedAt = &at
	}
	for range r.IntN(3) {
		start := r.IntN(23)
		c.PreferredWindows = append(c.PreferredWindows, models.Window{Days: []string{pick("mon", "tue", "sat")},
			Start: time.Date(0, 1, 1, start, 0, 0, 0, time.UTC).Format("15:04"),
			End:   time.Date(0, 1, 1, start+1, 0, 0, 0, time.UTC).Format("15:04")})
	}
	if r.IntN(2) == 0 {
		c.Cadence = &models.Cadence{Max: 1 + r.IntN(2), Per: pick("1h", "1d", "7d")}
	}
	f := models.PlanFacts{Customer: c, Consent: models.ConsentStatus(pick("", "none", "pending", "opted_out")),
		ConsentUnverified: r.IntN(4) == 0, AlreadyReceived: r.IntN(2) == 0}
	for range r.IntN(3) {
		f.Counted = append(f.Counted, plannerNow.Add(time.Duration(r.IntN(72))*time.Hour))
	}
	return f
}

// TestDecideWithoutOptedInConsentReadsNoProfile is the property store's
// launch statement relies on when it leaves out the profile of a customer
// whose consent is not opted_in: whatever the profile, the decision is
// the same without it, and it is one of the rules that come before the
// profile (erased, suppressed, consent_unverified, no_consent).
func TestDecideWithoutOptedInConsentReadsNoProfile(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 1203))
	before := map[models.Reason]bool{models.ReasonErased: true, models.ReasonSuppressed: true,
		models.ReasonConsentUnverified: true, models.ReasonNoConsent: true}
	reached := map[models.Reason]int{}
	for range 5000 {
		settings := models.PlanSettings{Channels: models.Channels[:1+r.IntN(len(models.Channels))],
			DefaultTimezone: []string{"", "Europe/Berlin"}[r.IntN(2)],
			GlobalCap:       []*models.Cadence{nil, {Max: 1, Per: "1d"}}[r.IntN(2)]}
		target := plannerTarget(r.IntN(4) == 0)
		target.OnRequest = r.IntN(4) == 0
		full := randomPlanFacts(r)
		blank := withoutProfile(full)
		got, err := campaigns.NewPlanner(settings).Plan(target).Decide(context.Background(), &blank)
		if err != nil {
			t.Fatal(err)
		}
		want, err := campaigns.NewPlanner(settings).Plan(target).Decide(context.Background(), &full)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("customer %+v with consent %q: the decision changed without the profile (-full +without):\n%s",
				*full.Customer, full.Consent, diff)
		}
		if !before[want.Reason] {
			t.Fatalf("customer %+v with consent %q was decided by %q, a rule that reads the profile", *full.Customer,
				full.Consent, want.Reason)
		}
		reached[want.Reason]++
	}
	// The property says something only if every early rule decided some.
	for reason := range before {
		if reached[reason] == 0 {
			t.Errorf("no customer was decided by %q (%v): the generator misses a rule", reason, reached)
		}
	}
}
