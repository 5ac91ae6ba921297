package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// reserveCapacity tells capacity about the sends already planned or queued
// in [from, to) on every rate-limited channel of perMinute, leaving out the
// deliveries of skipCampaign (0 leaves out none): a channel's rate is
// shared by all campaigns, not granted to each. Memory stays bounded by
// minutes, not deliveries: rows are streamed into per-minute counters.
func reserveCapacity(ctx context.Context, db *gorm.DB, capacity *campaigns.CapacityPlanner,
	perMinute map[models.Channel]int, skipCampaign int64, from, to time.Time) error {
	var limited []string
	for ch, n := range perMinute {
		if n > 0 {
			limited = append(limited, string(ch))
		}
	}
	if len(limited) == 0 || !from.Before(to) {
		return nil
	}
	rows, err := db.WithContext(ctx).Model(&deliveryRow{}).Select("channel, scheduled_at").
		Where("campaign_id <> ? AND status IN ? AND channel IN ? AND scheduled_at >= ? AND scheduled_at < ?",
			skipCampaign, []string{string(models.DeliveryPlanned), string(models.DeliveryQueued)}, limited,
			from.UTC(), to.UTC()).Rows()
	if err != nil {
		return mapError(err, "Deliveries")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ch string
			at time.Time
		)
		if err := rows.Scan(&ch, &at); err != nil {
			return err
		}
		capacity.Reserve(models.Channel(ch), at)
	}
	return rows.Err()
}
