package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/seed"
)

// pagedCustomers spans three planning pages (5,000 each): page buffers
// are reused and the last page is short.
const pagedCustomers = 12_000

// pagedFixture seeds pagedCustomers customers with consents and returns
// a campaign of roadmap content (email, SMS and webhook variants) to every
// one of them, after earlier campaigns that weigh on its plan: the same
// content to the enterprise plan (already_received) and other content to
// the pro plan (cadence and channel capacity). A few consent rows are
// rewritten without the ledger key (consent_unverified) and a customer is
// erased.
func pagedFixture(t *testing.T, backend string) (*campaignFixture, *models.Campaign) {
	t.Helper()
	ctx := context.Background()
	f := newCampaignFixture(t, backend)
	if _, err := seed.Load(ctx, f.s, seed.Options{Customers: pagedCustomers, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	roadmap := func() *models.ContentInput {
		in := contentInput()
		in.Topic, in.ExpiresAt = "product-roadmap", nil
		in.Variants = []models.Variant{
			{Locale: "en", Channel: models.ChannelEmail, Subject: "What we build next", Text: "Hello."},
			{Locale: "en", Channel: models.ChannelSMS, Text: "Hello."},
			{Locale: "en", Channel: models.ChannelWebhook, Title: "Roadmap", Text: "Hello."},
		}
		return in
	}
	content, other := f.approved(roadmap()), f.approved(roadmap())
	segment := func(rule string) int64 {
		seg, err := f.s.CreateSegment(ctx, &models.SegmentInput{Name: rule, Rule: json.RawMessage(rule)})
		if err != nil {
			t.Fatal(err)
		}
		return seg.ID
	}
	planner := campaigns.NewPlanner(benchSettings)
	for _, prior := range []struct {
		content int64
		plan    string
	}{{content, "enterprise"}, {other, "pro"}} {
		c := f.campaign(prior.content, segment(`{"field":"attributes.plan","op":"eq","value":"`+prior.plan+`"}`))
		if _, err := f.s.LaunchCampaign(ctx, c.ID, planner); err != nil {
			t.Fatalf("launch the %s campaign: %v", prior.plan, err)
		}
	}
	err := f.s.DB().Exec("UPDATE consents SET status = 'opted_in', mac = 'forged' WHERE topic = 'product-roadmap' AND customer_id % 97 = 0").Error
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.EraseCustomer(ctx, "seed5-00000017"); err != nil {
		t.Fatal(err)
	}
	camp := f.campaign(content, segment(`{"field":"attributes.plan","op":"in","value":["free","pro","enterprise"]}`))
	return f, camp
}

// TestPipelinedPagesDecideAsTheSerialPath holds PostgreSQL's planning
// (one pgx statement with every fact, cut into pages read ahead while the
// previous page is decided, buffers reused) to the decisions of the
// serial path, which reads each fact with its own gorm query: every
// customer of three pages, customer by customer. On SQLite both are the
// serial path.
func TestPipelinedPagesDecideAsTheSerialPath(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f, camp := pagedFixture(t, backend)
		planner := campaigns.NewPlanner(benchSettings)
		serial, err := f.s.PlanDecisions(ctx, camp.ID, planner, true)
		if err != nil {
			t.Fatal(err)
		}
		piped, err := f.s.PlanDecisions(ctx, camp.ID, planner, false)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(serial, piped); diff != "" {
			t.Errorf("pipelined decisions differ from the serial path (-serial +pipelined):\n%s", diff)
		}
		reasons := map[string]int{}
		for _, d := range piped {
			reasons[strings.Fields(d)[0]]++
		}
		for _, want := range []string{"planned", string(models.ReasonNoConsent), string(models.ReasonConsentUnverified),
			string(models.ReasonAlreadyReceived)} {
			if reasons[want] == 0 {
				t.Errorf("no customer decided %q (%v): the fixture misses a fact", want, reasons)
			}
		}
		if len(piped) < pagedCustomers*9/10 {
			t.Errorf("%d decisions, want most of %d customers", len(piped), pagedCustomers)
		}
	})
}

// TestTheDeliveriesFactsAreLookedUpByIndex: on PostgreSQL a plan reads
// its audience with one statement (pgFactsQuery), whose dedup and cadence
// facts are read per customer through a deliveries index, never by a
// scan, hash or merge of the deliveries table, which may be far larger
// than the audience. The consent may be joined (the statement reads the
// consents once per plan: issue 17's IN-list queries scanned the whole
// table once per page of 5,000 customers, which is what grew with size).
func TestTheDeliveriesFactsAreLookedUpByIndex(t *testing.T) {
	if !contains(testenv.Backends(), testenv.Postgres) {
		t.Skip("a query plan question of PostgreSQL (" + testenv.EnvDatabaseURL + ")")
	}
	t.Run(testenv.Postgres, func(t *testing.T) {
		ctx := context.Background()
		f, camp := pagedFixture(t, testenv.Postgres)
		if err := f.s.DB().Exec("ANALYZE").Error; err != nil {
			t.Fatal(err)
		}
		q, args, err := f.s.PlanPageStatement(ctx, camp.ID, campaigns.NewPlanner(benchSettings))
		if err != nil {
			t.Fatal(err)
		}
		db, err := f.s.DB().DB()
		if err != nil {
			t.Fatal(err)
		}
		var raw []byte
		if err := db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+q, args...).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var plans []struct{ Plan planNode }
		if err := json.Unmarshal(raw, &plans); err != nil {
			t.Fatal(err)
		}
		var bad []string
		seen := map[string]bool{}
		plans[0].Plan.walk(func(n *planNode) {
			switch n.Relation {
			case "consents":
				seen[n.Relation] = true
			case "deliveries":
				seen[n.Relation] = true
				if !strings.Contains(n.Type, "Index") && n.Type != "Bitmap Heap Scan" {
					bad = append(bad, n.Type+" on "+n.Relation)
				}
			}
			if n.Type == "Hash Join" || n.Type == "Merge Join" || n.Type == "Nested Loop" {
				for i := range n.Plans {
					if c := &n.Plans[i]; c.Parent != "SubPlan" && c.Parent != "InitPlan" && c.reads("deliveries") {
						bad = append(bad, n.Type+" over deliveries")
					}
				}
			}
		})
		if len(bad) > 0 {
			t.Errorf("the plan statement reads deliveries by %v, want index lookups per customer:\n%s", bad, raw)
		}
		if !seen["consents"] || !seen["deliveries"] {
			t.Errorf("the plan statement reads consents %t, deliveries %t; want both (the fixture has earlier deliveries)",
				seen["consents"], seen["deliveries"])
		}
	})
}

// planNode is one node of EXPLAIN (FORMAT JSON).
type planNode struct {
	Type     string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Parent   string     `json:"Parent Relationship"`
	Plans    []planNode `json:"Plans"`
}

// reads reports whether n or a node below it scans relation.
func (n *planNode) reads(relation string) bool {
	found := false
	n.walk(func(m *planNode) { found = found || m.Relation == relation })
	return found
}

func (n *planNode) walk(fn func(*planNode)) {
	fn(n)
	for i := range n.Plans {
		n.Plans[i].walk(fn)
	}
}

// TestTheErasedCustomersAreFoundWithoutReadingEveryCustomer: every launch
// ends by skipping its deliveries to customers erased meanwhile
// (customer_id IN (SELECT id FROM customers WHERE erased_at IS NOT
// NULL)); without customers_erased_idx that read the whole customers
// table once per launch (issue 17: 5,664 buffers at 100,000 customers).
func TestTheErasedCustomersAreFoundWithoutReadingEveryCustomer(t *testing.T) {
	if !contains(testenv.Backends(), testenv.Postgres) {
		t.Skip("a query plan question of PostgreSQL (" + testenv.EnvDatabaseURL + ")")
	}
	t.Run(testenv.Postgres, func(t *testing.T) {
		ctx := context.Background()
		f, _ := pagedFixture(t, testenv.Postgres)
		if err := f.s.DB().Exec("ANALYZE customers").Error; err != nil {
			t.Fatal(err)
		}
		db, err := f.s.DB().DB()
		if err != nil {
			t.Fatal(err)
		}
		var raw []byte
		err = db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) SELECT id FROM customers WHERE erased_at IS NOT NULL").Scan(&raw)
		if err != nil {
			t.Fatal(err)
		}
		var plans []struct{ Plan planNode }
		if err := json.Unmarshal(raw, &plans); err != nil {
			t.Fatal(err)
		}
		plans[0].Plan.walk(func(n *planNode) {
			if n.Relation == "customers" && !strings.Contains(n.Type, "Index") {
				t.Errorf("the erased customers are read by %s, want an index:\n%s", n.Type, raw)
			}
		})
	})
}
