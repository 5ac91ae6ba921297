package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// countingList is countingStatuses as SQL literals. They are constants of
// the code, never input, and written literally so that PostgreSQL can use
// the partial index deliveries_customer_content_idx whose predicate they
// repeat (a bound list hides it from a generic plan).
var countingList = func() string {
	quoted := make([]string, len(countingStatuses))
	for i, st := range countingStatuses {
		if strings.Trim(st, "abcdefghijklmnopqrstuvwxyz_") != "" {
			panic("store: delivery status " + st + " is not a plain word")
		}
		quoted[i] = "'" + st + "'"
	}
	return strings.Join(quoted, ", ")
}()

// factsColumn is one customer column planning decides on. A profile
// column is read by no rule before or at no_consent (see factsColumns).
type factsColumn struct {
	name    string
	profile bool
}

// factsColumns are the customer columns planning decides on, in the
// order factsScanner scans them; the rest (name, attributes, timestamps)
// planning never reads. The windows and cadence are read as the text
// kept beside their jsonb (migration 00032): printing the jsonb for every
// customer was a quarter of the reading backend's CPU.
//
// The profile columns are the addresses, locale, zone, windows and
// cadence: only the rules after no_consent (channel_unavailable onwards)
// read them. A decision reads them only for a customer whose consent row
// says opted_in, so factsDecide sends them only for such a customer
// (issue 17: two thirds of a launch's audience is excluded for its
// consent, and their profile was a third of the bytes the launch read).
// Every rule before no_consent (erased, suppressed, consent_unverified)
// and no_consent itself read only the columns kept: the id, suppressed,
// erased_at and the consent row with what its MAC covers. The channel is
// kept because a decision carries it whatever the reason, the preference
// version because its scan target is a plain int32.
// campaigns' TestDecideWithoutOptedInConsentReadsNoProfile holds the
// evaluator to that order; TestExplainAndLaunchDecideAlikeForRandomCustomers
// (explain reads every column) holds this statement to it.
var factsColumns = []factsColumn{{"c.id", false}, {"c.external_id", true}, {"c.email", true}, {"c.phone", true},
	{"c.locale", true}, {"c.timezone", true}, {"c.preferred_channel", false}, {"c.preferred_windows_text", true},
	{"c.cadence_text", true}, {"c.preference_version", false}, {"c.suppressed", false}, {"c.erased_at", false}}

// factsCustomerColumns is factsColumns as a select list.
var factsCustomerColumns = func() string {
	names := make([]string, len(factsColumns))
	for i, col := range factsColumns {
		names[i] = col.name
	}
	return strings.Join(names, ", ")
}()

// factsUse says what a statement of pgFactsQuery is read for.
type factsUse int

const (
	// factsDecide: a launch or a preview, which only needs each
	// customer's decision.
	factsDecide factsUse = iota
	// factsExplain: explain, which shows every rule with the values
	// that decided it, so it reads every column of every customer.
	factsExplain
)

// optedIn is the condition under which factsDecide reads a customer's
// profile and the deliveries that weigh on its later rules.
const optedIn = "pc.status = '" + string(models.ConsentOptedIn) + "'"

// pgFactsQuery returns the one PostgreSQL statement that reads customers
// with every fact planning decides on (issue 17): the consent row of the
// content's topic, whether another campaign already brings the content
// (content dedup) and the instants of the deliveries that weigh on
// cadence, in id order. inner selects the customers
// (factsCustomerColumns) with args as $1..$n. For factsDecide the
// profile, dedup and cadence of a customer without opted-in consent are
// NULL (factsColumns): they cannot change its decision, and
// PostgreSQL runs a subquery inside CASE only for the rows that reach it.
//
// A plan runs it once for its whole audience and cuts the rows into
// pages as they arrive (pipedPages), so each table is read at most once
// per plan whatever the join: the consent is a plain LEFT JOIN (the
// primary key (customer_id, topic) allows one row), which PostgreSQL runs
// as a merge join along both primary keys for a large audience, one pass
// over each index instead of a B-tree descent per customer (issue 17:
// the per-customer lookups cost 1.0-1.3 s of backend CPU at 300,000
// customers, the merge join 0.6-0.7 s). Dedup and cadence stay scalar
// subqueries, which it runs per row through the deliveries indexes: the
// deliveries table may be far larger than the audience, and an EXISTS
// could be turned into a hashed scan of every delivery of the content.
func pgFactsQuery(p *plan, inner string, args []any, use factsUse) (string, []any) {
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// only is expr where a decision may read it, NULL elsewhere.
	only := func(expr, elseExpr string) string {
		if use == factsExplain {
			return expr
		}
		return "CASE WHEN " + optedIn + " THEN " + expr + " ELSE " + elseExpr + " END"
	}
	topic := arg(p.version.Topic)
	received := "false"
	if p.anyReceived {
		received = only("(SELECT true FROM deliveries pd WHERE pd.customer_id = c.id AND pd.content_id = "+
			arg(p.version.ContentID)+" AND pd.campaign_id <> "+arg(p.campaign.ID)+
			" AND pd.status IN ("+countingList+") LIMIT 1) IS NOT NULL", "false")
	}
	counted := "NULL::timestamptz[]"
	if p.anyCadence {
		from, to := p.cadenceHorizon()
		counted = only("ARRAY(SELECT COALESCE(pd.sent_at, pd.scheduled_at) FROM deliveries pd WHERE pd.customer_id = c.id"+
			" AND pd.campaign_id <> "+arg(p.campaign.ID)+" AND pd.status IN ("+countingList+")"+
			" AND COALESCE(pd.sent_at, pd.scheduled_at) > "+arg(from)+
			" AND COALESCE(pd.sent_at, pd.scheduled_at) < "+arg(to)+")", "NULL")
	}
	columns := make([]string, len(factsColumns))
	for i, col := range factsColumns {
		columns[i] = col.name
		if col.profile {
			columns[i] = only(col.name, "NULL")
		}
	}
	query := "SELECT " + strings.Join(columns, ", ") + ", " +
		"pc.status, pc.source, pc.seq, pc.key_id, pc.event_hash, pc.mac, " + received + ", " + counted +
		" FROM (" + inner + ") c LEFT JOIN consents pc ON pc.customer_id = c.id AND pc.topic = " + topic + " ORDER BY c.id"
	return query, args
}

// pgAudience is the inner query of pgFactsQuery for p's whole audience,
// with its arguments (pgFactsQuery orders it).
func (s *Store) pgAudience(p *plan) (string, []any) {
	q := s.audienceQuery(p)
	return "SELECT " + factsCustomerColumns + " FROM " + q.from + " WHERE " + q.where, q.args
}

// audienceQuery selects p's audience: segment members, or for a
// correction everyone who received the corrected content (erased ones
// included, so they are counted as erased).
func (s *Store) audienceQuery(p *plan) memberQuery {
	if p.rule != nil {
		return s.compile(p.rule)
	}
	q := memberQuery{from: "customers c"}
	q.where = "EXISTS (SELECT 1 FROM deliveries d WHERE d.customer_id = c.id AND d.content_id = " +
		s.placeholder(&q, *p.campaign.RecipientsOf) + " AND d.status IN ('sent', 'unknown'))"
	return q
}

// customerFacts returns one customer's facts for explain: on PostgreSQL
// the launch's statement (pgFactsQuery) for that customer with every
// column (factsExplain), since explain shows every rule, so both decide
// on the same values; on SQLite batchFacts over the customer as given.
// ENOTFOUND when the customer is gone.
func (s *Store) customerFacts(ctx context.Context, db *gorm.DB, p *plan, c *models.Customer) (*models.PlanFacts, error) {
	if s.dialect != DialectPostgres {
		facts, err := s.batchFacts(db, p, []*models.Customer{c})
		if err != nil {
			return nil, err
		}
		return &facts[0], nil
	}
	var page factsPage
	err := s.withPgx(ctx, func(conn *pgx.Conn) error {
		q, args := pgFactsQuery(p, "SELECT "+factsCustomerColumns+" FROM customers c WHERE c.id = $1", []any{c.ID}, factsExplain)
		return s.newFactsScanner(p.version.Topic).read(ctx, conn, q, args, &page)
	})
	if err != nil {
		return nil, mapError(err, "Customer")
	}
	if len(page.facts) == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "Customer not found.")
	}
	return &page.facts[0], nil
}
