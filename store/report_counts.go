package store

import (
	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// reportKeptCounts fills f's funnel counts and hours from the counts
// migration 00022's triggers keep (campaign_report_counts), calls fn with
// the respect groups they hold, exactly the groups reportSent's grouped
// query finds (the triggers compute each delivery's key with the same
// expressions), and returns the span of the sends. It reads a few rows
// per status and per group, summed over the writers' shards, whatever
// the number of deliveries; only sends whose local time is not in the
// planner's form (none, normally) are read from the deliveries.
func (s *Store) reportKeptCounts(db *gorm.DB, f *models.CampaignReportFacts, fn func(*models.SentGroup) error) (sentSpan, error) {
	var span sentSpan
	id := f.Campaign.ID
	rows, err := db.Raw(`SELECT status, reason, SUM(n), MIN(first_sent_at), MAX(last_sent_at) FROM campaign_report_counts
		WHERE campaign_id = ? GROUP BY status, reason HAVING SUM(n) <> 0 ORDER BY status, reason`, id).Rows()
	if err != nil {
		return span, mapError(err, "Campaign")
	}
	defer rows.Close()
	sent := false
	for rows.Next() {
		var c models.StatusCount
		var first, last any
		if err := rows.Scan(&c.Status, &c.Reason, &c.Count, &first, &last); err != nil {
			return span, mapError(err, "Campaign")
		}
		if c.Status == models.DeliverySent {
			sent = true
			if first != nil && (span.first == nil || before(first, span.first)) {
				span.first = first
			}
			if last != nil && (span.last == nil || before(span.last, last)) {
				span.last = last
			}
		}
		f.Statuses = append(f.Statuses, c)
	}
	if err := rows.Err(); err != nil {
		return span, mapError(err, "Campaign")
	}
	rows.Close()
	if !sent {
		return span, nil
	}
	// The columns of reportSent's grouped query, in its order; '' is
	// "none" in the kept text keys.
	groups, err := db.Raw(`SELECT fast, known, w_timezone, w_windows, send_timezone,
			CASE WHEN send_window = '' THEN NULL ELSE CAST(send_window AS INTEGER) END,
			local_minute, utc_minute, second_ok,
			CASE WHEN utc_hour = '' THEN NULL ELSE CAST(utc_hour AS INTEGER) END,
			CASE WHEN local_hour = '' THEN NULL ELSE local_hour END,
			SUM(n), SUM(on_channel)
		FROM campaign_report_counts WHERE campaign_id = ? AND status = 'sent'
		GROUP BY fast, known, w_timezone, w_windows, send_timezone, send_window, local_minute, utc_minute, second_ok,
			utc_hour, local_hour
		HAVING SUM(n) <> 0`, id).Rows()
	if err != nil {
		return span, mapError(err, "Deliveries")
	}
	return span, s.judgeGroups(db, f, groups, fn)
}
