package campaigns_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// sendCheckZones have midnight gaps (America/Santiago, America/Havana),
// 30-minute shifts (Australia/Lord_Howe), an odd offset (Asia/Kathmandu)
// and an ordinary one.
var sendCheckZones = []string{"America/Santiago", "Australia/Lord_Howe", "America/Havana", "Asia/Kathmandu", "Europe/London"}

// minuteOracle walks instants minute by minute and says, for each, which
// windows are open: the wall clock shows one of the window's days and a
// time in [start, end), and this is the first uninterrupted run of that
// window on that local date (when clocks fall back, a window's repeated
// part is its second run, not used: a window is never used twice on one
// date). Times are minutes after local midnight.
type minuteOracle struct {
	loc     *time.Location
	windows []models.Window
	// runs is per (local date, window): 1 while in its first run, 2 after.
	runs map[string]int
}

// step advances the oracle to t (one minute after its previous call) and
// returns the open windows' indexes.
func (o *minuteOracle) step(t time.Time) []int {
	lt := t.In(o.loc)
	minute := lt.Hour()*60 + lt.Minute()
	var open []int
	for i, w := range o.windows {
		start, _ := models.ParseClock(w.Start, false)
		end, _ := models.ParseClock(w.End, true)
		match := false
		for _, d := range w.Days {
			if wd, ok := models.ParseWeekday(d); ok && wd == lt.Weekday() && minute >= start && minute < end {
				match = true
			}
		}
		key := fmt.Sprintf("%s/%d", lt.Format("2006-01-02"), i)
		switch {
		case match && o.runs[key] == 0:
			o.runs[key] = 1
			open = append(open, i)
		case match && o.runs[key] == 1:
			open = append(open, i)
		case !match && o.runs[key] == 1:
			o.runs[key] = 2
		}
	}
	return open
}

// randomSendWindows returns one to three windows on a 15-minute grid,
// with starts near the zones' transitions half of the time.
func randomSendWindows(r *rand.Rand) []models.Window {
	near := []int{0, 30, 60, 90, 105, 120, 135, 150, 1380, 1410}
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	out := make([]models.Window, 1+r.IntN(3))
	for i := range out {
		start := 15 * r.IntN(95)
		if r.IntN(2) == 0 {
			start = near[r.IntN(len(near))]
		}
		end := start + 15*(1+r.IntN((1440-start)/15))
		var ds []string
		for _, d := range days {
			if r.IntN(3) == 0 {
				ds = append(ds, d)
			}
		}
		if len(ds) == 0 {
			ds = []string{days[r.IntN(7)]}
		}
		clock := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
		out[i] = models.Window{Days: ds, Start: clock(start), End: clock(end)}
	}
	return out
}

// aroundTransition returns an instant within three hours of the
// transition tr and a window on its local date(s) that starts within two
// hours before the change of wall clock and ends up to two hours later.
func aroundTransition(r *rand.Rand, loc *time.Location, tr time.Time) (time.Time, []models.Window) {
	before := tr.Add(-time.Minute).In(loc)
	days := []string{weekdayName(before.Weekday()), weekdayName(tr.In(loc).Weekday())}
	at := before.Hour()*60 + before.Minute() + 1
	start := min(1425, max(0, (at/15-r.IntN(9))*15))
	end := min(1440, start+15*(1+r.IntN(16)))
	clock := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	now := tr.Add(time.Duration(r.IntN(6*60)-3*60) * time.Minute)
	return now, []models.Window{{Days: days[:1+r.IntN(2)], Start: clock(start), End: clock(end)}}
}

func weekdayName(d time.Weekday) string {
	return [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[d]
}

// transitionsOf returns the zone's offset changes in 2025 and 2026.
func transitionsOf(loc *time.Location) []time.Time {
	var out []time.Time
	for t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); t.Year() < 2027; {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || end.Year() > 2026 {
			break
		}
		out = append(out, end)
		t = end
	}
	return out
}

// TestCheckSendSendsOnlyInsideAWindowAcrossDST holds the send-time
// decision to the minute oracle: a delivery is sent exactly when one of
// the customer's windows is open now, and otherwise re-planned to the
// first instant one opens.
func TestCheckSendSendsOnlyInsideAWindowAcrossDST(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 2026))
	planner := campaigns.NewPlanner(plannerSettings)
	for _, zone := range sendCheckZones {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		trans := transitionsOf(loc)
		for n := range 120 {
			var now time.Time
			if len(trans) > 0 && n%4 != 0 {
				now = trans[r.IntN(len(trans))].Add(time.Duration(r.IntN(4*24*60)-2*24*60) * time.Minute)
			} else {
				now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(2*365*24*60)) * time.Minute)
			}
			now = now.Truncate(time.Minute)
			c := plannerCustomer()
			c.Timezone, c.PreferredWindows = zone, randomSendWindows(r)
			if len(trans) > 0 && n%2 == 1 {
				now, c.PreferredWindows = aroundTransition(r, loc, trans[r.IntN(len(trans))])
			}
			target := plannerTarget(false)
			target.Now, target.NotBefore, target.NotAfter = now, now.Add(-24*time.Hour), now.Add(10*24*time.Hour)
			d := plannedDelivery()
			d.PreferenceVersion = c.PreferenceVersion
			got, err := planner.Plan(target).CheckSend(context.Background(), &models.PlanFacts{Customer: c, Consent: models.ConsentOptedIn}, d)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s at %s (%s) windows %v", zone, now.Format(time.RFC3339), now.In(loc).Format("Mon 15:04 MST"), c.PreferredWindows)
			checkAgainstOracle(t, name, loc, c.PreferredWindows, now, got)
		}
	}
}

// checkAgainstOracle walks the oracle from well before now's local date
// to the decision's re-plan time.
func checkAgainstOracle(t *testing.T, name string, loc *time.Location, ws []models.Window, now time.Time, got models.SendDecision) {
	t.Helper()
	o := &minuteOracle{loc: loc, windows: ws, runs: map[string]int{}}
	m := now.Add(-50 * time.Hour)
	for ; m.Before(now); m = m.Add(time.Minute) {
		o.step(m)
	}
	open := o.step(now)
	switch {
	case len(open) > 0:
		want := now.In(loc).Format(time.RFC3339)
		isOpen := false
		for _, i := range open {
			isOpen = isOpen || i == got.Window
		}
		if got.Action != models.SendNow || got.Local != want || !isOpen {
			t.Errorf("%s: windows %v are open, got %+v", name, open, got)
		}
	case got.Action != models.SendReplan || got.Reason != models.ReasonWindowMissed:
		t.Errorf("%s: no window is open, got %+v, want a window_missed re-plan", name, got)
	default:
		for m = now.Add(time.Minute); m.Before(got.At); m = m.Add(time.Minute) {
			if len(o.step(m)) > 0 {
				t.Errorf("%s: re-planned at %s, but a window opens at %s", name, got.At, m)
				return
			}
		}
		if len(o.step(got.At)) == 0 {
			t.Errorf("%s: re-planned at %s, when no window is open", name, got.At)
		}
	}
}

func TestCheckSendAtDaylightSavingChanges(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, zone, now string
		window          models.Window
		// at is the re-plan time, "" for a send now.
		at string
	}{
		{"Santiago: a window from midnight opens at 01:00 when midnight is skipped", "America/Santiago", "2025-09-07T04:00:00Z",
			models.Window{Days: []string{"sun"}, Start: "00:00", End: "02:00"}, ""},
		{"Santiago: a minute before the skipped midnight is still Saturday", "America/Santiago", "2025-09-07T03:59:00Z",
			models.Window{Days: []string{"sun"}, Start: "00:00", End: "02:00"}, "2025-09-07T04:00:00Z"},
		{"Santiago: a window running into the repeated hour stays open through it", "America/Santiago", "2025-04-06T03:30:00Z",
			models.Window{Days: []string{"sat"}, Start: "23:00", End: "24:00"}, ""},
		{"Santiago: a window that closed before clocks fell back does not open again", "America/Santiago", "2025-04-06T03:10:00Z",
			models.Window{Days: []string{"sat"}, Start: "23:00", End: "23:30"}, "2025-04-13T03:00:00Z"},
		{"Lord Howe: a window starting in the skipped half hour opens after it", "Australia/Lord_Howe", "2025-10-04T15:29:00Z",
			models.Window{Days: []string{"sun"}, Start: "02:00", End: "03:00"}, "2025-10-04T15:30:00Z"},
		{"Lord Howe: a window running into the repeated half hour stays open through it", "Australia/Lord_Howe", "2025-04-05T15:15:00Z",
			models.Window{Days: []string{"sun"}, Start: "01:30", End: "02:00"}, ""},
		{"Lord Howe: a window that closed before clocks fell back does not open again", "Australia/Lord_Howe", "2025-04-05T15:05:00Z",
			models.Window{Days: []string{"sun"}, Start: "01:00", End: "01:45"}, "2025-04-12T14:30:00Z"},
	}
	planner := campaigns.NewPlanner(plannerSettings)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			now := utc(tt.now)
			c := plannerCustomer()
			c.Timezone, c.PreferredWindows = tt.zone, []models.Window{tt.window}
			target := plannerTarget(false)
			target.Now, target.NotBefore, target.NotAfter = now, now.Add(-24*time.Hour), now.Add(10*24*time.Hour)
			d := plannedDelivery()
			d.PreferenceVersion = c.PreferenceVersion
			got, err := planner.Plan(target).CheckSend(context.Background(), &models.PlanFacts{Customer: c, Consent: models.ConsentOptedIn}, d)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.at == "" && got.Action != models.SendNow:
				t.Errorf("got %+v, want a send now", got)
			case tt.at != "" && (got.Action != models.SendReplan || !got.At.Equal(utc(tt.at))):
				t.Errorf("got %+v, want a re-plan at %s", got, tt.at)
			}
			checkAgainstOracle(t, tt.name, loc, c.PreferredWindows, now, got)
		})
	}
}
