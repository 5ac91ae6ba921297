package report

import (
	"time"

	"github.com/candor/candor/campaigns/eligibility"
	"github.com/candor/candor/models"
)

// respectCount adds verdicts up into the report's respect figure.
type respectCount struct{ models.ReportRespect }

// add counts n records judged v, on of them on the preferred channel
// whatever v.OnChannel says (models.SentGroup.OnChannel).
func (r *respectCount) add(v Verdict, n, on int64) {
	r.Sent += n
	if !v.Verifiable {
		r.Unverifiable += n
		return
	}
	r.Verifiable += n
	r.OnPreferredChannel += on
	if v.InWindow {
		r.InWindow += n
		r.Respected += on
	}
}

// verdictCount is how many of one record judged v are on the preferred
// channel.
func verdictCount(v Verdict) int64 {
	if v.OnChannel {
		return 1
	}
	return 0
}

// shares returns the figure with its shares of the verifiable records.
func (r *respectCount) shares() models.ReportRespect {
	out := r.ReportRespect
	out.InWindowShare = share(out.InWindow, out.Verifiable)
	out.ChannelShare = share(out.OnPreferredChannel, out.Verifiable)
	out.Share = share(out.Respected, out.Verifiable)
	return out
}

// alikeMargin is how far around a minute alikeInMinute looks at the
// zone: Respect compares offsets a day either side of a send, and the
// scheduler it asks near a change walks the neighbouring local dates,
// whose windows last at most a day.
const alikeMargin = 48 * time.Hour

// alikeInMinute reports whether Respect gives every send in the local
// minute a group's record stands for (models.SentGroup) the verdict it
// gives the record, which is sent at the minute's first second.
//
// Respect reads of the instant: its UTC offset in the customer's zone,
// whether the offset a day before differs from a day after, the wall
// clock's minute (windows start and end on whole minutes), and around a
// change the scheduler's occurrences of the windows, which begin and end
// at wall-clock minutes or at the zone's changes. When the zone's offsets
// are whole minutes and it changes only on whole minutes near the
// record, none of these changes inside a minute, so neither does the
// verdict. Every zone of today's tz database qualifies (only local mean
// times before 1972 had offsets with seconds); a record that does
// not is judged again one by one.
func (j Judge) alikeInMinute(r *models.SentRecord) bool {
	if r.Wishes == nil || r.SentAt.IsZero() {
		// Judged without the instant: alike whatever the second.
		return true
	}
	tm := eligibility.ResolveTiming(&models.Customer{Timezone: r.Wishes.Timezone, PreferredWindows: r.Wishes.Windows}, j.DefaultZone, j.DefaultWindows)
	if tm.Location == nil {
		return true
	}
	end := r.SentAt.Add(alikeMargin + time.Minute)
	for t := r.SentAt.Add(-alikeMargin); ; {
		lt := t.In(tm.Location)
		_, off := lt.Zone()
		if off%60 != 0 {
			return false
		}
		_, next := lt.ZoneBounds()
		if next.IsZero() || !next.Before(end) {
			return true
		}
		// A bound where the offset stays (tz files mark 2038, say)
		// changes nothing.
		if _, after := next.In(tm.Location).Zone(); after != off && (next.Unix()%60 != 0 || next.Nanosecond() != 0) {
			return false
		}
		t = next
	}
}
