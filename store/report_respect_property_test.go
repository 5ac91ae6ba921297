package store_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

// respectTemplate is what several random sends share: the customer's
// zone, windows and channel, and the minute of the send.
type respectTemplate struct {
	zone    string
	loc     *time.Location
	windows []models.Window
	channel models.Channel
	minute  time.Time
}

// TestCampaignReportRespectByGroupsAgreesWithTheRecordByRecordAudit holds
// the report's grouped respect figure to the record-by-record judge (its
// oracle, SentRecords + Judge.Respect) on random sends: instants around
// the 2026 daylight-saving changes with random seconds and fractions
// (0.9999994 s, where SQLite's date functions would round into the next
// second), wishes changed before and after the send, erased customers,
// stale preference versions, and snapshots that lie in every way the
// judge checks or that the fast path cannot read (fractions, lowercase
// letters, empty, malformed, another zone, no sent_at). It compares the
// verdicts of the groups storage returns, counted by their size, with
// the verdicts of every record, and the service's figure with its audit.
func TestCampaignReportRespectByGroupsAgreesWithTheRecordByRecordAudit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		const n = 300
		for i := range n {
			f.add(fmt.Sprintf("p%03d", i), "prop", nil)
		}
		camp := f.launch(nil, "prop")
		r := rand.New(rand.NewPCG(13, uint64(len(backend))))
		templates := respectTemplates(t, r, 40)
		db := f.s.DB()
		rows, err := db.Raw("SELECT id, customer_id FROM deliveries WHERE campaign_id = ? ORDER BY id", camp.ID).Rows()
		if err != nil {
			t.Fatal(err)
		}
		var pairs [][2]int64
		for rows.Next() {
			var p [2]int64
			if err := rows.Scan(&p[0], &p[1]); err != nil {
				t.Fatal(err)
			}
			pairs = append(pairs, p)
		}
		rows.Close()
		if len(pairs) != n {
			t.Fatalf("launch planned %d, want %d", len(pairs), n)
		}
		for _, p := range pairs {
			randomSend(t, r, db, templates[r.IntN(len(templates))], templates, p[0], p[1])
		}

		j := report.Judge{}
		var want, got respectTally
		if err := f.s.SentRecords(f.ctx, camp.ID, func(rec *models.SentRecord) error {
			v := j.Respect(rec)
			on := int64(0)
			if v.OnChannel {
				on = 1
			}
			want.add(v, 1, on)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		groups, biggest := 0, int64(0)
		if _, err := f.s.CampaignReportFacts(f.ctx, camp.ID, func(g *models.SentGroup) error {
			got.add(j.Respect(&g.Record), g.Count, g.OnChannel)
			groups++
			biggest = max(biggest, g.Count)
			return nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(respectTally{})); diff != "" {
			t.Errorf("the groups' figure differs from the records' (-records +groups):\n%s", diff)
		}
		// The data must exercise what it claims to.
		if want.sent != n || want.inWindow < n/10 || want.inWindow > want.verifiable*9/10 || want.sent == want.verifiable ||
			want.respected == want.inWindow || groups >= n || biggest < 3 {
			t.Errorf("weak data: %+v in %d groups, the largest of %d", want, groups, biggest)
		}

		svc := report.NewService(f.s, sendSettings)
		rep, err := svc.CampaignReport(f.ctx, camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		audit, err := svc.AuditRespect(f.ctx, camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(audit, rep.Respect); diff != "" {
			t.Errorf("report respect differs from its audit (-audit +report):\n%s", diff)
		}
	})
}

// respectTally is a respect figure without its shares.
type respectTally struct{ sent, verifiable, inWindow, onChannel, respected int64 }

// add counts n records judged v, on of them on the preferred channel.
func (r *respectTally) add(v report.Verdict, n, on int64) {
	r.sent += n
	if !v.Verifiable {
		return
	}
	r.verifiable += n
	r.onChannel += on
	if v.InWindow {
		r.inWindow += n
		r.respected += on
	}
}

// respectTemplates returns k templates in zones with daylight-saving
// changes (and two without), each a minute within a day and a half of a
// 2026 change.
func respectTemplates(t *testing.T, r *rand.Rand, k int) []respectTemplate {
	t.Helper()
	zones := []string{"Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC"}
	changes := []time.Time{time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), time.Date(2026, 4, 4, 15, 0, 0, 0, time.UTC)}
	out := make([]respectTemplate, k)
	for i := range out {
		zone := zones[r.IntN(len(zones))]
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		ch := models.ChannelEmail
		if r.IntN(4) == 0 {
			ch = models.ChannelSMS
		}
		out[i] = respectTemplate{zone: zone, loc: loc, windows: propWindows(r), channel: ch,
			minute: changes[r.IntN(len(changes))].Add(time.Duration(r.IntN(36*60)-18*60) * time.Minute)}
	}
	return out
}

// propWindows returns 1 to 3 windows with edges on the quarter hour.
func propWindows(r *rand.Rand) []models.Window {
	days := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	out := make([]models.Window, 1+r.IntN(3))
	for i := range out {
		start := r.IntN(80) * 15
		end := start + 15*(1+r.IntN(96-start/15))
		var ds []string
		for _, d := range days {
			if r.IntN(3) > 0 {
				ds = append(ds, d)
			}
		}
		if len(ds) == 0 {
			ds = []string{days[r.IntN(7)]}
		}
		out[i] = models.Window{Days: ds, Start: fmt.Sprintf("%02d:%02d", start/60, start%60), End: fmt.Sprintf("%02d:%02d", end/60, end%60)}
	}
	return out
}

// randomSend makes delivery id of customer a sent message of template
// tm at a random second of its minute, with the wishes history and the
// snapshot lie the dice pick (other supplies another customer's wishes).
func randomSend(t *testing.T, r *rand.Rand, db *gorm.DB, tm respectTemplate, other []respectTemplate, id, customer int64) {
	t.Helper()
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := db.Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	at := tm.minute.Add(time.Duration(r.IntN(60)) * time.Second)
	switch r.IntN(4) {
	case 0:
		at = at.Add(999999400 * time.Nanosecond)
	case 1:
		at = at.Add(123456 * time.Microsecond)
	}
	wins, _ := json.Marshal(tm.windows)
	exec(`UPDATE customers SET timezone = ?, preferred_windows = ?, preferred_channel = ?, preference_version = 5, updated_at = ?
		WHERE id = ?`, tm.zone, string(wins), string(tm.channel), at.Add(-2*time.Hour), customer)
	later := other[r.IntN(len(other))]
	laterWins, _ := json.Marshal(later.windows)
	switch r.IntN(10) {
	case 0, 1, 2: // changed after the send, once or twice: the history keeps the wishes it honoured
		after := at.Add(time.Second + time.Duration(r.IntN(3*3600))*time.Second)
		exec("UPDATE customers SET timezone = ?, preferred_windows = ?, preference_version = 6, updated_at = ? WHERE id = ?",
			later.zone, string(laterWins), after, customer)
		if r.IntN(2) == 0 {
			exec("UPDATE customers SET preferred_channel = 'sms', preference_version = 7, updated_at = ? WHERE id = ?", after.Add(time.Hour), customer)
		}
	case 3: // changed just before the send: the send's version is stale
		exec("UPDATE customers SET preferred_windows = ?, preference_version = 6, updated_at = ? WHERE id = ?",
			string(laterWins), at.Add(-time.Minute), customer)
	case 4: // erased since
		exec("UPDATE customers SET erased_at = ?, updated_at = ? WHERE id = ?", at.Add(24*time.Hour), at.Add(24*time.Hour), customer)
	}
	version := 5
	if r.IntN(20) == 0 {
		version = 4
	}
	var window any = r.IntN(len(tm.windows))
	if slot, ok := schedule.NextSendTime(schedule.Input{Now: at, NotAfter: at.Add(time.Second), Location: tm.loc, Windows: tm.windows}); ok && slot.At.Equal(at) {
		window = slot.Window
	}
	local := at.In(tm.loc).Format(time.RFC3339)
	zone, channel := tm.zone, tm.channel
	var sentAt any = at
	switch r.IntN(28) {
	case 0:
		local = at.Add(time.Second).In(tm.loc).Format(time.RFC3339)
	case 1:
		local = at.Add(time.Minute).In(tm.loc).Format(time.RFC3339)
	case 2: // the right instant with a fraction: not the planner's form
		local = at.In(tm.loc).Format("2006-01-02T15:04:05.000Z07:00")
	case 3:
		local = strings.Replace(local, "T", "t", 1)
	case 4:
		local = ""
	case 5:
		local = "2026-13-45T99:99:99Z"
	case 6:
		local = local[:17] + "60" + local[19:]
	case 7: // the same instant on another clock
		local = at.In(time.FixedZone("", 3*3600)).Format(time.RFC3339)
	case 8:
		zone = "Europe/Paris"
	case 9:
		window = nil
	case 10:
		window = len(tm.windows) + 2
	case 11:
		channel = models.ChannelWebhook
	case 12:
		sentAt = nil
	case 13: // stored in another offset: SQLite keeps it as written
		sentAt = at.In(time.FixedZone("", 2*3600))
	case 14:
		if strings.HasSuffix(local, "Z") {
			local = local[:19] + "-00:00"
		}
	}
	exec(`UPDATE deliveries SET status = 'sent', reason = '', sent_at = ?, channel = ?, send_timezone = ?, send_window = ?,
		send_local = ?, address_fingerprint = 'fp', preference_version = ? WHERE id = ?`,
		sentAt, string(channel), zone, window, local, version, id)
}
