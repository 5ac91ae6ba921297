package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// agreeCustomers is how many random customers the explain/launch
// comparison decides; "a few thousand" keeps every rule reachable many
// times over while the test stays within seconds on both backends.
const agreeCustomers = 2000

// agreeZones mixes zones with midnight DST gaps, 30-minute shifts and odd
// offsets with ordinary ones; "" leaves the customer without a zone.
var agreeZones = []string{"Europe/London", "America/New_York", "Asia/Tokyo", "America/Santiago",
	"America/Havana", "Australia/Lord_Howe", "Asia/Kathmandu", ""}

// randomAgreeCustomer returns a valid customer input whose every planning
// fact is drawn at random: channel, addresses, locale, zone, windows and
// cadence.
func randomAgreeCustomer(r *rand.Rand, ext string, n int) *models.CustomerInput {
	in := customerInput(ext)
	in.Attributes = map[string]any{"main": "yes", "prior": []string{"none", "same", "other"}[r.IntN(3)]}
	in.Phone = fmt.Sprintf("+1415%07d", 5550000+n)
	in.PreferredChannel = models.Channels[r.IntN(len(models.Channels))]
	if r.IntN(8) == 0 && in.PreferredChannel != models.ChannelEmail {
		in.Email = ""
	}
	in.Locale = []string{"en", "en-GB", "de-AT", "fr", "de"}[r.IntN(5)]
	in.Timezone = agreeZones[r.IntN(len(agreeZones))]
	in.PreferredWindows = nil
	// Windows of one day must not overlap: each window takes its own days.
	days := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	r.Shuffle(len(days), func(i, j int) { days[i], days[j] = days[j], days[i] })
	for w := range r.IntN(3) {
		own := days[w*3 : w*3+1+r.IntN(3)]
		start := r.IntN(24)
		end := start + 1 + r.IntN(24-start)
		in.PreferredWindows = append(in.PreferredWindows, models.Window{Days: own,
			Start: fmt.Sprintf("%02d:00", start), End: fmt.Sprintf("%02d:00", end)})
	}
	in.Cadence = nil
	if r.IntN(2) == 0 {
		in.Cadence = &models.Cadence{Max: 1 + r.IntN(2), Per: []string{"1d", "7d", "30d"}[r.IntN(3)]}
	}
	return in
}

// TestExplainAndLaunchDecideAlikeForRandomCustomers holds explain (asked
// before the launch) and the launch to the same decision, customer by
// customer, over random profiles, consents and earlier deliveries that
// weigh on dedup and cadence: both take it from the one planner over the
// same facts.
func TestExplainAndLaunchDecideAlikeForRandomCustomers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		seed := uint64(20261201)
		r := rand.New(rand.NewPCG(seed, seed))
		t.Logf("seed %d", seed)
		content := f.approved(contentInput())
		other := f.approved(contentInput())
		planner := campaigns.NewPlanner(unlimited)
		exts := make([]string, 0, agreeCustomers)
		for i := range agreeCustomers {
			ext := fmt.Sprintf("r%04d", i)
			in := randomAgreeCustomer(r, ext, i)
			in.Normalize()
			if err := in.Validate(); err != nil {
				t.Fatalf("generated an invalid customer %s: %v", ext, err)
			}
			mustPutCustomer(t, f.s, in)
			if st := []models.ConsentStatus{models.ConsentOptedIn, models.ConsentOptedIn, models.ConsentOptedIn,
				models.ConsentOptedOut, models.ConsentPending, ""}[r.IntN(6)]; st != "" {
				mustSetConsent(t, f.s, ext, campaignTopic, st)
			}
			exts = append(exts, ext)
		}
		// Earlier campaigns: the same content (already_received) and other
		// content (cadence) planned for some of the customers.
		for _, prior := range []struct {
			group   string
			content int64
		}{{"same", content}, {"other", other}} {
			seg, err := f.s.CreateSegment(ctx, &models.SegmentInput{Name: "prior " + prior.group,
				Rule: []byte(`{"field":"attributes.prior","op":"eq","value":"` + prior.group + `"}`)})
			if err != nil {
				t.Fatal(err)
			}
			c := f.campaign(prior.content, seg.ID)
			if _, err := f.s.LaunchCampaign(ctx, c.ID, planner); err != nil {
				t.Fatalf("launch prior %s: %v", prior.group, err)
			}
		}

		camp := f.campaign(content, f.segment(""))
		type decision struct {
			Eligible bool
			Reason   models.Reason
			SendAt   time.Time
		}
		explained := map[string]decision{}
		for _, ext := range exts {
			x, err := f.s.ExplainCampaign(ctx, camp.ID, ext, planner)
			if err != nil {
				t.Fatalf("explain %s: %v", ext, err)
			}
			d := decision{Eligible: x.Eligible, Reason: x.Reason}
			if x.SendAt != nil {
				d.SendAt = *x.SendAt
			}
			explained[ext] = d
		}
		if _, err := f.s.LaunchCampaign(ctx, camp.ID, planner); err != nil {
			t.Fatal(err)
		}
		reasons := map[models.Reason]int{}
		for _, ext := range exts {
			x, err := f.s.ExplainCampaign(ctx, camp.ID, ext, planner)
			if err != nil || x.Launch == nil {
				t.Fatalf("explain %s after launch: %+v %v", ext, x, err)
			}
			got := decision{Eligible: x.Launch.Outcome == models.LaunchPlanned, Reason: x.Launch.Reason}
			if x.Launch.ScheduledAt != nil {
				got.SendAt = *x.Launch.ScheduledAt
			}
			if want := explained[ext]; got != want {
				t.Errorf("customer %s: explain decided %+v, launch %+v", ext, want, got)
			}
			reasons[got.Reason]++
		}
		// The comparison proves something only if the random customers
		// reached the rules: most reasons, and planned sends, must occur.
		for _, want := range []models.Reason{"", models.ReasonNoConsent, models.ReasonChannelUnavailable, models.ReasonNoVariant,
			models.ReasonNoTimezone, models.ReasonNoWindow, models.ReasonNoSlot, models.ReasonCadenceCap, models.ReasonAlreadyReceived} {
			if reasons[want] == 0 {
				t.Errorf("no customer decided with reason %q (%v): the generator misses a rule", want, reasons)
			}
		}
		t.Logf("decisions by reason: %v", reasons)
	})
}
