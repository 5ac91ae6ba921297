package store

import (
	"slices"
	"strconv"
	"strings"

	"github.com/candor/candor/models"
)

// Consent conditions compile to one LEFT JOIN of consents per referenced
// topic, and each condition compares the joined status. Earlier each
// condition was its own EXISTS subquery: PostgreSQL planned an OR of 200
// of them far worse than linearly (issue 15: 44 s for 200 conditions on
// 1,015 customers). With one join per topic the statement grows with the
// rule and the planner sees plain joins it can hash; segment.MaxRuleTopics
// bounds how many joins a rule can ask for.
//
// consents has the primary key (customer_id, topic), so each join adds at
// most one row per customer and the query keeps one row per customer.

// consentAlias is the alias of the i-th topic's join. Aliases are made of
// the index only: topic keys never reach the SQL text.
func consentAlias(i int) string { return "k" + strconv.Itoa(i) }

// consentJoins assigns each topic r names an alias, in the order of first
// mention, and returns their joins. Its arguments are bound before the
// WHERE expression's, as the joins precede it in the statement (SQLite's
// placeholders are positional).
func (b *ruleSQL) consentJoins(r *models.Rule) string {
	b.topics = map[string]string{}
	var sb strings.Builder
	var walk func(r *models.Rule)
	walk = func(r *models.Rule) {
		if c := r.Cond; c != nil && c.Kind == models.FieldConsent {
			if _, seen := b.topics[c.Topic]; !seen {
				alias := consentAlias(len(b.topics))
				b.topics[c.Topic] = alias
				sb.WriteString(" LEFT JOIN consents " + alias + " ON " + alias + ".customer_id = c.id AND " +
					alias + ".topic = " + b.arg(c.Topic))
			}
		}
		for _, child := range r.Children {
			walk(child)
		}
	}
	walk(r)
	return sb.String()
}

// consentStatusSQL are the statuses as SQL literals. They are the
// language's own constants, never user text.
var consentStatusSQL = func() map[models.ConsentStatus]string {
	m := map[models.ConsentStatus]string{}
	for _, st := range models.ConsentConditionValues {
		m[st] = "'" + string(st) + "'"
	}
	return m
}()

// consent matches the topic's current status, where "none" is the absence
// of a record: COALESCE turns the missing join row into 'none', so the
// expression is never NULL.
func (b *ruleSQL) consent(c *models.Condition) string {
	want := map[string]bool{}
	switch c.Op {
	case models.OpEq, models.OpNe:
		want[c.Value.Str] = true
	default:
		for _, v := range c.Value.List {
			want[v.Str] = true
		}
	}
	negate := c.Op == models.OpNe || c.Op == models.OpNotIn
	var in []string
	for _, st := range models.ConsentConditionValues {
		if want[string(st)] != negate {
			in = append(in, consentStatusSQL[st])
		}
	}
	if len(in) == 0 {
		return sqlFalse
	}
	alias := b.topics[c.Topic]
	if b.negations == 0 && !slices.Contains(in, consentStatusSQL[models.ConsentNone]) {
		// With no NOT above it, a condition that "none" cannot satisfy
		// may be NULL for a customer without a record: AND and OR treat
		// that NULL as false all the way up to WHERE. The plain comparison
		// is strict, so PostgreSQL turns the LEFT JOIN into an inner join
		// and reads the topic's consents by (topic, status, customer_id)
		// instead of scanning every consent row (issue 17: the reference
		// segment preview read all 297 MB of consents at 1M customers).
		return "(" + alias + ".status IN (" + strings.Join(in, ", ") + "))"
	}
	return "(COALESCE(" + alias + ".status, 'none') IN (" + strings.Join(in, ", ") + "))"
}
