package schedule_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

// propertyZones mixes midnight DST gaps (Santiago, Havana), a 30-minute
// DST shift (Lord Howe), odd fixed offsets (Kathmandu, Chatham's +12:45
// with DST) and ordinary ones.
var propertyZones = []string{
	"America/Santiago", "America/Havana", "Australia/Lord_Howe", "Asia/Kathmandu",
	"Europe/Berlin", "America/New_York", "Pacific/Chatham", "UTC",
}

// oracleRun is one window occurrence as the brute-force oracle sees it.
type oracleRun struct {
	start, end time.Time
	window     int
}

type oracleWindow struct {
	days       map[time.Weekday]bool
	start, end int
}

// oracleRuns walks every minute from two days before from until a day
// after limit, converts it to local time, and finds for each (local date,
// window) the first unbroken run of minutes whose local time lies in the
// window on that date. Later runs of the same date (a repeated hour) are
// dropped. It returns the runs that start before limit, in time order.
func oracleRuns(tb testing.TB, loc *time.Location, ws []models.Window, from, limit time.Time) []oracleRun {
	tb.Helper()
	compiled := make([]oracleWindow, len(ws))
	for i, w := range ws {
		compiled[i].days = map[time.Weekday]bool{}
		for _, d := range w.Days {
			wd, _ := models.ParseWeekday(d)
			compiled[i].days[wd] = true
		}
		compiled[i].start, _ = models.ParseClock(w.Start, false)
		compiled[i].end, _ = models.ParseClock(w.End, true)
	}
	type key struct {
		y      int
		m      time.Month
		d, win int
	}
	type state struct {
		run   int // index in runs
		ended bool
	}
	states := map[key]*state{}
	var runs []oracleRun
	var active []key
	for t := from.Add(-48 * time.Hour); t.Before(limit.Add(26 * time.Hour)); t = t.Add(time.Minute) {
		lt := t.In(loc)
		y, m, d := lt.Date()
		h, mi, _ := lt.Clock()
		clock := h*60 + mi
		var here []key
		for i, w := range compiled {
			if w.days[lt.Weekday()] && clock >= w.start && clock < w.end {
				here = append(here, key{y, m, d, i})
			}
		}
		var still []key
		for _, k := range active {
			if slices.Contains(here, k) {
				still = append(still, k)
				continue
			}
			states[k].ended = true
			runs[states[k].run].end = t
		}
		active = still
		for _, k := range here {
			// A key seen before is either still active or ended: a second
			// run of the same date is a repeated hour, not used twice.
			if _, seen := states[k]; seen {
				continue
			}
			if !t.Before(limit) {
				states[k] = &state{ended: true, run: -1} // starts too late to matter
				continue
			}
			states[k] = &state{run: len(runs)}
			runs = append(runs, oracleRun{start: t, window: k.win})
			active = append(active, k)
		}
	}
	for _, k := range active {
		tb.Fatalf("oracle walk ended inside a run of %v", k)
	}
	return runs
}

// randomWindows returns 1 to 3 valid, non-overlapping windows whose edges
// favour the hours where clocks change.
func randomWindows(r *rand.Rand) []models.Window {
	edges := []int{0, 30, 60, 90, 120, 150, 165, 180, 225, 1320, 1380, 1410}
	names := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	for {
		n := 1 + r.IntN(3)
		ws := make([]models.Window, n)
		for i := range ws {
			for _, d := range names {
				if r.IntN(3) == 0 {
					ws[i].Days = append(ws[i].Days, d)
				}
			}
			if len(ws[i].Days) == 0 {
				ws[i].Days = []string{names[r.IntN(7)]}
			}
			start := r.IntN(96) * 15
			if r.IntN(2) == 0 {
				start = edges[r.IntN(len(edges))]
			}
			end := min(start+15*(1+r.IntN(24)), 1440)
			if r.IntN(6) == 0 {
				end = 1440
			}
			ws[i].Start = fmt.Sprintf("%02d:%02d", start/60, start%60)
			ws[i].End = fmt.Sprintf("%02d:%02d", end/60, end%60)
		}
		var p models.Problems
		models.ValidateWindows(&p, "", ws)
		if len(p) == 0 {
			return ws
		}
	}
}

// transitions lists the zone's offset changes in 2026 and 2027.
func transitions(loc *time.Location) []time.Time {
	var out []time.Time
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || end.Year() > 2027 {
			return out
		}
		out = append(out, end)
		t = end
	}
}

type propertyCase struct {
	zone                     string
	loc                      *time.Location
	windows                  []models.Window
	now, notBefore, notAfter time.Time
}

func (c propertyCase) input() schedule.Input {
	return schedule.Input{Now: c.now, NotBefore: c.notBefore, NotAfter: c.notAfter, Location: c.loc, Windows: c.windows}
}

func (c propertyCase) String() string {
	return fmt.Sprintf("zone=%s windows=%v now=%s not_before=%s not_after=%s", c.zone, c.windows,
		c.now.Format(time.RFC3339), c.notBefore.Format(time.RFC3339), c.notAfter.Format(time.RFC3339))
}

// randomCase builds a campaign window that usually spans a DST change of
// 2026/2027 (or, for fixed-offset zones, a random day of those years).
func randomCase(tb testing.TB, r *rand.Rand) propertyCase {
	tb.Helper()
	c := propertyCase{zone: propertyZones[r.IntN(len(propertyZones))]}
	c.loc = mustZone(tb, c.zone)
	anchor := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(730*24*60)) * time.Minute)
	if ts := transitions(c.loc); len(ts) > 0 && r.IntN(10) < 8 {
		anchor = ts[r.IntN(len(ts))].UTC()
	}
	c.now = anchor.Add(-time.Duration(r.IntN(72*60)) * time.Minute)
	if r.IntN(2) == 0 {
		c.notBefore = c.now.Add(time.Duration(r.IntN(36*60)-12*60) * time.Minute)
	}
	from := c.now
	if c.notBefore.After(from) {
		from = c.notBefore
	}
	length := time.Duration(1+r.IntN(4*24*60)) * time.Minute
	if r.IntN(4) == 0 {
		length = time.Duration(1+r.IntN(180)) * time.Minute
	}
	c.notAfter = from.Add(length)
	c.windows = randomWindows(r)
	return c
}

func TestNextSendTimeMatchesBruteForceOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 5))
	cases := 6000
	if testing.Short() {
		cases = 300
	}
	found := 0
	for range cases {
		c := randomCase(t, r)
		from := c.now
		if c.notBefore.After(from) {
			from = c.notBefore
		}
		var want *oracleRun
		for _, run := range oracleRuns(t, c.loc, c.windows, from, c.notAfter) {
			if run.end.After(from) {
				want = &run
				break
			}
		}
		got, ok := schedule.NextSendTime(c.input())
		switch {
		case want == nil && ok:
			t.Fatalf("%v\ngot slot at %s (window %d, %s-%s), oracle finds none", c, got.At, got.Window, got.WindowStart, got.WindowEnd)
		case want == nil:
			continue
		case !ok:
			t.Fatalf("%v\ngot no slot, oracle finds %s (window %d, %s-%s)", c, later(want.start, from), want.window, want.start, want.end)
		}
		found++
		wantAt := later(want.start, from)
		if !got.At.Equal(wantAt) || !got.WindowStart.Equal(want.start) || !got.WindowEnd.Equal(want.end) || got.Window != want.window {
			t.Fatalf("%v\ngot  %s window %d [%s, %s)\nwant %s window %d [%s, %s)", c,
				got.At, got.Window, got.WindowStart, got.WindowEnd, wantAt, want.window, want.start, want.end)
		}
	}
	// A generator that never finds a slot would make this test vacuous.
	if found < cases/3 {
		t.Fatalf("only %d of %d cases had a slot; the generator is too strict", found, cases)
	}
}

func TestPlaceSendStaysInsideTheUsableWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(2027, 5))
	cases := 3000
	if testing.Short() {
		cases = 200
	}
	margin := schedule.DefaultEndMargin
	spreadChecked := 0
	for i := range cases {
		c := randomCase(t, r)
		from := later(c.now, c.notBefore)
		var want *oracleRun
		var wantAt time.Time
		for _, run := range oracleRuns(t, c.loc, c.windows, from, c.notAfter) {
			at, usableEnd := later(run.start, from), earlier(run.end, c.notAfter).Add(-margin)
			if at.Before(usableEnd) {
				want, wantAt = &run, at
				break
			}
		}
		p := schedule.Placement{CampaignID: int64(i % 7), CustomerID: int64(i), Spread: i%2 == 0}
		got, ok := schedule.PlaceSend(c.input(), p)
		if (want != nil) != ok {
			t.Fatalf("%v\nPlaceSend ok = %t, oracle has a usable occurrence: %t", c, ok, want != nil)
		}
		if !ok {
			continue
		}
		usableEnd := earlier(want.end, c.notAfter).Add(-margin)
		if got.At.Before(wantAt) || !got.At.Before(usableEnd) || (!p.Spread && !got.At.Equal(wantAt)) ||
			!got.WindowStart.Equal(want.start) || !got.WindowEnd.Equal(want.end) {
			t.Fatalf("%v\nspread %t: got %s in [%s, %s), want in [%s, %s) of occurrence [%s, %s)", c, p.Spread,
				got.At, got.WindowStart, got.WindowEnd, wantAt, usableEnd, want.start, want.end)
		}
		if again, _ := schedule.PlaceSend(c.input(), p); !again.At.Equal(got.At) {
			t.Fatalf("%v\nPlaceSend is not deterministic: %s then %s", c, got.At, again.At)
		}
		if !p.Spread {
			continue
		}
		// The hashed point is measured from the occurrence (or
		// not_before), so it does not depend on now unless it has passed.
		base := later(want.start, c.notBefore)
		point := base.Add(schedule.SpreadOffset(p.CampaignID, p.CustomerID, usableEnd.Sub(base)))
		fromNow := point.Before(wantAt)
		if fromNow {
			point = wantAt.Add(schedule.SpreadOffset(p.CampaignID, p.CustomerID, usableEnd.Sub(wantAt)))
		}
		if !got.At.Equal(point) {
			t.Fatalf("%v\nspread send at %s, want %s (hashed point passed: %t)", c, got.At, point, fromNow)
		}
		if fromNow {
			continue
		}
		// Any later planner that still plans before the point agrees.
		d := c
		d.now = c.now.Add(time.Duration(r.Int64N(int64(got.At.Sub(c.now)) + 1)))
		if again, ok := schedule.PlaceSend(d.input(), p); !ok || !again.At.Equal(got.At) {
			t.Fatalf("%v\nplanned at now=%s: %s, at now=%s: %s (ok %t)", c, c.now, got.At, d.now, again.At, ok)
		}
		spreadChecked++
	}
	if spreadChecked < cases/10 {
		t.Fatalf("only %d of %d cases checked that spread ignores now; the generator is too strict", spreadChecked, cases)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
