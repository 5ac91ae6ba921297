package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// reserveCapacity tells the plan about the sends already planned or queued
// in [from, to) on every channel whose rate it limits, leaving out the
// deliveries of skipCampaign (0 leaves out none): a channel's rate is
// shared by all campaigns, not granted to each. The database counts them
// per minute, so a busy system sends one row per used minute, not one per
// delivery, and memory stays bounded by minutes.
func (s *Store) reserveCapacity(ctx context.Context, db *gorm.DB, p models.CampaignPlan, skipCampaign int64, from, to time.Time) error {
	var limited []string
	for _, ch := range p.RateLimited() {
		limited = append(limited, string(ch))
	}
	// A send earlier in from's minute still uses that minute's rate.
	from = from.Truncate(time.Minute)
	if len(limited) == 0 || !from.Before(to) {
		return nil
	}
	// SQLite stores UTC times as text with a fixed-width prefix
	// ("2006-01-02 15:04"), so the minute is a prefix of it.
	minute := "date_trunc('minute', scheduled_at)"
	if s.dialect == DialectSQLite {
		minute = "substr(scheduled_at, 1, 16)"
	}
	rows, err := db.WithContext(ctx).Model(&deliveryRow{}).Select("channel, "+minute+" AS minute, COUNT(*) AS n").
		// The statuses are literals: SQLite uses the partial index
		// deliveries_pending_idx only when the query repeats its predicate.
		Where("status IN ('planned', 'queued') AND campaign_id <> ? AND channel IN ? AND scheduled_at >= ? AND scheduled_at < ?"+
			s.launchedOnly("campaign_id"),
			skipCampaign, limited, from.UTC(), to.UTC()).Group("channel, minute").Rows()
	if err != nil {
		return mapError(err, "Deliveries")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ch string
			m  any
			n  int
		)
		if err := rows.Scan(&ch, &m, &n); err != nil {
			return err
		}
		at, err := minuteOf(m)
		if err != nil {
			return err
		}
		p.Reserve(models.Channel(ch), at, n)
	}
	return rows.Err()
}

// minuteOf reads a minute bucket as each dialect returns it.
func minuteOf(v any) (time.Time, error) {
	switch m := v.(type) {
	case time.Time:
		return m, nil
	case string:
		return time.Parse("2006-01-02 15:04", m)
	case []byte:
		return time.Parse("2006-01-02 15:04", string(m))
	}
	return time.Time{}, fmt.Errorf("store: unexpected minute bucket %T", v)
}
