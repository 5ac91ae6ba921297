package store

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// reportSent calls fn with the campaign's sent deliveries in groups the
// respect check judges alike (models.SentGroup), and counts them by hour
// into f: the hour of sent_at in UTC and the hour of the local time the
// snapshot recorded (RFC 3339, so characters 12-13), for those with one.
//
// The check (campaigns/report.Judge.Respect) reads the delivery's
// channel, zone, window, local time and send instant and the wishes in
// force at the send (as SentRecords finds them). The channel verdict is
// its own rule (the delivery's channel is the wishes' one), counted here
// per group (OnChannel) so channels do not split groups. A million sends
// share few of the rest but the instant: one grouped query merges the
// sends of one local minute whose snapshot has the strict RFC 3339 form
// the planner writes ("fast"), keeping of the instant only what the
// check's first test asks (is the local time the send instant, to the
// second?). The judge confirms that a minute's seconds are alike before
// trusting the group. Every other sent delivery (a local time of another
// form, no send instant) is streamed one by one through SentRecords' own
// query, so the two paths cannot disagree about its wishes.
//
// first is the earliest sent_at of the campaign (reportStatuses): only
// history replaced after it can be the wishes of one of its sends, and an
// index finds those (migration 00021). SQLite reads without a snapshot,
// so it asks the same question inside the statement.
func (s *Store) reportSent(db *gorm.DB, f *models.CampaignReportFacts, first any, fn func(*models.SentGroup) error) error {
	id := f.Campaign.ID
	if !slices.ContainsFunc(f.Statuses, func(c models.StatusCount) bool { return c.Status == models.DeliverySent }) {
		return nil
	}
	since, sinceArg := "?", first
	if s.dialect != DialectPostgres {
		since, sinceArg = "(SELECT MIN(sent_at) FROM deliveries WHERE campaign_id = ? AND status = 'sent')", id
	}
	x := s.sentExprs()
	fk := "CASE WHEN fast AND known THEN "
	rows, err := db.Raw(`WITH firsts AS (
			SELECT delivery_id, version, preferred_channel, timezone, preferred_windows FROM (
				SELECT x.id AS delivery_id, p.version, p.preferred_channel, p.timezone, p.preferred_windows,
					ROW_NUMBER() OVER (PARTITION BY x.id ORDER BY p.replaced_at, p.id) AS rn
				FROM preference_history p
				JOIN deliveries x ON x.customer_id = p.customer_id AND x.campaign_id = ? AND x.status = 'sent'
					AND p.replaced_at > x.sent_at
				WHERE p.replaced_at > `+since+`) ranked
			WHERE rn = 1)
		SELECT fast, `+fk+`TRUE ELSE FALSE END, `+fk+`w_timezone END, `+fk+`w_windows END,
			`+fk+`send_timezone END, `+fk+`send_window END,
			`+fk+`substr(send_local, 1, 17) || '00' || substr(send_local, 20) END,
			`+fk+x.utcMinute+` END, `+fk+x.utcSecond+` = substr(send_local, 18, 2) END,
			CASE WHEN send_local <> '' THEN `+x.utcHour+` END, CASE WHEN send_local <> '' THEN `+x.localHour+` END,
			COUNT(*), SUM(CASE WHEN channel <> '' AND channel = w_channel THEN 1 ELSE 0 END)
		FROM (SELECT `+x.fast("d")+` AS fast, d.sent_at, d.send_local, d.channel, d.send_timezone, d.send_window,
				COALESCE((CASE WHEN h.delivery_id IS NOT NULL THEN h.version WHEN c.erased_at IS NULL THEN c.preference_version END)
					= d.preference_version, FALSE) AS known,
				CASE WHEN h.delivery_id IS NOT NULL THEN h.preferred_channel ELSE c.preferred_channel END AS w_channel,
				CASE WHEN h.delivery_id IS NOT NULL THEN h.timezone ELSE c.timezone END AS w_timezone,
				CASE WHEN h.delivery_id IS NOT NULL THEN CAST(h.preferred_windows AS TEXT) ELSE CAST(c.preferred_windows AS TEXT) END AS w_windows
			FROM deliveries d
			JOIN customers c ON c.id = d.customer_id
			LEFT JOIN firsts h ON h.delivery_id = d.id
			WHERE d.campaign_id = ? AND d.status = 'sent') s
		GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11`, id, sinceArg, id).Rows()
	if err != nil {
		return mapError(err, "Deliveries")
	}
	return s.judgeGroups(db, f, rows, fn)
}

// judgeGroups reads reportSent's groups from rows (the columns of its
// grouped query, or of the kept counts in the same order), counts their
// hours into f and calls fn with each; the sends that are not "fast"
// are then streamed one by one from the campaign's deliveries.
func (s *Store) judgeGroups(db *gorm.DB, f *models.CampaignReportFacts, rows *sql.Rows, fn func(*models.SentGroup) error) error {
	id := f.Campaign.ID
	x := s.sentExprs()
	defer rows.Close()
	dec := newPrefDecoder()
	var slow int64
	for rows.Next() {
		var (
			fast, known         bool
			wZone, wWins        sql.NullString
			zone, local, minute sql.NullString
			window, utcHour     sql.NullInt64
			localHour           sql.NullString
			second              sql.NullBool
			n, on               int64
		)
		if err := rows.Scan(&fast, &known, &wZone, &wWins, &zone, &window, &local, &minute, &second,
			&utcHour, &localHour, &n, &on); err != nil {
			return mapError(err, "Deliveries")
		}
		if h := utcHour.Int64; utcHour.Valid && h >= 0 && h < 24 {
			f.UTCHours[h] += n
		}
		if h, err := strconv.Atoi(localHour.String); err == nil && localHour.Valid && h >= 0 && h < 24 {
			f.LocalHours[h] += n
		}
		if !fast {
			slow += n
			continue
		}
		g := &models.SentGroup{Minute: true, Count: n, OnChannel: on}
		if known {
			g.Record = models.SentRecord{Snapshot: models.SendSnapshot{Timezone: zone.String, Local: local.String}}
			if window.Valid {
				w := int(window.Int64)
				g.Record.Snapshot.Window = &w
			}
			// The group's sends are at their local time (to the
			// second) exactly when its first second, in UTC, is in the
			// minute of their truncated instants and the seconds agree.
			if t0, err := time.Parse(time.RFC3339, local.String); err == nil && second.Bool &&
				t0.UTC().Format("2006-01-02T15:04") == minute.String {
				g.Record.SentAt = t0.UTC()
			}
			var err error
			if g.Record.Wishes, err = dec.preferences(prefColumns{timezone: wZone, windows: wWins}); err != nil {
				return err
			}
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return mapError(err, "Deliveries")
	}
	rows.Close()
	if slow == 0 {
		return nil
	}
	return s.sentRecords(db, id, "NOT "+x.fast("d"), func(r *models.SentRecord) error {
		g := &models.SentGroup{Record: *r, Count: 1}
		if r.Wishes != nil && r.Channel != "" && r.Channel == r.Wishes.Channel {
			g.OnChannel = 1
		}
		return fn(g)
	})
}

// sentExprs are reportSent's dialect-specific SQL expressions over the
// columns of a sent delivery.
type sentExprs struct {
	// utcMinute and utcSecond are sent_at truncated to the minute
	// ("2006-01-02T15:04") and its seconds ("05"), in UTC; utcHour and
	// localHour the hours reports count (localHour as text on
	// PostgreSQL, whose CAST fails on a malformed one: Go reads it).
	utcMinute, utcSecond, utcHour, localHour string
	// sentAtOK is true where the two above read sent_at exactly.
	sentAtOK func(alias string) string
}

// strictLocal is true for a send_local of the form the planner writes:
// "2006-01-02T15:04:05Z" or "2006-01-02T15:04:05+07:00" by length and
// separators (digits are for time.Parse to judge).
func strictLocal(col string) string {
	return fmt.Sprintf(`((length(%[1]s) = 20 AND substr(%[1]s, 20, 1) = 'Z') OR
		(length(%[1]s) = 25 AND substr(%[1]s, 20, 1) IN ('+', '-') AND substr(%[1]s, 23, 1) = ':'))`, col)
}

func (s *Store) sentExprs() sentExprs {
	if s.dialect == DialectPostgres {
		return sentExprs{
			utcMinute: `to_char(sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI')`,
			utcSecond: `to_char(sent_at AT TIME ZONE 'UTC', 'SS')`,
			utcHour:   "CAST(EXTRACT(HOUR FROM sent_at AT TIME ZONE 'UTC') AS INTEGER)",
			localHour: "substr(send_local, 12, 2)",
			sentAtOK:  func(a string) string { return a + ".sent_at IS NOT NULL" },
		}
	}
	// The driver writes times as "2006-01-02 15:04:05.999999999-07:00"
	// and the store writes them in UTC: read such text by position (the
	// date functions round to the millisecond, which can carry into the
	// next second); any other form goes the slow way.
	return sentExprs{
		utcMinute: "substr(sent_at, 1, 10) || 'T' || substr(sent_at, 12, 5)",
		utcSecond: "substr(sent_at, 18, 2)",
		utcHour:   "CAST(strftime('%H', sent_at) AS INTEGER)",
		localHour: "CAST(substr(send_local, 12, 2) AS INTEGER)",
		sentAtOK: func(a string) string {
			return fmt.Sprintf(`(typeof(%[1]s.sent_at) = 'text' AND %[1]s.sent_at LIKE '____-__-__ __:__:__%%'
				AND substr(%[1]s.sent_at, -6) = '+00:00' AND (length(%[1]s.sent_at) = 25 OR substr(%[1]s.sent_at, 20, 1) = '.'))`, a)
		},
	}
}

// fast is true for the sent deliveries reportSent groups by minute.
func (x sentExprs) fast(alias string) string {
	return "COALESCE(" + x.sentAtOK(alias) + " AND " + strictLocal(alias+".send_local") + ", FALSE)"
}
