package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// CampaignReportFacts aggregates a campaign's deliveries and exclusions
// for its report: counts by status and reason, sends by hour, and the
// recipients who opted out, unsubscribed or complained within
// models.ReactionWindow of their message. Each figure is one grouped
// query over the campaign's rows, the same SQL on both databases but for
// the time arithmetic. ENOTFOUND if there is no such campaign.
func (s *Store) CampaignReportFacts(ctx context.Context, id int64) (*models.CampaignReportFacts, error) {
	db := s.db.WithContext(ctx)
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
	steps := []func(*gorm.DB, *models.CampaignReportFacts) error{s.reportStatuses, s.reportExclusions, s.reportHours, s.reportReactions}
	for _, step := range steps {
		if err := step(db, f); err != nil {
			return nil, mapError(err, "Campaign")
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

func (s *Store) reportStatuses(db *gorm.DB, f *models.CampaignReportFacts) error {
	rows, err := db.Raw(`SELECT status, reason, COUNT(*) FROM deliveries WHERE campaign_id = ?
		GROUP BY status, reason ORDER BY status, reason`, f.Campaign.ID).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c models.StatusCount
		if err := rows.Scan(&c.Status, &c.Reason, &c.Count); err != nil {
			return err
		}
		f.Statuses = append(f.Statuses, c)
	}
	return rows.Err()
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

// reportHours counts sent deliveries by UTC hour and by the hour of the
// local time their snapshot recorded (RFC 3339, so characters 12-13).
func (s *Store) reportHours(db *gorm.DB, f *models.CampaignReportFacts) error {
	utc := "CAST(strftime('%H', sent_at) AS INTEGER)"
	if s.dialect == DialectPostgres {
		utc = "CAST(EXTRACT(HOUR FROM sent_at AT TIME ZONE 'UTC') AS INTEGER)"
	}
	rows, err := db.Raw(`SELECT `+utc+`, CAST(substr(send_local, 12, 2) AS INTEGER), COUNT(*) FROM deliveries
		WHERE campaign_id = ? AND status = 'sent' AND send_local <> '' GROUP BY 1, 2`, f.Campaign.ID).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var u, l int
		var n int64
		if err := rows.Scan(&u, &l, &n); err != nil {
			return err
		}
		if u >= 0 && u < 24 {
			f.UTCHours[u] += n
		}
		if l >= 0 && l < 24 {
			f.LocalHours[l] += n
		}
	}
	return rows.Err()
}

// reportReactions counts the recipients with a reaction recorded after
// their message and within the reaction window: an opt-out of the
// campaign's topic other than by a one-click unsubscribe, a one-click unsubscribe (every topic at once), a
// complaint event.
func (s *Store) reportReactions(db *gorm.DB, f *models.CampaignReportFacts) error {
	id := f.Campaign.ID
	queries := []struct {
		dst  *int64
		sql  string
		args []any
	}{
		// A one-click unsubscribe opts out of every topic: it is counted
		// as an unsubscribe, not also as an opt-out of this topic.
		{&f.TopicOptOuts, `consent_events r ON r.customer_id = d.customer_id AND r.topic = ? AND r.status = ? AND r.source <> ? AND ` +
			s.withinReaction("d.sent_at", "r.created_at"), []any{f.Topic, models.ConsentOptedOut, models.SourceOneClick}},
		{&f.Unsubscribes, `consent_events r ON r.customer_id = d.customer_id AND r.source = ? AND r.status = ? AND ` +
			s.withinReaction("d.sent_at", "r.created_at"), []any{models.SourceOneClick, models.ConsentOptedOut}},
		{&f.Complaints, `events r ON r.customer_id = d.customer_id AND r.type = ? AND ` +
			s.withinReaction("d.sent_at", "r.created_at"), []any{string(models.EventChannelComplained)}},
	}
	for _, q := range queries {
		args := append(q.args, id, models.DeliverySent)
		err := db.Raw(`SELECT COUNT(DISTINCT d.customer_id) FROM deliveries d JOIN `+q.sql+`
			WHERE d.campaign_id = ? AND d.status = ?`, args...).Row().Scan(q.dst)
		if err != nil {
			return err
		}
	}
	return nil
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
