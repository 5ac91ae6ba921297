package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// costlyRule is the rule of issue 15: an "any" of n "consent.<topic> in
// [...]" conditions that name topics distinct topics in turn.
func costlyRule(n, topics int) string {
	conds := make([]string, n)
	for i := range conds {
		conds[i] = fmt.Sprintf(`{"field":"consent.topic-%d","op":"in","value":["opted_in","pending"]}`, i%topics)
	}
	return `{"any":[` + strings.Join(conds, ",") + `]}`
}

// TestConsentConditionsCompileToOneJoinPerTopic is the regression check of
// issue 15's slow preview: each condition used to be its own EXISTS over
// consents, 200 conditions 200 subqueries, which PostgreSQL ran in 44 s on
// 1,015 customers. Now a statement holds one consents join per topic
// however many conditions name it, and its text grows linearly.
func TestConsentConditionsCompileToOneJoinPerTopic(t *testing.T) {
	tests := []struct {
		name              string
		conditions, topic int
	}{
		{"one condition", 1, 1},
		{"ten conditions on one topic", 10, 1},
		{"two hundred conditions on twenty topics", 200, 20},
		{"two hundred conditions under not on five topics", 200, 5},
	}
	for _, dialect := range []string{store.DialectPostgres, store.DialectSQLite} {
		for _, tt := range tests {
			t.Run(dialect+"/"+tt.name, func(t *testing.T) {
				rule, err := segment.ParseRule([]byte(costlyRule(tt.conditions, tt.topic)), "/rule")
				if err != nil {
					t.Fatal(err)
				}
				sql, args := store.CompileRule(dialect, rule, newClock().Now())
				if got := strings.Count(sql, "consents"); got != tt.topic {
					t.Errorf("consents is named %d times, want once per topic (%d):\n%s", got, tt.topic, sql)
				}
				if strings.Contains(sql, "EXISTS") {
					t.Errorf("consent conditions still compile to subqueries:\n%s", sql)
				}
				if len(args) != tt.topic {
					t.Errorf("%d arguments, want one per topic (%d)", len(args), tt.topic)
				}
				// Linear: a condition costs a bounded number of bytes.
				if per := len(sql) / tt.conditions; per > 200 {
					t.Errorf("%d bytes of SQL per condition; the statement grows faster than the rule", per)
				}
			})
		}
	}
}

// TestCostlyConsentRuleMatchesTheGoEvaluator runs issue 15's 200-condition
// rule, and its negation, on each backend and compares the members with
// segment.Matches.
func TestCostlyConsentRuleMatchesTheGoEvaluator(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)
		const topics = 20
		for i := range topics {
			if _, err := s.CreateTopic(ctx, &models.TopicInput{Key: fmt.Sprintf("topic-%d", i), Name: fmt.Sprintf("Topic %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		statuses := []models.ConsentStatus{models.ConsentOptedIn, models.ConsentOptedOut, models.ConsentPending}
		for i := range 12 {
			id := fmt.Sprintf("crm-%d", i)
			mustPutCustomer(t, s, customerInput(id))
			// Customer i has a record for topic 3i+j (mod 20) only,
			// customers 10 and 11 none: some match, some do not.
			for j := range 2 {
				if i < 10 {
					mustSetConsent(t, s, id, fmt.Sprintf("topic-%d", (3*i+j)%topics), statuses[(i+j)%3])
				}
			}
		}
		subjects := loadSubjects(t, s)
		for _, raw := range []string{costlyRule(200, topics), `{"not":` + costlyRule(199, topics) + `}`} {
			preview, err := s.PreviewRule(ctx, json.RawMessage(raw))
			if err != nil {
				t.Fatal(err)
			}
			rule, _ := segment.ParseRule([]byte(raw), "/rule")
			var want, got []string
			for _, sub := range subjects {
				if segment.Matches(rule, sub, clk.Now()) {
					want = append(want, sub.Customer.ExternalID)
				}
			}
			for c, err := range s.SegmentMembers(ctx, rule) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, c.ExternalID)
			}
			slices.Sort(want)
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("members (-go +sql):\n%s", diff)
			}
			if preview.Count != int64(len(want)) || len(want) == 0 || len(want) == len(subjects) {
				t.Errorf("preview counts %d of %d, Go %d: want the same, and neither all nor none", preview.Count, len(subjects), len(want))
			}
		}
	})
}

// loadSubjects returns every customer with its consents, for the Go
// evaluator.
func loadSubjects(tb testing.TB, s *store.Store) []segment.Subject {
	tb.Helper()
	ctx := context.Background()
	items, _, err := s.Customers(ctx, models.Page{Limit: models.MaxPageLimit})
	if err != nil {
		tb.Fatal(err)
	}
	var out []segment.Subject
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

// TestConsentJoinsAgreeWithTheGoEvaluator extends the property test to
// the per-topic joins: random rules in which many conditions, at every
// depth and under not, name the same few topics.
func TestConsentJoinsAgreeWithTheGoEvaluator(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)
		rng := rand.New(rand.NewPCG(23, 5))
		subjects := seedRandomCustomers(t, s, clk, rng, 60)
		for i := range 150 {
			raw, _ := json.Marshal(randomConsentRule(rng, 0))
			rule, err := segment.ParseRule(raw, "/rule")
			if err != nil {
				t.Fatalf("rule %d generated invalid: %s: %v", i, raw, err)
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
				sql, _ := store.CompileRule(s.Dialect(), rule, clk.Now())
				t.Fatalf("rule %s: members (-go +sql):\n%s\nSQL: %s", raw, diff, sql)
			}
		}
	})
}

// randomConsentRule is randomRule with mostly consent conditions and
// groups of up to six children.
func randomConsentRule(rng *rand.Rand, depth int) any {
	if depth < 4 && rng.IntN(2) == 0 {
		if rng.IntN(4) == 0 {
			return map[string]any{"not": randomConsentRule(rng, depth+1)}
		}
		kids := []any{}
		for range 1 + rng.IntN(6) {
			kids = append(kids, randomConsentRule(rng, depth+1))
		}
		return map[string]any{[]string{"all", "any"}[rng.IntN(2)]: kids}
	}
	if rng.IntN(5) == 0 {
		return randomCondition(rng)
	}
	for {
		if c := randomCondition(rng); strings.HasPrefix(c["field"].(string), "consent.") {
			return c
		}
	}
}
