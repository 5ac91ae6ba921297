package report_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// record is a sent record at at, with the snapshot a send at that
// instant in zone would have recorded for window idx.
func record(t *testing.T, zone string, at time.Time, idx int, w *models.Preferences) *models.SentRecord {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return &models.SentRecord{Channel: models.ChannelEmail, SentAt: at,
		Snapshot: models.SendSnapshot{Timezone: zone, Window: &idx, Local: at.In(loc).Format(time.RFC3339)}, Wishes: w}
}

func TestRespectJudgesEachSnapshotAgainstTheWishes(t *testing.T) {
	london := &models.Preferences{Channel: models.ChannelEmail, Timezone: "Europe/London",
		Windows: []models.Window{{Days: []string{"mon"}, Start: "09:00", End: "17:00"}, {Days: []string{"sat"}, Start: "20:00", End: "24:00"}}}
	monday := time.Date(2025, 3, 10, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		rec  func(t *testing.T) *models.SentRecord
		want report.Verdict
	}{
		{"a send inside its window on the preferred channel is respected", func(t *testing.T) *models.SentRecord {
			return record(t, "Europe/London", monday, 0, london)
		}, report.Verdict{Verifiable: true, InWindow: true, OnChannel: true}},
		{"a send in the last second before a 24:00 end is inside", func(t *testing.T) *models.SentRecord {
			return record(t, "Europe/London", time.Date(2025, 3, 15, 23, 59, 59, 0, time.UTC), 1, london)
		}, report.Verdict{Verifiable: true, InWindow: true, OnChannel: true}},
		{"a send at a window's end is outside", func(t *testing.T) *models.SentRecord {
			return record(t, "Europe/London", time.Date(2025, 3, 10, 17, 0, 0, 0, time.UTC), 0, london)
		}, report.Verdict{Verifiable: true, OnChannel: true}},
		{"a snapshot naming another window than the one holding the send is outside", func(t *testing.T) *models.SentRecord {
			return record(t, "Europe/London", monday, 1, london)
		}, report.Verdict{Verifiable: true, OnChannel: true}},
		{"the same UTC instant judged in summer time moves an hour", func(t *testing.T) *models.SentRecord {
			// 16:30 UTC in June is 17:30 BST: past the window's end.
			return record(t, "Europe/London", time.Date(2025, 6, 9, 16, 30, 0, 0, time.UTC), 0, london)
		}, report.Verdict{Verifiable: true, OnChannel: true}},
		{"a send on another channel is off the preferred one", func(t *testing.T) *models.SentRecord {
			r := record(t, "Europe/London", monday, 0, london)
			r.Channel = models.ChannelSMS
			return r
		}, report.Verdict{Verifiable: true, InWindow: true}},
		{"a record without the wishes it honoured is unverifiable", func(t *testing.T) *models.SentRecord {
			return record(t, "Europe/London", monday, 0, nil)
		}, report.Verdict{}},
		{"a customer without zone or windows is judged by the defaults", func(t *testing.T) *models.SentRecord {
			return record(t, "Europe/Paris", monday, 0, &models.Preferences{Channel: models.ChannelEmail})
		}, report.Verdict{Verifiable: true, InWindow: true, OnChannel: true}},
	}
	j := report.Judge{DefaultZone: "Europe/Paris", DefaultWindows: []models.Window{{Days: []string{"mon"}, Start: "10:00", End: "11:00"}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := j.Respect(tt.rec(t)); got != tt.want {
				t.Errorf("Respect = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestRespectAgreesWithTheSendTimeCheck holds the report to the decision
// that let each message go: a send at an instant is inside a window
// exactly when the scheduler (which the send-time check asks) would place
// a send at that instant in that window. Instants cluster around the
// daylight-saving changes of 2026, where a wall-clock time can occur twice
// or not at all.
func TestRespectAgreesWithTheSendTimeCheck(t *testing.T) {
	zones := []string{"Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC"}
	changes := []time.Time{time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), time.Date(2026, 4, 4, 15, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(13, 2026))
	j := report.Judge{}
	inside := 0
	for i := range 5000 {
		zone := zones[r.IntN(len(zones))]
		loc, _ := time.LoadLocation(zone)
		ws := randomWindows(r)
		at := changes[r.IntN(len(changes))].Add(time.Duration(r.IntN(72*3600)-36*3600) * time.Second)
		slot, ok := schedule.NextSendTime(schedule.Input{Now: at, NotAfter: at.Add(time.Second), Location: loc, Windows: ws})
		want := ok && slot.At.Equal(at)
		idx := r.IntN(len(ws))
		if want {
			idx = slot.Window
			inside++
		}
		rec := record(t, zone, at, idx, &models.Preferences{Channel: models.ChannelEmail, Timezone: zone, Windows: ws})
		if got := j.Respect(rec).InWindow; got != want {
			t.Fatalf("case %d: %s in %s (local %s), windows %+v, snapshot window %d: judged inside = %v, scheduler says %v",
				i, at.Format(time.RFC3339), zone, rec.Snapshot.Local, ws, idx, got, want)
		}
	}
	if inside < 500 || inside > 4500 {
		t.Errorf("%d of 5000 cases were inside a window: the generator does not exercise both outcomes", inside)
	}
}

// randomWindows returns 1 to 3 non-overlapping windows with edges on the
// quarter hour, some ending at 24:00.
func randomWindows(r *rand.Rand) []models.Window {
	n := 1 + r.IntN(3)
	edges := map[int]bool{}
	for len(edges) < 2*n {
		edges[r.IntN(97)*15] = true
	}
	var sorted []int
	for m := 0; m <= 1440; m += 15 {
		if edges[m] {
			sorted = append(sorted, m)
		}
	}
	out := make([]models.Window, n)
	for i := range n {
		var days []string
		for _, d := range weekdays {
			if r.IntN(3) > 0 {
				days = append(days, d)
			}
		}
		if len(days) == 0 {
			days = []string{weekdays[r.IntN(7)]}
		}
		out[i] = models.Window{Days: days, Start: clock(sorted[2*i]), End: clock(sorted[2*i+1])}
	}
	return out
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func TestDowngradeNamesWhatAChangeLowered(t *testing.T) {
	weekdays9to5 := []models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "09:00", End: "17:00"}}
	monday9to10 := []models.Window{{Days: []string{"mon"}, Start: "09:00", End: "10:00"}}
	base := models.Preferences{Channel: models.ChannelEmail, Windows: weekdays9to5, Cadence: &models.Cadence{Max: 4, Per: "30d"}}
	tests := []struct {
		name   string
		change func(p *models.Preferences)
		erased bool
		want   report.Downgrade
	}{
		{"fewer messages per month lowers the cadence", func(p *models.Preferences) { p.Cadence = &models.Cadence{Max: 1, Per: "30d"} }, false, report.Downgrade{Cadence: true}},
		{"the same count over a longer period lowers the cadence", func(p *models.Preferences) { p.Cadence = &models.Cadence{Max: 4, Per: "60d"} }, false, report.Downgrade{Cadence: true}},
		{"dropping the cadence raises it", func(p *models.Preferences) { p.Cadence = nil }, false, report.Downgrade{}},
		{"fewer window minutes narrow the windows", func(p *models.Preferences) { p.Windows = monday9to10 }, false, report.Downgrade{Windows: true}},
		{"no windows fall back to the defaults, here wider", func(p *models.Preferences) { p.Windows = nil }, false, report.Downgrade{}},
		{"another channel is a channel change", func(p *models.Preferences) { p.Channel = models.ChannelSMS }, false, report.Downgrade{Channel: true}},
		{"an erasure is no downgrade", func(p *models.Preferences) { p.Windows, p.Cadence = nil, nil }, true, report.Downgrade{}},
	}
	j := report.Judge{DefaultWindows: []models.Window{{Days: weekdays, Start: "08:00", End: "20:00"}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := base
			tt.change(&next)
			if got := j.Downgrade(&models.PreferenceChange{Old: base, New: next, Erased: tt.erased}); got != tt.want {
				t.Errorf("Downgrade = %+v, want %+v", got, tt.want)
			}
		})
	}
}
