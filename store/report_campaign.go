package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// CampaignReportFacts aggregates a campaign's deliveries and exclusions
// for its report: counts by status and reason, sends by hour, and the
// recipients who opted out, unsubscribed or complained within
// models.ReactionWindow of their message. It calls sent with the
// campaign's sent deliveries in groups the respect check judges alike
// (reportSent), and changes, if set, with the recipients' changes of
// wishes as PreferenceChanges does; neither may use the store, and their
// errors are returned as they are. Each figure is one grouped query, the
// same SQL on both databases but for the time arithmetic and bounds; on
// PostgreSQL they read one snapshot, so the funnel, respect and reaction
// figures count the same sends. ENOTFOUND if there is no such campaign.
//
// The funnel, the hours and the respect groups come from the counts the
// triggers of migration 00022 keep as deliveries change
// (campaign_report_counts), so they cost a few rows per group whatever
// the campaign's size (they hold planned, queued and sending as one
// pending status, "planned" with no reason: Statuses has that one);
// CampaignReportFactsRecounted counts the same from the deliveries
// themselves, as the audit of those counts.
func (s *Store) CampaignReportFacts(ctx context.Context, id int64, sent func(*models.SentGroup) error,
	changes func(*models.PreferenceChange) error) (*models.CampaignReportFacts, error) {
	return s.campaignReportFactsIn(ctx, id, sent, changes, true)
}

// CampaignReportFactsRecounted is CampaignReportFacts with the funnel,
// hours and respect groups counted from the campaign's deliveries by
// grouped queries (reportStatuses, reportSent) instead of read from the
// kept counts: the audit of those counts, and what every report did
// before them (seconds of database CPU at 1,000,000 deliveries).
func (s *Store) CampaignReportFactsRecounted(ctx context.Context, id int64, sent func(*models.SentGroup) error,
	changes func(*models.PreferenceChange) error) (*models.CampaignReportFacts, error) {
	return s.campaignReportFactsIn(ctx, id, sent, changes, false)
}

func (s *Store) campaignReportFactsIn(ctx context.Context, id int64, sent func(*models.SentGroup) error,
	changes func(*models.PreferenceChange) error, kept bool) (*models.CampaignReportFacts, error) {
	if s.dialect != DialectPostgres {
		// An SQLite transaction takes the write lock at BEGIN
		// (sqliteDSN): a report reads without one.
		return s.campaignReportFacts(s.db.WithContext(ctx), id, sent, changes, kept)
	}
	var f *models.CampaignReportFacts
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").Error; err != nil {
			return mapError(err, "Campaign")
		}
		// A report reads a million rows a few times in large hash joins
		// and aggregates. JIT compiling them cost more than running them
		// (7 s of 96 s at 1,000,000, EXPLAIN ANALYZE), and with the default
		// 4 MB of work memory the customers' hash and the groups spill to
		// disk in dozens of batches: one report may use more, for this
		// transaction only.
		if err := tx.Exec("SET LOCAL jit = off").Error; err != nil {
			return mapError(err, "Campaign")
		}
		if err := tx.Exec("SET LOCAL work_mem = '256MB'").Error; err != nil {
			return mapError(err, "Campaign")
		}
		var err error
		f, err = s.campaignReportFacts(tx, id, sent, changes, kept)
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (s *Store) campaignReportFacts(db *gorm.DB, id int64, sent func(*models.SentGroup) error,
	changes func(*models.PreferenceChange) error, kept bool) (*models.CampaignReportFacts, error) {
	row, err := campaignByID(db, id)
	if err != nil {
		return nil, err
	}
	camp, err := row.model()
	if err != nil {
		return nil, err
	}
	f := &models.CampaignReportFacts{Campaign: camp, Excluded: map[models.Reason]int64{}}
	if f.Topic, err = s.campaignTopic(db, camp); err != nil {
		return nil, mapError(err, "Campaign")
	}
	if row.LaunchedAt == nil {
		// Nothing was sent, and the rows a SQLite launch is writing are
		// not the campaign's until it is launched (see launchedOnly).
		return f, nil
	}
	var span sentSpan
	if kept {
		if span, err = s.reportKeptCounts(db, f, sent); err != nil {
			return nil, err
		}
	} else {
		if span, err = s.reportStatuses(db, f); err != nil {
			return nil, mapError(err, "Campaign")
		}
		if err := s.reportSent(db, f, span.first, sent); err != nil {
			return nil, err
		}
	}
	if err := s.reportExclusions(db, f); err != nil {
		return nil, mapError(err, "Campaign")
	}
	if err := s.reportReactions(db, f, span); err != nil {
		return nil, mapError(err, "Campaign")
	}
	if changes != nil {
		if err := s.preferenceChanges(db, id, span, changes); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// campaignTopic is the topic of what the campaign sends: its pinned
// version's once launched, the content's before.
func (s *Store) campaignTopic(db *gorm.DB, c *models.Campaign) (string, error) {
	if c.ContentVersion > 0 {
		v, err := s.contentVersion(db, versionKey{c.ContentID, c.ContentVersion})
		if err != nil {
			return "", err
		}
		return v.Topic, nil
	}
	var topic string
	return topic, db.Raw("SELECT topic FROM content WHERE id = ?", c.ContentID).Row().Scan(&topic)
}

// reportStatuses counts the deliveries by status and reason and returns
// the span of the sent ones' sent_at.
func (s *Store) reportStatuses(db *gorm.DB, f *models.CampaignReportFacts) (sentSpan, error) {
	var span sentSpan
	rows, err := db.Raw(`SELECT status, reason, COUNT(*), MIN(sent_at), MAX(sent_at) FROM deliveries WHERE campaign_id = ?
		GROUP BY status, reason ORDER BY status, reason`, f.Campaign.ID).Rows()
	if err != nil {
		return span, err
	}
	defer rows.Close()
	for rows.Next() {
		var c models.StatusCount
		var first, last any
		if err := rows.Scan(&c.Status, &c.Reason, &c.Count, &first, &last); err != nil {
			return span, err
		}
		if c.Status == models.DeliverySent && first != nil {
			if span.first == nil || before(first, span.first) {
				span.first = first
			}
			if span.last == nil || before(span.last, last) {
				span.last = last
			}
		}
		f.Statuses = append(f.Statuses, c)
	}
	return span, rows.Err()
}

// before orders two values of a sentSpan as the database orders them
// (times, or text compared as text).
func before(a, b any) bool {
	switch a := a.(type) {
	case time.Time:
		if b, ok := b.(time.Time); ok {
			return a.Before(b)
		}
	case string:
		if b, ok := b.(string); ok {
			return a < b
		}
	case []byte:
		if b, ok := b.([]byte); ok {
			return string(a) < string(b)
		}
	}
	return false
}

func (s *Store) reportExclusions(db *gorm.DB, f *models.CampaignReportFacts) error {
	rows, err := db.Raw(`SELECT reason, COUNT(*) FROM campaign_exclusions WHERE campaign_id = ? GROUP BY reason`,
		f.Campaign.ID).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var reason models.Reason
		var n int64
		if err := rows.Scan(&reason, &n); err != nil {
			return err
		}
		f.Excluded[reason] = n
	}
	return rows.Err()
}

// reportReactions counts the recipients with a reaction recorded after
// their message and within the reaction window: an opt-out of the
// campaign's topic other than by a one-click unsubscribe, a one-click
// unsubscribe (every topic at once), a complaint event. Each query starts
// from the reactions and finds the recipient's delivery by its key
// (campaign, customer). On PostgreSQL it also bounds the reactions by the
// campaign's sends (after the first, at most the window after the last),
// which the window implies, so the partial indexes of migration 00021
// read only the opt-outs and complaints of those days.
func (s *Store) reportReactions(db *gorm.DB, f *models.CampaignReportFacts, span sentSpan) error {
	id := f.Campaign.ID
	optedOut := "r.status = '" + string(models.ConsentOptedOut) + "'"
	queries := []struct {
		dst   *int64
		from  string
		where string
		args  []any
	}{
		// A one-click unsubscribe opts out of every topic: it is counted
		// as an unsubscribe, not also as an opt-out of this topic.
		{&f.TopicOptOuts, "consent_events", optedOut + " AND r.topic = ? AND r.source <> ?", []any{f.Topic, models.SourceOneClick}},
		{&f.Unsubscribes, "consent_events", optedOut + " AND r.source = ?", []any{models.SourceOneClick}},
		{&f.Complaints, "events", "r.type = '" + string(models.EventChannelComplained) + "'", nil},
	}
	bound, boundArgs := s.reactionBounds("r.created_at", span)
	for _, q := range queries {
		args := append(append([]any{id}, q.args...), boundArgs...)
		err := db.Raw(`SELECT COUNT(DISTINCT d.customer_id) FROM `+q.from+` r
			JOIN deliveries d ON d.campaign_id = ? AND d.customer_id = r.customer_id AND d.status = 'sent' AND `+
			s.withinReaction("d.sent_at", "r.created_at")+`
			WHERE `+q.where+bound, args...).Row().Scan(q.dst)
		if err != nil {
			return err
		}
	}
	return nil
}

// sentSpan is the first and the last sent_at of a campaign's sent
// deliveries as the driver reads them (times on PostgreSQL, text on
// SQLite); nil when none has one.
type sentSpan struct{ first, last any }

// reactionBounds is the condition "at is after the first send and at most
// the reaction window after the last" with its arguments, on PostgreSQL
// (empty elsewhere, and when nothing was sent). withinReaction implies it
// for every send of the span, so adding it changes no count.
func (s *Store) reactionBounds(at string, span sentSpan) (string, []any) {
	if s.dialect != DialectPostgres || span.first == nil {
		return "", nil
	}
	days := int(models.ReactionWindow.Hours() / 24)
	return fmt.Sprintf(" AND %[1]s > ? AND %[1]s <= CAST(? AS TIMESTAMPTZ) + INTERVAL '%[2]d days'", at, days),
		[]any{span.first, span.last}
}

// withinReaction is the SQL condition "at is after sent and at most
// models.ReactionWindow after it". SQLite stores times as text with an
// offset, which julianday reads.
func (s *Store) withinReaction(sent, at string) string {
	days := int(models.ReactionWindow.Hours() / 24)
	if s.dialect == DialectPostgres {
		return fmt.Sprintf("%[2]s > %[1]s AND %[2]s <= %[1]s + INTERVAL '%[3]d days'", sent, at, days)
	}
	return fmt.Sprintf("julianday(%[2]s) > julianday(%[1]s) AND julianday(%[2]s) <= julianday(%[1]s) + %[3]d", sent, at, days)
}
