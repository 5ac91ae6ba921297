package schedule

import (
	"time"

	"github.com/candor/candor/models"
)

// Input is everything the send-time computation depends on. It is
// a plain value so scheduling stays a pure function of its input.
type Input struct {
	// Now is the planning instant; nothing is planned before it.
	Now time.Time
	// NotBefore and NotAfter are the campaign's outer limits (UTC). A send
	// must be at or after NotBefore and strictly before NotAfter. A zero
	// NotAfter searches at most MaxHorizon ahead.
	NotBefore, NotAfter time.Time
	// Location is the customer's IANA zone; nil never yields a slot.
	Location *time.Location
	// Windows are the customer's preferred windows in local time. Windows
	// that do not parse never match (input validation rejects them).
	Windows []models.Window
}

// Slot is a planned send instant and the window occurrence holding it.
type Slot struct {
	// At is the send instant in UTC.
	At time.Time `json:"at"`
	// Local is At on the customer's wall clock.
	Local time.Time `json:"local"`
	// Window is the index of the matched window in Input.Windows.
	Window int `json:"window"`
	// WindowStart and WindowEnd bound the window occurrence in UTC
	// (start inclusive, end exclusive); see docs/scheduling.md for how
	// daylight-saving changes shape an occurrence.
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
}

// MaxHorizon bounds the search when a campaign has no not_after,
// so a customer whose windows never occur cannot make planning loop.
const MaxHorizon = 366 * 24 * time.Hour

// slack is more than any UTC offset tzdata has ever used (LMT of
// Asia/Manila was -15:56), so every instant showing a given local date
// lies within that date's midnights widened by it.
const slack = 26 * time.Hour

// window is a models.Window compiled for scheduling.
type window struct {
	days       [7]bool // indexed by time.Weekday
	start, end int     // minutes after local midnight; end may be 1440
}

// compile compiles windows, keeping indexes: a window that does not
// parse gets no days, so it never matches.
func compile(ws []models.Window) []window {
	out := make([]window, len(ws))
	for i, w := range ws {
		start, err1 := models.ParseClock(w.Start, false)
		end, err2 := models.ParseClock(w.End, true)
		if err1 != nil || err2 != nil || start >= end {
			continue
		}
		out[i].start, out[i].end = start, end
		for _, d := range w.Days {
			if wd, ok := models.ParseWeekday(d); ok {
				out[i].days[wd] = true
			}
		}
	}
	return out
}

// NextSendTime returns the earliest instant at or after max(Now, NotBefore)
// and strictly before NotAfter that lies inside an occurrence of one of the
// customer's windows, with that occurrence. ok is false when there is none.
//
// An occurrence of a window on local date D is one interval of real time:
// it starts at the first instant whose wall clock shows date D and a time
// in [start, end), and lasts while the wall clock stays in that range on
// date D. So a window starting in a skipped hour opens at the first valid
// instant after the gap, a window inside a skipped hour does not occur,
// and when clocks fall back before the window's start, the repeated part
// is not a second occurrence (the window is never used twice on one date).
func NextSendTime(in Input) (Slot, bool) {
	if in.Location == nil {
		return Slot{}, false
	}
	from := in.Now
	if in.NotBefore.After(from) {
		from = in.NotBefore
	}
	limit := in.NotAfter
	if limit.IsZero() {
		limit = from.Add(MaxHorizon)
	}
	if !from.Before(limit) {
		return Slot{}, false
	}
	return next(compile(in.Windows), in.Location, from, limit)
}

// next scans local dates from the day before from's date (a
// pathological zone could show an earlier date again after a later one)
// until no later date can beat the best candidate or reach limit.
func next(ws []window, loc *time.Location, from, limit time.Time) (Slot, bool) {
	lt := from.In(loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	var best Slot
	found := false
	for ; ; day = day.Add(24 * time.Hour) {
		earliest := day.Add(-slack)
		if !earliest.Before(limit) || (found && earliest.After(best.At)) {
			break
		}
		wd := day.Weekday()
		for i := range ws {
			if !ws[i].days[wd] {
				continue
			}
			start, end, ok := occurrence(loc, day, ws[i])
			if !ok || !end.After(from) {
				continue
			}
			at := start
			if from.After(at) {
				at = from
			}
			if !at.Before(limit) || (found && !at.Before(best.At)) {
				continue
			}
			best = Slot{At: at.UTC(), Window: i, WindowStart: start.UTC(), WindowEnd: end.UTC()}
			found = true
		}
	}
	if found {
		best.Local = best.At.In(loc)
	}
	return best, found
}

// occurrence returns the occurrence of w on local date day (midnight
// in UTC, used as a naive civil date). It walks the zone's offset periods
// around the date: inside one period the wall clock is UTC plus a fixed
// offset, so the instants showing [start, end) on that date form one exact
// interval; pieces of adjacent periods that touch form one run, and only
// the first run counts.
func occurrence(loc *time.Location, day time.Time, w window) (start, end time.Time, ok bool) {
	localStart := day.Add(time.Duration(w.start) * time.Minute)
	localEnd := day.Add(time.Duration(w.end) * time.Minute)
	hi := localEnd.Add(slack)
	for t := localStart.Add(-slack); t.Before(hi); {
		lt := t.In(loc)
		_, offset := lt.Zone()
		periodStart, periodEnd := lt.ZoneBounds()
		shift := time.Duration(offset) * time.Second
		a, b := localStart.Add(-shift), localEnd.Add(-shift)
		if !periodStart.IsZero() && a.Before(periodStart) {
			a = periodStart
		}
		if !periodEnd.IsZero() && b.After(periodEnd) {
			b = periodEnd
		}
		switch {
		case !a.Before(b):
			if ok { // the run ended at the previous period's end
				return start, end, true
			}
		case !ok:
			start, end, ok = a, b, true
		case a.Equal(end):
			end = b
		default: // a later, separate run: a repeated hour, not used twice
			return start, end, true
		}
		if periodEnd.IsZero() || (ok && end.Before(periodEnd)) {
			break
		}
		t = periodEnd
	}
	return start, end, ok
}
