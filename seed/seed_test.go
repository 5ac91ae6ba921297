package seed_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/models"
	"github.com/candor/candor/seed"
)

// nanpRE is a North American number: area code and exchange start 2-9.
var nanpRE = regexp.MustCompile(`^\+1[2-9][0-9]{2}[2-9][0-9]{6}$`)

func TestSeed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		mustPutCustomer(t, s, customerInput("before-seed"))
		res, err := seed.Load(ctx, s, seed.Options{Customers: 300, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		if res.Customers != 300 || res.ConsentEvents < 300 || res.Consents < 200 {
			t.Errorf("result = %+v", res)
		}

		t.Run("seeded ledgers verify and match the current consent", func(t *testing.T) {
			for i := range 300 {
				ext := fmt.Sprintf("seed42-%08d", i)
				ledger, err := s.Consents(ctx, ext)
				if err != nil {
					t.Fatal(err)
				}
				if !ledger.Chain.Verified {
					t.Fatalf("%s: chain %+v", ext, ledger.Chain)
				}
				last := map[string]models.ConsentStatus{}
				for _, e := range ledger.History {
					last[e.Topic] = e.Status
				}
				for _, cur := range ledger.Current {
					want, ok := last[cur.Topic]
					if !ok {
						want = models.ConsentNone
					}
					if cur.Status != want {
						t.Fatalf("%s/%s: current %s, ledger says %s", ext, cur.Topic, cur.Status, want)
					}
				}
			}
		})
		t.Run("the whole keyed ledger verifies, the seed chained between consent writes", func(t *testing.T) {
			// Consent written through the ledger before and after the seed:
			// the seed continues the global chain from the head and leaves
			// the head where a later write continues it.
			optIn := &models.ConsentInput{Status: models.ConsentOptedIn, Evidence: models.Evidence{Text: "form"}}
			if _, _, err := s.SetConsent(ctx, "before-seed", "pricing-guides", optIn); err != nil {
				t.Fatal(err)
			}
			rep, err := s.VerifyLedger(ctx, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || rep.HeadSeq != rep.Events || rep.Events != res.ConsentEvents+1 {
				t.Fatalf("ledger report: broken %d, head %d, events %d (seeded %d + 1), problems %+v",
					rep.Broken, rep.HeadSeq, rep.Events, res.ConsentEvents, rep.Problems)
			}
			if ev, rows, err := s.AdoptLedger(ctx); err != nil || ev != 0 || rows != 0 {
				t.Errorf("adoption after the seed sealed %d events, %d rows (%v): the seed left work unsealed", ev, rows, err)
			}
		})
		t.Run("seeded customers are valid profiles", func(t *testing.T) {
			items, _, err := s.Customers(ctx, models.Page{Limit: 300})
			if err != nil {
				t.Fatal(err)
			}
			plans := map[any]int{}
			for _, c := range items[1:] {
				in := &models.CustomerInput{ExternalID: c.ExternalID, Email: c.Email, Phone: c.Phone, Name: c.Name,
					Locale: c.Locale, Timezone: c.Timezone, PreferredChannel: c.PreferredChannel,
					PreferredWindows: c.PreferredWindows, Cadence: c.Cadence, Attributes: c.Attributes}
				in.Normalize()
				if err := in.Validate(); err != nil {
					t.Fatalf("%s is not a valid customer: %v", c.ExternalID, err)
				}
				if c.Address(c.PreferredChannel) == "" {
					t.Errorf("%s has no address for its channel %s", c.ExternalID, c.PreferredChannel)
				}
				if strings.HasPrefix(c.Phone, "+1") && !nanpRE.MatchString(c.Phone) {
					t.Errorf("%s has phone %s; a +1 number has a 10-digit national number (NXX-NXX-XXXX)", c.ExternalID, c.Phone)
				}
				plans[c.Attributes["plan"]]++
			}
			if plans["enterprise"] < 10 || plans["enterprise"] > 60 || plans["free"] < plans["pro"] {
				t.Errorf("plan mix = %v, want about 10%% enterprise", plans)
			}
		})
		t.Run("the same seed gives the same customers", func(t *testing.T) {
			other := mustOpen(t, backend)
			if _, err := seed.Load(ctx, other, seed.Options{Customers: 3, Seed: 42}); err != nil {
				t.Fatal(err)
			}
			a, err := s.Customer(ctx, "seed42-00000002")
			if err != nil {
				t.Fatal(err)
			}
			b, err := other.Customer(ctx, "seed42-00000002")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(a, b, cmpopts.IgnoreFields(models.Customer{}, "ID")); diff != "" {
				t.Errorf("seeded twice (-first +second):\n%s", diff)
			}
		})
		t.Run("loading a seed twice conflicts", func(t *testing.T) {
			_, err := seed.Load(ctx, s, seed.Options{Customers: 1, Seed: 42})
			wantCode(t, err, models.ECONFLICT)
		})
		t.Run("customers created later get fresh ids", func(t *testing.T) {
			c := mustPutCustomer(t, s, customerInput("after-seed"))
			if c.ID <= 301 {
				t.Errorf("id = %d, want > 301", c.ID)
			}
		})
		t.Run("segments over seeded data agree with the Go evaluator", func(t *testing.T) {
			rule, err := segment.ParseRule([]byte(`{"all":[{"field":"attributes.plan","op":"eq","value":"enterprise"},{"field":"consent.product-roadmap","op":"eq","value":"opted_in"}]}`), "/rule")
			if err != nil {
				t.Fatal(err)
			}
			n, err := s.SegmentCount(ctx, rule)
			if err != nil {
				t.Fatal(err)
			}
			var want int64
			items, _, err := s.Customers(ctx, models.Page{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range items {
				ledger, err := s.Consents(ctx, c.ExternalID)
				if err != nil {
					t.Fatal(err)
				}
				consents := map[string]models.ConsentStatus{}
				for _, cur := range ledger.Current {
					consents[cur.Topic] = cur.Status
				}
				if segment.Matches(rule, segment.Subject{Customer: c, Consents: consents}, c.CreatedAt) {
					want++
				}
			}
			if n != want || n == 0 {
				t.Errorf("SQL count = %d, Go count = %d", n, want)
			}
		})
	})
}

func TestSeedHashesEveryLedgerEventThroughOptionsHash(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		s := mustOpen(t, backend)
		var calls atomic.Int64
		res, err := seed.Load(context.Background(), s, seed.Options{Customers: 700, Seed: 7,
			Hash: func(e *models.ConsentEvent) string {
				calls.Add(1)
				return e.ComputeHash()
			}})
		if err != nil {
			t.Fatal(err)
		}
		// Twice per event: once for its consent_events row and once when
		// the consents table is generated, whose rows are sealed to the
		// hash of the event they reflect. No hash bypasses Options.Hash.
		if calls.Load() != 2*res.ConsentEvents {
			t.Errorf("Hash called %d times for %d consent events, want twice each", calls.Load(), res.ConsentEvents)
		}
	})
}

func TestASeedOfSeveralChunksChainsAcrossThem(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		// A ledger that already has an event: the seed continues it.
		mustPutCustomer(t, s, customerInput("before-seed"))
		optIn := &models.ConsentInput{Status: models.ConsentOptedIn, Evidence: models.Evidence{Text: "form"}}
		if _, _, err := s.SetConsent(ctx, "before-seed", "pricing-guides", optIn); err != nil {
			t.Fatal(err)
		}
		// Three chunks of 1,024 customers, the last one short.
		res, err := seed.Load(ctx, s, seed.Options{Customers: 2500, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SetConsent(ctx, "before-seed", "product-roadmap", optIn); err != nil {
			t.Fatal(err)
		}
		rep, err := s.VerifyLedger(ctx, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.HeadSeq != rep.Events || rep.Events != res.ConsentEvents+2 {
			t.Fatalf("ledger report: broken %d, head %d, events %d (seeded %d + 2), problems %+v",
				rep.Broken, rep.HeadSeq, rep.Events, res.ConsentEvents, rep.Problems)
		}
		for _, ext := range []string{"seed9-00001023", "seed9-00001024", "seed9-00002499"} {
			ledger, err := s.Consents(ctx, ext)
			if err != nil {
				t.Fatal(err)
			}
			if !ledger.Chain.Verified {
				t.Errorf("%s: chain %+v", ext, ledger.Chain)
			}
		}
	})
}
