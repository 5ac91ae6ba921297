package schedule

import (
	"math"
	"time"

	"github.com/candor/candor/models"
)

// SendsPerMinute converts a channel's send rate (messages per second, as
// configured by CANDOR_*_RATE) into whole sends per minute. A positive
// rate always allows at least one send a minute; zero or less means no
// limit.
func SendsPerMinute(perSecond float64) int {
	if perSecond <= 0 || math.IsNaN(perSecond) {
		return 0
	}
	// The epsilon keeps "50/m" (50/60 per second) from rounding to 49.
	n := int(math.Floor(perSecond*60 + 1e-9))
	return max(n, 1)
}

// capKey is one minute (Unix minutes) of one channel.
type capKey struct {
	channel models.Channel
	minute  int64
}

// CapacityPlanner spreads one campaign's planned sends so that no minute
// gets more sends on a channel than the channel can carry. It is not safe
// for concurrent use; a launch plans its customers through one planner.
//
// Memory is bounded by the minutes the campaign can use, not by the
// audience: one counter per (channel, minute) that received a send and one
// forward pointer per full minute, i.e. at most 2 x channels x minutes
// between not_before and not_after (a 30-day campaign on three channels:
// under 260,000 small map entries, a few tens of MB at worst).
type CapacityPlanner struct {
	perMinute map[models.Channel]int
	used      map[capKey]int32
	// next points from a full minute to a later minute that may have
	// room (a union-find "next free" structure with path compression),
	// so a crowded window costs amortized O(1) per placement instead of a
	// scan over every full minute.
	next  map[capKey]int64
	moved int
}

// NewCapacityPlanner returns a planner with the given sends per minute per
// channel (see SendsPerMinute). A channel without a positive entry is not
// limited.
func NewCapacityPlanner(perMinute map[models.Channel]int) *CapacityPlanner {
	return &CapacityPlanner{
		perMinute: perMinute,
		used:      map[capKey]int32{},
		next:      map[capKey]int64{},
	}
}

// Place reserves one send on ch for the slot that PlaceSend computed from
// in. If slot's minute is full it takes the first later minute with room in
// the usable rest of the same occurrence, then the first minute with room
// in later occurrences (searched as NextSendTime does). margin is the
// Placement margin (zero or less: DefaultEndMargin). ok is false when no
// minute before not_after has room; nothing is reserved then.
func (p *CapacityPlanner) Place(ch models.Channel, in Input, slot Slot, margin time.Duration) (Slot, bool) {
	limit := p.perMinute[ch]
	if limit <= 0 {
		return slot, true
	}
	if margin <= 0 {
		margin = DefaultEndMargin
	}
	wanted := slot.At
	for range maxOccurrences {
		usableEnd := usableEnd(in, slot, margin)
		m0 := minuteOf(slot.At)
		m := p.find(ch, m0)
		at := slot.At
		if m != m0 {
			at = time.Unix(m*60, 0).UTC()
		}
		if at.Before(usableEnd) {
			p.take(ch, m, limit)
			if !at.Equal(wanted) {
				p.moved++
			}
			slot.At, slot.Local = at, at.In(in.Location)
			return slot, true
		}
		in.NotBefore = slot.WindowEnd
		next, ok := NextSendTime(in)
		if !ok {
			return Slot{}, false
		}
		slot = next
	}
	return Slot{}, false
}

// Reserve counts one send already planned on ch at t by another campaign,
// so this plan shares the channel's rate with it. A minute may already be
// over the limit (planned under an older rate); nothing more goes there.
func (p *CapacityPlanner) Reserve(ch models.Channel, t time.Time) {
	p.ReserveN(ch, t, 1)
}

// ReserveN counts n sends already planned on ch in the minute holding t,
// as n calls of Reserve would; n of zero or less changes nothing.
func (p *CapacityPlanner) ReserveN(ch models.Channel, t time.Time, n int) {
	limit := p.perMinute[ch]
	if limit <= 0 || n <= 0 {
		return
	}
	k := capKey{ch, minuteOf(t)}
	p.used[k] = int32(min(int(p.used[k])+n, math.MaxInt32))
	if int(p.used[k]) >= limit {
		p.next[k] = k.minute + 1
	}
}

// Moved returns how many placements landed later than asked because their
// minute was full (the preview's "moved by capacity").
func (p *CapacityPlanner) Moved() int { return p.moved }

// Used returns how many sends are reserved on ch in the minute holding t.
func (p *CapacityPlanner) Used(ch models.Channel, t time.Time) int {
	return int(p.used[capKey{ch, minuteOf(t)}])
}

// minuteOf is t's minute since the Unix epoch, floored also before 1970.
func minuteOf(t time.Time) int64 {
	s := t.Unix()
	if s < 0 && s%60 != 0 {
		return s/60 - 1
	}
	return s / 60
}

// find returns the first minute at or after m with room on ch.
func (p *CapacityPlanner) find(ch models.Channel, m int64) int64 {
	root := m
	for {
		n, full := p.next[capKey{ch, root}]
		if !full {
			break
		}
		root = n
	}
	for m != root {
		k := capKey{ch, m}
		m, p.next[k] = p.next[k], root
	}
	return root
}

func (p *CapacityPlanner) take(ch models.Channel, m int64, limit int) {
	k := capKey{ch, m}
	p.used[k]++
	if int(p.used[k]) >= limit {
		p.next[k] = m + 1
	}
}
