package report

import (
	"time"

	"github.com/candor/candor/campaigns/eligibility"
	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

// Verdict is what one sent record proves about the customer's wishes.
type Verdict struct {
	// Verifiable is false when the wishes at send time are unknown.
	Verifiable bool
	InWindow   bool
	OnChannel  bool
}

// Judge checks sent records against the wishes they honoured, resolving
// a customer without zone or windows to the service's defaults as the
// planner did when it sent.
type Judge struct {
	DefaultZone    string
	DefaultWindows []models.Window
}

// Respect judges one record. On the preferred channel: the record's
// channel is the wishes' channel. Inside the window: the snapshot's zone
// is the wishes' zone (after defaults), its local time is the send
// instant on that zone's clock (same instant, same UTC offset), and that
// send falls inside the window the snapshot names (any of the wishes'
// windows when it names none), as the scheduler defines a window's
// occurrence.
func (j Judge) Respect(r *models.SentRecord) Verdict {
	w := r.Wishes
	if w == nil {
		return Verdict{}
	}
	v := Verdict{Verifiable: true, OnChannel: r.Channel != "" && r.Channel == w.Channel}
	tm := eligibility.ResolveTiming(&models.Customer{Timezone: w.Timezone, PreferredWindows: w.Windows}, j.DefaultZone, j.DefaultWindows)
	if tm.Location == nil || r.Snapshot.Timezone != tm.Zone || r.SentAt.IsZero() {
		return v
	}
	local, err := time.Parse(time.RFC3339, r.Snapshot.Local)
	if err != nil {
		return v
	}
	at := r.SentAt.In(tm.Location)
	// The snapshot keeps whole seconds.
	if !at.Truncate(time.Second).Equal(local) {
		return v
	}
	_, off := local.Zone()
	if _, want := at.Zone(); off != want {
		return v
	}
	idx := -1
	for i, win := range tm.Windows {
		if windowHolds(win, at) {
			idx = i
		}
	}
	if idx >= 0 && nearOffsetChange(tm.Location, at) {
		// Around a daylight-saving change a wall-clock time can occur
		// twice or not at all: the scheduler, which decided the send,
		// says which occurrence is the window's (docs/scheduling.md).
		idx = -1
		in := schedule.Input{Now: at, NotAfter: at.Add(time.Second), Location: tm.Location, Windows: tm.Windows}
		if slot, ok := schedule.NextSendTime(in); ok && slot.At.Equal(at) {
			idx = slot.Window
		}
	}
	v.InWindow = idx >= 0 && (r.Snapshot.Window == nil || *r.Snapshot.Window == idx)
	return v
}

// nearOffsetChange reports whether loc's UTC offset changes within a day
// of at.
func nearOffsetChange(loc *time.Location, at time.Time) bool {
	_, before := at.Add(-24 * time.Hour).In(loc).Zone()
	_, after := at.Add(24 * time.Hour).In(loc).Zone()
	return before != after
}

// windowHolds reports whether the wall-clock time at falls inside w: on
// one of its days, at or after its start and before its end.
func windowHolds(w models.Window, at time.Time) bool {
	day := false
	for _, d := range w.Days {
		if wd, ok := models.ParseWeekday(d); ok && wd == at.Weekday() {
			day = true
		}
	}
	start, err1 := models.ParseClock(w.Start, false)
	end, err2 := models.ParseClock(w.End, true)
	if !day || err1 != nil || err2 != nil {
		return false
	}
	sec := at.Hour()*3600 + at.Minute()*60 + at.Second()
	return sec >= start*60 && sec < end*60
}

// Downgrade names what a change of wishes lowered; all false for a
// change that lowered nothing (or erased the customer).
type Downgrade struct {
	Cadence, Windows, Channel bool
}

// Any reports whether the change lowered anything.
func (d Downgrade) Any() bool { return d.Cadence || d.Windows || d.Channel }

// Downgrade classifies a change of wishes: the cadence now allows fewer
// messages per unit of time (or a cadence appeared), the windows
// (after defaults) cover fewer minutes of the week, or the channel
// changed. An erasure is no downgrade: it is counted nowhere here.
func (j Judge) Downgrade(c *models.PreferenceChange) Downgrade {
	if c.Erased {
		return Downgrade{}
	}
	return Downgrade{
		Cadence: cadenceRate(c.New.Cadence) < cadenceRate(c.Old.Cadence),
		Windows: j.weekMinutes(c.New.Windows) < j.weekMinutes(c.Old.Windows),
		Channel: c.Old.Channel != "" && c.New.Channel != "" && c.Old.Channel != c.New.Channel,
	}
}

// cadenceRate is messages per hour a cadence allows; no cadence allows
// any number.
func cadenceRate(c *models.Cadence) float64 {
	if c == nil || c.Period() <= 0 {
		return inf
	}
	return float64(c.Max) / c.Period().Hours()
}

const inf = 1e300

// weekMinutes is how many minutes of a week the windows (or the default
// windows, for none) cover.
func (j Judge) weekMinutes(ws []models.Window) int {
	if len(ws) == 0 {
		ws = j.DefaultWindows
	}
	total := 0
	for _, w := range ws {
		start, err1 := models.ParseClock(w.Start, false)
		end, err2 := models.ParseClock(w.End, true)
		if err1 == nil && err2 == nil && end > start {
			total += (end - start) * len(w.Days)
		}
	}
	return total
}
