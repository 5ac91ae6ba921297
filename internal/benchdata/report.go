package benchdata

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
	"github.com/candor/candor/seed"
	"github.com/candor/candor/store"
)

// ReportStart is when the SentCampaign's window opens: a Friday morning,
// so its three days span the weekend and Europe's spring change (Sunday
// 29 March 2026, 01:00 UTC).
var ReportStart = time.Date(2026, 3, 27, 6, 0, 0, 0, time.UTC)

// SentCampaign seeds n customers (seed.Load: its zones, windows and
// channels) and writes a completed campaign of approved content with a
// delivery for each of them as the worker leaves it: placed by the
// planner's own schedule.PlaceSend (spread inside the first window
// occurrence of a three-day campaign, the default), sent up to half a
// minute after its planned time but inside its window, with the snapshot
// the worker records and the status history it appends. One in fifty is
// skipped and one in a hundred failed instead; a customer whose windows
// give no slot expires. One recipient in a hundred lowers their cadence
// a day after the campaign (preference history, a downgrade) and one in
// a thousand complains. The deliveries are written with BulkLoad (COPY
// on PostgreSQL), not through launch and the worker, so a million take
// seconds. It returns the campaign and how many deliveries were sent.
func SentCampaign(tb testing.TB, s *store.Store, n int) (*models.Campaign, int64) {
	tb.Helper()
	ctx := context.Background()
	if _, err := seed.Load(ctx, s, seed.Options{Customers: n, Seed: uint64(time.Now().UnixNano())}); err != nil {
		tb.Fatal(err)
	}
	group := fmt.Sprintf("report-%d", time.Now().UnixNano())
	content := approved(tb, s, group)
	seg, err := s.CreateSegment(ctx, &models.SegmentInput{Name: group,
		Rule: json.RawMessage(`{"field":"attributes.group","op":"eq","value":"` + group + `"}`)})
	if err != nil {
		tb.Fatal(err)
	}
	end := ReportStart.Add(72 * time.Hour)
	camp, err := s.CreateCampaign(ctx, &models.CampaignInput{Name: group, ContentID: content, SegmentID: &seg.ID,
		Window: models.CampaignWindow{NotBefore: ReportStart, NotAfter: end}})
	if err != nil {
		tb.Fatal(err)
	}
	db := s.DB()
	if err := db.Exec(`UPDATE campaigns SET state = 'completed', content_version = 1, planned_count = ?, launched_at = ?
		WHERE id = ?`, n, ReportStart.Add(-time.Hour), camp.ID).Error; err != nil {
		tb.Fatal(err)
	}
	recipients := readRecipients(tb, s, n)
	r := rand.New(rand.NewPCG(uint64(n), 13))
	windows := map[string][]models.Window{}
	var sent int64
	rows := func(emit func([]any) error) error {
		for _, c := range recipients {
			ws, ok := windows[c.windows]
			if !ok {
				if err := json.Unmarshal([]byte(c.windows), &ws); err != nil {
					return err
				}
				windows[c.windows] = ws
			}
			loc, err := schedule.LoadZone(c.zone)
			if err != nil {
				return err
			}
			row := deliveryRow{campaign: camp.ID, content: content, c: c, status: "expired", reason: "no_slot", scheduled: end}
			slot, ok := schedule.PlaceSend(schedule.Input{Now: ReportStart, NotBefore: ReportStart, NotAfter: end, Location: loc, Windows: ws},
				schedule.Placement{CampaignID: camp.ID, CustomerID: c.id, Spread: true})
			if ok {
				row.scheduled, row.status, row.reason = slot.At, "sent", ""
				at := slot.At.Add(time.Duration(r.Int64N(int64(30 * time.Second))))
				if !at.Before(slot.WindowEnd) {
					at = slot.At
				}
				at = at.Truncate(time.Microsecond)
				row.sentAt, row.window, row.local = &at, &slot.Window, at.In(loc).Format(time.RFC3339)
				switch x := r.IntN(100); {
				case x < 2:
					row.status, row.reason, row.sentAt, row.window, row.local = "skipped", "consent_withdrawn", nil, nil, ""
				case x < 3:
					row.status, row.reason, row.sentAt, row.window, row.local = "failed", "rejected", nil, nil, ""
				default:
					sent++
				}
			}
			if err := emit(row.values()); err != nil {
				return err
			}
		}
		return nil
	}
	_, err = s.BulkLoad(ctx, store.BulkLoad{Tables: func(int64, *store.BulkLedger) []store.BulkTable {
		return []store.BulkTable{{Name: "deliveries", Columns: deliveryColumns, Rows: rows, Analyze: true}}
	}})
	if err != nil {
		tb.Fatal(err)
	}
	after := end.Add(8 * time.Hour)
	err = db.Exec(`UPDATE customers SET cadence = '{"max":1,"per":"30d"}', preference_version = preference_version + 1, updated_at = ?
		WHERE id IN (SELECT customer_id FROM deliveries WHERE campaign_id = ? AND status = 'sent' AND customer_id % 100 = 0)`,
		after, camp.ID).Error
	if err == nil {
		err = db.Exec(`INSERT INTO events (type, customer_id, data, created_at) SELECT ?, customer_id, '{}', ? FROM deliveries
			WHERE campaign_id = ? AND status = 'sent' AND customer_id % 1000 = 7`, string(models.EventChannelComplained), after, camp.ID).Error
	}
	if err == nil && s.Dialect() == store.DialectPostgres {
		err = db.Exec("ANALYZE deliveries, customers, consent_events, preference_history, events, campaign_report_counts").Error
	}
	if err != nil {
		tb.Fatal(err)
	}
	out, err := s.Campaign(ctx, camp.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return out, sent
}

// recipient is what a delivery needs of its customer.
type recipient struct {
	id                             int64
	zone, windows, channel, locale string
	version                        int
}

// readRecipients reads the n newest customers.
func readRecipients(tb testing.TB, s *store.Store, n int) []recipient {
	tb.Helper()
	rows, err := s.DB().Raw(`SELECT id, timezone, CAST(preferred_windows AS TEXT), preferred_channel, locale, preference_version
		FROM customers WHERE id > (SELECT MAX(id) FROM customers) - ? ORDER BY id`, n).Rows()
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := make([]recipient, 0, n)
	for rows.Next() {
		var c recipient
		if err := rows.Scan(&c.id, &c.zone, &c.windows, &c.channel, &c.locale, &c.version); err != nil {
			tb.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

var deliveryColumns = []string{"campaign_id", "customer_id", "channel", "locale", "content_id", "content_version", "scheduled_at",
	"status", "reason", "generation", "sent_at", "created_at", "updated_at", "queued_at", "task_id", "attempts", "provider_id",
	"address_fingerprint", "send_timezone", "send_window", "send_local", "preference_version", "events"}

// deliveryRow is one delivery of SentCampaign.
type deliveryRow struct {
	campaign, content int64
	c                 recipient
	status, reason    string
	scheduled         time.Time
	sentAt            *time.Time
	window            *int
	local             string
}

// values are the row in deliveryColumns' order, with the worker's status
// history (about 300 bytes, as the worker appends it).
func (d deliveryRow) values() []any {
	created := ReportStart.Add(-time.Hour)
	queued := d.scheduled.Add(-30 * time.Second)
	updated, last := d.scheduled, d.scheduled
	if d.sentAt != nil {
		updated, last = *d.sentAt, *d.sentAt
	}
	events := fmt.Sprintf(`[{"at":%q,"from":"planned","to":"queued","worker":"bench-worker-1"},`+
		`{"at":%q,"from":"queued","to":"sending","worker":"bench-worker-1"},{"at":%q,"from":"sending","to":%q,"reason":%q,"worker":"bench-worker-1"}]`,
		queued.Format(time.RFC3339Nano), d.scheduled.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano), d.status, d.reason)
	var sentAt, window any
	if d.sentAt != nil {
		sentAt = *d.sentAt
	}
	if d.window != nil {
		window = *d.window
	}
	zone, fp := "", ""
	if d.local != "" {
		zone, fp = d.c.zone, fmt.Sprintf("fp-%040d", d.c.id)
	}
	return []any{d.campaign, d.c.id, d.c.channel, d.c.locale, d.content, 1, d.scheduled,
		d.status, d.reason, 1, sentAt, created, updated, queued, fmt.Sprintf("d:%d:%d:1", d.campaign, d.c.id), 1,
		fmt.Sprintf("prov-%d", d.c.id), fp, zone, window, d.local, d.c.version, events}
}
