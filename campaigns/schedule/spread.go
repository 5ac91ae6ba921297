package schedule

import "time"

// DefaultEndMargin is how long before a window occurrence's end (or the
// campaign's not_after) the last send may be planned. asynq forwards
// scheduled tasks every 5 s and a worker needs a moment to claim and send,
// so a send planned in the last seconds would often miss its window.
const DefaultEndMargin = time.Minute

// maxOccurrences bounds how many too-short window occurrences
// PlaceSend and CapacityPlanner skip before giving up, so a pathological
// input (say, only one-minute windows) cannot make planning loop long.
const maxOccurrences = 1000

// Placement says how to place a send inside its window occurrence.
type Placement struct {
	// CampaignID and CustomerID seed the deterministic spread offset.
	CampaignID, CustomerID int64
	// Spread places the send at a hashed offset into the usable part of
	// the occurrence (see spreadAt) instead of at its first instant.
	Spread bool
	// Margin is kept free before the occurrence's end and before
	// not_after; zero or negative means DefaultEndMargin.
	Margin time.Duration
}

func (p Placement) margin() time.Duration {
	if p.Margin <= 0 {
		return DefaultEndMargin
	}
	return p.Margin
}

// usableEnd is the last instant (exclusive) a send may be planned in
// slot's occurrence: its end or not_after, whichever is first, less margin.
func usableEnd(in Input, slot Slot, margin time.Duration) time.Time {
	end := slot.WindowEnd
	if !in.NotAfter.IsZero() && in.NotAfter.Before(end) {
		end = in.NotAfter
	}
	return end.Add(-margin)
}

// PlaceSend returns the planned send of one customer: the first window
// occurrence (from NextSendTime) that still has more than the margin left,
// and in it the earliest instant, or with Spread a deterministic instant in
// [earliest, usable end) (see spreadAt). The result is never before Now or
// NotBefore, never at or past the occurrence's end less the margin, nor at
// or past not_after less the margin. ok is false when no occurrence before
// not_after has room.
func PlaceSend(in Input, p Placement) (Slot, bool) {
	r := firstRoom(in, p.margin())
	return r.place(in, p)
}

// room is the first window occurrence with room found for an input: its
// slot before any spread, the usable end, and NotBefore as the search
// left it (spreadAt measures from it). It depends only on the input's
// Now, NotBefore, NotAfter, Location and Windows and on the margin, not
// on the customer (see Memo).
type room struct {
	slot      Slot
	usableEnd time.Time
	notBefore time.Time
	ok        bool
}

// firstRoom is PlaceSend's search: the first occurrence (from
// NextSendTime) that still has more than margin left.
func firstRoom(in Input, margin time.Duration) room {
	for range maxOccurrences {
		slot, ok := NextSendTime(in)
		if !ok {
			return room{}
		}
		usableEnd := usableEnd(in, slot, margin)
		if slot.At.Before(usableEnd) {
			return room{slot: slot, usableEnd: usableEnd, notBefore: in.NotBefore, ok: true}
		}
		if !in.NotAfter.IsZero() && !slot.At.Before(in.NotAfter.Add(-margin)) {
			return room{} // later occurrences are even closer to not_after
		}
		in.NotBefore = slot.WindowEnd
	}
	return room{}
}

// place is PlaceSend's answer for p from the room found for in.
func (r room) place(in Input, p Placement) (Slot, bool) {
	if !r.ok {
		return Slot{}, false
	}
	slot := r.slot
	if p.Spread {
		in.NotBefore = r.notBefore
		slot.At = spreadAt(in, slot, r.usableEnd, p)
		slot.Local = slot.At.In(in.Location)
	}
	return slot, true
}

// spreadAt places a spread send in slot's occurrence. The hashed point is
// measured from the occurrence's start (or not_before, if later), never
// from Now: a preview, an explain and the launch that follows them then
// agree on every send whose point is still ahead. Only when the window is
// already open and the point has passed is the send spread over the rest
// of the occurrence instead, so a launch in the middle of a window does
// not pile its late customers onto its first instant. The result lies in
// [slot.At, usableEnd) because slot.At < usableEnd and base <= slot.At.
func spreadAt(in Input, slot Slot, usableEnd time.Time, p Placement) time.Time {
	base := slot.WindowStart
	if in.NotBefore.After(base) {
		base = in.NotBefore
	}
	if point := base.Add(SpreadOffset(p.CampaignID, p.CustomerID, usableEnd.Sub(base))); !point.Before(slot.At) {
		return point
	}
	return slot.At.Add(SpreadOffset(p.CampaignID, p.CustomerID, usableEnd.Sub(slot.At)))
}

// SpreadOffset returns a deterministic offset in whole seconds in
// [0, span), or 0 when span is shorter than a second. The same campaign
// and customer always get the same fraction of the span, in every process
// and on every re-plan, so a retried launch plans identical times; the hash
// mixes both ids so customers of one campaign spread evenly.
func SpreadOffset(campaignID, customerID int64, span time.Duration) time.Duration {
	seconds := uint64(span / time.Second)
	if seconds == 0 {
		return 0
	}
	h := mix(uint64(campaignID)*0x9e3779b97f4a7c15 ^ mix(uint64(customerID)))
	return time.Duration(h%seconds) * time.Second
}

// mix is the splitmix64 finalizer: a cheap bijection whose output
// bits all depend on every input bit. Changing it would move every planned
// send, so it is fixed.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
