package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/candor/candor/models"
)

// utcDay is the SQL of col's UTC date as YYYY-MM-DD on the store's
// dialect (SQLite keeps times as UTC text already).
func (s *Store) utcDay(col string) string {
	if s.dialect == DialectPostgres {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "date(" + col + ")"
}

// jsonText is the SQL of the text at key of the JSON column col, NULL
// when absent.
func (s *Store) jsonText(col, key string) string {
	if s.dialect == DialectPostgres {
		return col + "->>'" + key + "'"
	}
	return "json_extract(" + col + ", '$." + key + "')"
}

// ContentSends counts the messages sent in [from, to) per content
// version and UTC day, with the version's kind, title and as_of: one row
// per version and day, whatever the number of deliveries.
func (s *Store) ContentSends(ctx context.Context, from, to time.Time) ([]models.ContentSendDay, error) {
	rows, err := s.db.WithContext(ctx).Raw(`SELECT d.content_id, d.content_version, c.kind,
			COALESCE(`+s.jsonText("v.body", "title")+`, ''), COALESCE(`+s.jsonText("v.body", "as_of")+`, ''),
			`+s.utcDay("d.sent_at")+`, COUNT(*)
		FROM deliveries d
		JOIN content c ON c.id = d.content_id
		LEFT JOIN content_versions v ON v.content_id = d.content_id AND v.version = d.content_version
		WHERE d.status = ? AND d.sent_at >= ? AND d.sent_at < ?
		GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 6`, models.DeliverySent, from.UTC(), to.UTC()).Rows()
	if err != nil {
		return nil, mapError(err, "Deliveries")
	}
	defer rows.Close()
	var out []models.ContentSendDay
	for rows.Next() {
		var d models.ContentSendDay
		var day string
		if err := rows.Scan(&d.ContentID, &d.Version, &d.Kind, &d.Title, &d.AsOf, &day, &d.Count); err != nil {
			return nil, mapError(err, "Deliveries")
		}
		if d.Day, err = time.Parse(time.DateOnly, day); err != nil {
			return nil, fmt.Errorf("store: content send day %q: %w", day, err)
		}
		out = append(out, d)
	}
	return out, mapError(rows.Err(), "Deliveries")
}

// ContentApprovals lists the versions approved in [from, to), oldest
// first, with the warnings their approver acknowledged.
func (s *Store) ContentApprovals(ctx context.Context, from, to time.Time) ([]models.ContentApproval, error) {
	rows, err := s.db.WithContext(ctx).Raw(`SELECT content_id, version, approved_at, CAST(acknowledged_warnings AS TEXT)
		FROM content_versions WHERE approved_at >= ? AND approved_at < ? ORDER BY approved_at, content_id, version`,
		from.UTC(), to.UTC()).Rows()
	if err != nil {
		return nil, mapError(err, "Content")
	}
	defer rows.Close()
	var out []models.ContentApproval
	for rows.Next() {
		var a models.ContentApproval
		var warnings sql.NullString
		if err := rows.Scan(&a.ContentID, &a.Version, &a.ApprovedAt, &warnings); err != nil {
			return nil, mapError(err, "Content")
		}
		a.ApprovedAt = a.ApprovedAt.UTC()
		if warnings.String != "" {
			if err := json.Unmarshal([]byte(warnings.String), &a.Warnings); err != nil {
				return nil, fmt.Errorf("store: content %d version %d: acknowledged_warnings: %w", a.ContentID, a.Version, err)
			}
		}
		out = append(out, a)
	}
	return out, mapError(rows.Err(), "Content")
}

// ComplaintActivity counts the channel.complained events recorded in
// [from, to) per UTC day.
func (s *Store) ComplaintActivity(ctx context.Context, from, to time.Time) ([]models.DayCount, error) {
	rows, err := s.db.WithContext(ctx).Raw(`SELECT `+s.utcDay("created_at")+`, COUNT(*) FROM events
		WHERE type = ? AND created_at >= ? AND created_at < ? GROUP BY 1 ORDER BY 1`,
		string(models.EventChannelComplained), from.UTC(), to.UTC()).Rows()
	if err != nil {
		return nil, mapError(err, "Events")
	}
	defer rows.Close()
	var out []models.DayCount
	for rows.Next() {
		var d models.DayCount
		var day string
		if err := rows.Scan(&day, &d.Count); err != nil {
			return nil, mapError(err, "Events")
		}
		if d.Day, err = time.Parse(time.DateOnly, day); err != nil {
			return nil, fmt.Errorf("store: complaint day %q: %w", day, err)
		}
		out = append(out, d)
	}
	return out, mapError(rows.Err(), "Events")
}

// ActiveCampaignContent lists the campaigns that may still send
// (scheduled, running or paused), oldest first, with the version each
// pinned and what it says of itself.
func (s *Store) ActiveCampaignContent(ctx context.Context) ([]models.ActiveContent, error) {
	rows, err := s.db.WithContext(ctx).Raw(`SELECT c.id, c.state, c.content_id, c.content_version,
			COALESCE(`+s.jsonText("v.body", "title")+`, ''), COALESCE(`+s.jsonText("v.body", "as_of")+`, '')
		FROM campaigns c JOIN content_versions v ON v.content_id = c.content_id AND v.version = c.content_version
		WHERE c.state IN (?, ?, ?) ORDER BY c.id`,
		models.CampaignScheduled, models.CampaignRunning, models.CampaignPaused).Rows()
	if err != nil {
		return nil, mapError(err, "Campaigns")
	}
	defer rows.Close()
	var out []models.ActiveContent
	for rows.Next() {
		var a models.ActiveContent
		if err := rows.Scan(&a.CampaignID, &a.State, &a.ContentID, &a.Version, &a.Title, &a.AsOf); err != nil {
			return nil, mapError(err, "Campaigns")
		}
		out = append(out, a)
	}
	return out, mapError(rows.Err(), "Campaigns")
}
