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

// factsCustomerColumns are the customer columns planning decides on; the
// rest (name, attributes, timestamps) planning never reads. The windows
// and cadence are read as the text kept beside their jsonb (migration
// 00032): printing the jsonb for every customer was a quarter of the
// reading backend's CPU.
const factsCustomerColumns = "c.id, c.external_id, c.email, c.phone, c.locale, c.timezone, c.preferred_channel, " +
	"c.preferred_windows_text, c.cadence_text, c.preference_version, c.suppressed, c.erased_at"

// pgFactsQuery returns the one PostgreSQL statement that reads customers
// with every fact planning decides on (issue 17): the consent row of the
// content's topic, whether another campaign already brings the content
// (content dedup) and the instants of the deliveries that weigh on
// cadence, in id order. inner selects the customers
// (factsCustomerColumns) with args as $1..$n.
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
func pgFactsQuery(p *plan, inner string, args []any) (string, []any) {
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	topic := arg(p.version.Topic)
	received := "false"
	if p.anyReceived {
		received = "(SELECT true FROM deliveries pd WHERE pd.customer_id = c.id AND pd.content_id = " +
			arg(p.version.ContentID) + " AND pd.campaign_id <> " + arg(p.campaign.ID) +
			" AND pd.status IN (" + countingList + ") LIMIT 1) IS NOT NULL"
	}
	counted := "NULL::timestamptz[]"
	if p.anyCadence {
		from, to := p.cadenceHorizon()
		counted = "ARRAY(SELECT COALESCE(pd.sent_at, pd.scheduled_at) FROM deliveries pd WHERE pd.customer_id = c.id" +
			" AND pd.campaign_id <> " + arg(p.campaign.ID) + " AND pd.status IN (" + countingList + ")" +
			" AND COALESCE(pd.sent_at, pd.scheduled_at) > " + arg(from) +
			" AND COALESCE(pd.sent_at, pd.scheduled_at) < " + arg(to) + ")"
	}
	query := "SELECT c.id, c.external_id, c.email, c.phone, c.locale, c.timezone, c.preferred_channel, " +
		"c.preferred_windows_text, c.cadence_text, c.preference_version, c.suppressed, c.erased_at, " +
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

// customerFacts returns one customer's facts as a launch reads them, for
// explain: on PostgreSQL the launch's own statement (pgFactsQuery) for
// that customer, customer columns included, so both decide on the same
// values; on SQLite batchFacts over the customer as given. ENOTFOUND when
// the customer is gone.
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
		q, args := pgFactsQuery(p, "SELECT "+factsCustomerColumns+" FROM customers c WHERE c.id = $1", []any{c.ID})
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
