package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/candor/candor/models"
)

// ConsentActivity counts the opt-ins and opt-outs recorded in [from, to)
// per topic and UTC day (bounded by topics x days x 2 rows, whatever the
// ledger's size).
func (s *Store) ConsentActivity(ctx context.Context, from, to time.Time) ([]models.ConsentDay, error) {
	day := "date(created_at)"
	if s.dialect == DialectPostgres {
		day = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	rows, err := s.db.WithContext(ctx).Raw(`SELECT topic, `+day+`, status, COUNT(*) FROM consent_events
		WHERE created_at >= ? AND created_at < ? AND status IN (?, ?) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
		from.UTC(), to.UTC(), models.ConsentOptedIn, models.ConsentOptedOut).Rows()
	if err != nil {
		return nil, mapError(err, "Consent")
	}
	defer rows.Close()
	var out []models.ConsentDay
	for rows.Next() {
		var d models.ConsentDay
		var raw string
		if err := rows.Scan(&d.Topic, &raw, &d.Status, &d.Count); err != nil {
			return nil, mapError(err, "Consent")
		}
		if d.Day, err = time.Parse(time.DateOnly, raw); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, mapError(rows.Err(), "Consent")
}

// SendPressure counts, for the messages sent or possibly sent (unknown)
// in [from, to), how many customers received each number of them: one
// row per distinct number, so the answer stays small while the
// percentiles computed from it are exact on both databases.
func (s *Store) SendPressure(ctx context.Context, from, to time.Time) ([]models.CountBucket, error) {
	rows, err := s.db.WithContext(ctx).Raw(`SELECT n, COUNT(*) FROM (
			SELECT customer_id, COUNT(*) AS n FROM deliveries
			WHERE status IN (?, ?) AND sent_at >= ? AND sent_at < ? GROUP BY customer_id) per_customer
		GROUP BY n ORDER BY n`, models.DeliverySent, models.DeliveryUnknown, from.UTC(), to.UTC()).Rows()
	if err != nil {
		return nil, mapError(err, "Deliveries")
	}
	defer rows.Close()
	var out []models.CountBucket
	for rows.Next() {
		var b models.CountBucket
		if err := rows.Scan(&b.N, &b.Customers); err != nil {
			return nil, mapError(err, "Deliveries")
		}
		out = append(out, b)
	}
	return out, mapError(rows.Err(), "Deliveries")
}

// CadenceLimited counts the live customers whose messages sent (or
// possibly sent: unknown) in (to - period, to] reached their own
// cadence's maximum, and, when limit is set, those that reached it (the
// service-wide cap). Customers share a handful of cadences: one grouped
// count per distinct cadence, each a join of that cadence's customers
// with their deliveries.
func (s *Store) CadenceLimited(ctx context.Context, to time.Time, limit *models.Cadence) (own, capped int64, err error) {
	db := s.db.WithContext(ctx)
	var cadences []string
	if err := db.Raw(`SELECT DISTINCT CAST(cadence AS TEXT) FROM customers WHERE cadence IS NOT NULL AND erased_at IS NULL`).
		Scan(&cadences).Error; err != nil {
		return 0, 0, mapError(err, "Customers")
	}
	count := func(cond string, max int, period time.Duration, args ...any) (int64, error) {
		var n int64
		args = append(args, models.DeliverySent, models.DeliveryUnknown, to.Add(-period).UTC(), to.UTC(), max)
		err := db.Raw(`SELECT COUNT(*) FROM (SELECT d.customer_id FROM deliveries d JOIN customers c ON c.id = d.customer_id
			WHERE `+cond+` AND d.status IN (?, ?) AND d.sent_at > ? AND d.sent_at <= ?
			GROUP BY d.customer_id HAVING COUNT(*) >= ?) at_limit`, args...).Row().Scan(&n)
		return n, err
	}
	for _, raw := range cadences {
		var c models.Cadence
		if json.Unmarshal([]byte(raw), &c) != nil || c.Max < 1 || c.Period() <= 0 {
			continue // validation never stores such a cadence
		}
		n, err := count("c.erased_at IS NULL AND CAST(c.cadence AS TEXT) = ?", c.Max, c.Period(), raw)
		if err != nil {
			return 0, 0, mapError(err, "Deliveries")
		}
		own += n
	}
	if limit != nil && limit.Max > 0 && limit.Period() > 0 {
		if capped, err = count("c.erased_at IS NULL", limit.Max, limit.Period()); err != nil {
			return 0, 0, mapError(err, "Deliveries")
		}
	}
	return own, capped, nil
}

// DueBacklog counts the planned and queued deliveries of every campaign
// whose scheduled time is at or before now, and returns the earliest
// such time (zero when there is none): the queue depth and the age of
// the oldest due delivery that /metrics exports. Both read only
// deliveries_pending_idx, which holds the open work alone.
func (s *Store) DueBacklog(ctx context.Context, now time.Time) (int64, time.Time, error) {
	db := s.db.WithContext(ctx)
	due := "status IN (?, ?) AND scheduled_at <= ?" + s.launchedOnly("campaign_id")
	args := []any{models.DeliveryPlanned, models.DeliveryQueued, now.UTC()}
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM deliveries WHERE "+due, args...).Scan(&n).Error; err != nil || n == 0 {
		return 0, time.Time{}, mapError(err, "Deliveries")
	}
	// ORDER BY ... LIMIT 1, not MIN(): SQLite's MIN returns the stored
	// text, which no longer scans as a time.
	var oldest []time.Time
	if err := db.Raw("SELECT scheduled_at FROM deliveries WHERE "+due+" ORDER BY scheduled_at LIMIT 1", args...).
		Scan(&oldest).Error; err != nil || len(oldest) == 0 {
		return n, time.Time{}, mapError(err, "Deliveries")
	}
	return n, oldest[0].UTC(), nil
}
