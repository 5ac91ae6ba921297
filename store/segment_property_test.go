package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// TestSegmentSQLAgreesWithTheGoEvaluator is the oracle that keeps the two
// SQL compilers honest: for random rules over random customers, the
// members each backend returns are exactly the customers segment.Matches
// accepts.
func TestSegmentSQLAgreesWithTheGoEvaluator(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		for dataset := range uint64(3) {
			t.Run(fmt.Sprintf("random data set %d", dataset), func(t *testing.T) {
				checkRandomRules(t, backend, dataset)
			})
		}
	})
}

// checkRandomRules compares SQL and Go on one random data set.
func checkRandomRules(t *testing.T, backend string, dataset uint64) {
	ctx := context.Background()
	clk := newClock()
	s := mustOpenWith(t, backend, clk.Now)
	rng := rand.New(rand.NewPCG(7+dataset, 11))
	subjects := seedRandomCustomers(t, s, clk, rng, 80)

	rules := 300
	if testing.Short() {
		rules = 100
	}
	nonEmpty := 0
	for i := range rules {
		doc := randomRule(rng, 0)
		raw, _ := json.Marshal(doc)
		rule, err := segment.ParseRule(raw, "/rule")
		if err != nil {
			t.Fatalf("rule %d generated invalid: %s: %v", i, raw, err)
		}
		var want []string
		for _, sub := range subjects {
			if segment.Matches(rule, sub, clk.Now()) {
				want = append(want, sub.Customer.ExternalID)
			}
		}
		var got []string
		for c, err := range s.SegmentMembers(ctx, rule) {
			if err != nil {
				where, _ := store.CompileRule(s.Dialect(), rule, clk.Now())
				t.Fatalf("rule %s: %v\nSQL: %s", raw, err, where)
			}
			got = append(got, c.ExternalID)
		}
		slices.Sort(want)
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			where, _ := store.CompileRule(s.Dialect(), rule, clk.Now())
			t.Fatalf("rule %s: members (-go +sql):\n%s\nSQL: %s", raw, diff, where)
		}
		if len(want) > 0 && len(want) < len(subjects) {
			nonEmpty++
		}
	}
	// A generator whose rules always match all or nothing would make the
	// comparison above vacuous.
	if nonEmpty < rules/4 {
		t.Errorf("only %d of %d rules split the customers; the generator is too weak", nonEmpty, rules)
	}
}

// Domains shared by the data and the rule generators, small enough that
// random rules often hit, and holding the edge cases: mixed JSON types
// under one key, nulls, arrays, nested objects, numeric-looking keys,
// empty strings and non-ASCII text.
var (
	genStrings  = []string{"", "pro", "free", "enterprise", "Pro", "pr", "é", "zz", "a_b", "10"}
	genNumbers  = []float64{-1, 0, 0.5, 1, 10, 12, 100, 1e21}
	genKeys     = []string{"plan", "seats", "tags", "flag", "nested.a", "nested.b.c", "0", "tags.0", "missing"}
	genLocales  = []string{"", "en-GB", "de-DE", "pt-BR", "ja-JP"}
	genZones    = []string{"", "Europe/London", "Asia/Kathmandu", "America/Santiago"}
	genDomains  = []string{"example.com", "Example.org", "mail.example.com", "ex.io"}
	genTopics   = []string{"product-roadmap", "pricing-guides"}
	genStatuses = []string{"opted_in", "opted_out", "pending", "none"}
)

func randomScalar(rng *rand.Rand) any {
	switch rng.IntN(4) {
	case 0, 1:
		return genStrings[rng.IntN(len(genStrings))]
	case 2:
		return genNumbers[rng.IntN(len(genNumbers))]
	}
	return rng.IntN(2) == 0
}

func randomAttrValue(rng *rand.Rand, depth int) any {
	switch rng.IntN(8) {
	case 0:
		return nil
	case 1:
		arr := []any{}
		for range rng.IntN(4) {
			arr = append(arr, randomScalar(rng))
		}
		return arr
	case 2:
		if depth < 3 {
			obj := map[string]any{}
			for _, k := range []string{"a", "b", "c", "0"} {
				if rng.IntN(2) == 0 {
					obj[k] = randomAttrValue(rng, depth+1)
				}
			}
			return obj
		}
	}
	return randomScalar(rng)
}

// seedRandomCustomers creates n customers with random profiles, attributes
// and consents, each a minute apart, and returns them as the evaluator
// sees them (read back from the store).
func seedRandomCustomers(tb testing.TB, s *store.Store, clk *clock, rng *rand.Rand, n int) []segment.Subject {
	tb.Helper()
	ctx := context.Background()
	for i := range n {
		in := customerInput(fmt.Sprintf("gen-%03d", i))
		in.Email = fmt.Sprintf("u%d@%s", i, genDomains[rng.IntN(len(genDomains))])
		if rng.IntN(6) == 0 {
			in.Email = ""
			in.PreferredChannel = models.ChannelSMS
		}
		in.Locale = genLocales[rng.IntN(len(genLocales))]
		in.Timezone = genZones[rng.IntN(len(genZones))]
		if in.Timezone == "" {
			in.PreferredWindows = nil
		}
		in.Attributes = map[string]any{}
		for _, k := range []string{"plan", "seats", "tags", "flag", "nested", "0"} {
			if rng.IntN(3) > 0 {
				in.Attributes[k] = randomAttrValue(rng, 1)
			}
		}
		mustPutCustomer(tb, s, in)
		for _, topic := range genTopics {
			switch st := genStatuses[rng.IntN(len(genStatuses))]; st {
			case "none":
			default:
				mustSetConsent(tb, s, in.ExternalID, topic, models.ConsentStatus(st))
			}
		}
		clk.Advance(time.Duration(1+rng.IntN(3*24*60)) * time.Minute)
	}
	var out []segment.Subject
	page := models.Page{Limit: models.MaxPageLimit}
	items, _, err := s.Customers(ctx, page)
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range items {
		ledger, err := s.Consents(ctx, c.ExternalID)
		if err != nil {
			tb.Fatal(err)
		}
		consents := map[string]models.ConsentStatus{}
		for _, cur := range ledger.Current {
			if cur.Status != models.ConsentNone {
				consents[cur.Topic] = cur.Status
			}
		}
		out = append(out, segment.Subject{Customer: c, Consents: consents})
	}
	return out
}

// randomRule returns a random rule document that the parser accepts.
func randomRule(rng *rand.Rand, depth int) any {
	if depth < 3 && rng.IntN(3) == 0 {
		switch rng.IntN(3) {
		case 0:
			return map[string]any{"not": randomRule(rng, depth+1)}
		default:
			kids := []any{}
			for range 1 + rng.IntN(3) {
				kids = append(kids, randomRule(rng, depth+1))
			}
			return map[string]any{[]string{"all", "any"}[rng.IntN(2)]: kids}
		}
	}
	return randomCondition(rng)
}

func randomCondition(rng *rand.Rand) map[string]any {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	switch rng.IntN(10) {
	case 0:
		field := "consent." + genTopics[rng.IntN(len(genTopics))]
		op := pick("eq", "ne", "in", "not_in")
		if op == "in" || op == "not_in" {
			return map[string]any{"field": field, "op": op, "value": []any{pick(genStatuses...), pick(genStatuses...)}}
		}
		return map[string]any{"field": field, "op": op, "value": pick(genStatuses...)}
	case 1:
		field := pick("created_at", "updated_at")
		switch op := pick("before", "after", "within_last", "not_within_last"); op {
		case "before", "after":
			at := time.Date(2025, 3, 10+rng.IntN(60), rng.IntN(24), 0, 0, 0, time.UTC)
			return map[string]any{"field": field, "op": op, "value": at.Format(time.RFC3339)}
		default:
			return map[string]any{"field": field, "op": op, "value": pick("1h", "3d", "30d", "2w", "90m")}
		}
	case 2, 3:
		field := pick("locale", "timezone", "preferred_channel", "email_domain")
		values := append(append(append([]string{"email", "sms", "e", "Europe"}, genLocales...), genZones...), genDomains...)
		op := pick("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "contains", "starts_with", "exists", "not_exists")
		switch op {
		case "exists", "not_exists":
			return map[string]any{"field": field, "op": op}
		case "in", "not_in":
			return map[string]any{"field": field, "op": op, "value": []any{pick(values...), pick(values...)}}
		}
		return map[string]any{"field": field, "op": op, "value": pick(values...)}
	}
	field := "attributes." + pick(genKeys...)
	op := pick("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "contains", "starts_with", "exists", "not_exists")
	switch op {
	case "exists", "not_exists":
		return map[string]any{"field": field, "op": op}
	case "starts_with":
		return map[string]any{"field": field, "op": op, "value": pick(genStrings...)}
	case "lt", "lte", "gt", "gte":
		if rng.IntN(2) == 0 {
			return map[string]any{"field": field, "op": op, "value": pick(genStrings...)}
		}
		return map[string]any{"field": field, "op": op, "value": genNumbers[rng.IntN(len(genNumbers))]}
	case "in", "not_in":
		first := randomScalar(rng)
		list := []any{first}
		for range rng.IntN(3) {
			v := randomScalar(rng)
			if fmt.Sprintf("%T", v) == fmt.Sprintf("%T", first) {
				list = append(list, v)
			}
		}
		return map[string]any{"field": field, "op": op, "value": list}
	}
	return map[string]any{"field": field, "op": op, "value": randomScalar(rng)}
}

// TestSegmentSQLAgreesWithTheGoEvaluatorAtEachInstant holds the SQL
// compilers to segment.Matches where random rules rarely reach: values a
// nanosecond or a microsecond either side of each customer's timestamps,
// written in UTC and in another offset, the extreme instants, and
// durations that end exactly on a customer's timestamp.
func TestSegmentSQLAgreesWithTheGoEvaluatorAtEachInstant(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)
		rng := rand.New(rand.NewPCG(19, 1))
		subjects := seedRandomCustomers(t, s, clk, rng, 20)
		kathmandu := time.FixedZone("+05:45", 5*3600+45*60)

		var rules []string
		add := func(field, op, value string) {
			rules = append(rules, fmt.Sprintf(`{"field":%q,"op":%q,"value":%q}`, field, op, value))
		}
		for _, v := range []string{"0001-01-01T00:00:00Z", "0001-01-01", "9999-12-31T23:59:59.999999Z", "9999-12-31"} {
			add("created_at", "before", v)
			add("updated_at", "after", v)
		}
		for _, sub := range subjects {
			for field, at := range map[string]time.Time{"created_at": sub.Customer.CreatedAt, "updated_at": sub.Customer.UpdatedAt} {
				for _, d := range []time.Duration{-time.Microsecond, -time.Nanosecond, 0, time.Nanosecond, time.Microsecond - time.Nanosecond} {
					v := at.Add(d)
					for _, op := range []string{"before", "after"} {
						add(field, op, v.UTC().Format(time.RFC3339Nano))
						add(field, op, v.In(kathmandu).Format(time.RFC3339Nano))
					}
				}
				age := int(clk.Now().Sub(at) / time.Minute)
				for _, m := range []int{age - 1, age, age + 1} {
					if m > 0 {
						add(field, "within_last", fmt.Sprintf("%dm", m))
						add(field, "not_within_last", fmt.Sprintf("%dm", m))
					}
				}
			}
		}
		for _, raw := range rules {
			rule, err := segment.ParseRule([]byte(raw), "/rule")
			if err != nil {
				t.Fatalf("rule %s: %v", raw, err)
			}
			var want, got []string
			for _, sub := range subjects {
				if segment.Matches(rule, sub, clk.Now()) {
					want = append(want, sub.Customer.ExternalID)
				}
			}
			for c, err := range s.SegmentMembers(ctx, rule) {
				if err != nil {
					t.Fatalf("rule %s: %v", raw, err)
				}
				got = append(got, c.ExternalID)
			}
			slices.Sort(want)
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				where, _ := store.CompileRule(s.Dialect(), rule, clk.Now())
				t.Fatalf("rule %s: members (-go +sql):\n%s\nSQL: %s", raw, diff, where)
			}
		}
	})
}
