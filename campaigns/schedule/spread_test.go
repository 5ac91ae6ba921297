package schedule_test

import (
	"testing"
	"time"

	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

func TestSpreadOffset(t *testing.T) {
	tests := []struct {
		name string
		span time.Duration
		want func(time.Duration) bool
	}{
		{"an empty span gives no offset", 0, func(d time.Duration) bool { return d == 0 }},
		{"a span under a second gives no offset", 999 * time.Millisecond, func(d time.Duration) bool { return d == 0 }},
		{"a one-second span can only give zero", time.Second, func(d time.Duration) bool { return d == 0 }},
		{"an hour span gives whole seconds below an hour", time.Hour, func(d time.Duration) bool {
			return d >= 0 && d < time.Hour && d%time.Second == 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for customer := range int64(200) {
				if got := schedule.SpreadOffset(42, customer, tt.span); !tt.want(got) {
					t.Fatalf("SpreadOffset(42, %d, %s) = %s", customer, tt.span, got)
				}
			}
		})
	}
}

func TestSpreadOffsetIsDeterministicAndEven(t *testing.T) {
	const customers, buckets = 60000, 60
	span := time.Hour
	counts := make([]int, buckets)
	for c := range int64(customers) {
		d := schedule.SpreadOffset(7, c, span)
		if again := schedule.SpreadOffset(7, c, span); again != d {
			t.Fatalf("customer %d: %s then %s", c, d, again)
		}
		counts[int(d/time.Minute)]++
	}
	// Each minute should get about 1,000; a hash that clusters would not.
	for minute, n := range counts {
		if n < 850 || n > 1150 {
			t.Errorf("minute %d got %d of %d sends, want about %d", minute, n, customers, customers/buckets)
		}
	}
	if schedule.SpreadOffset(7, 1, span) == schedule.SpreadOffset(8, 1, span) &&
		schedule.SpreadOffset(7, 2, span) == schedule.SpreadOffset(8, 2, span) {
		t.Error("the campaign id does not change the offsets")
	}
}

func TestPlaceSend(t *testing.T) {
	daily := []models.Window{win("mon,tue,wed,thu,fri,sat,sun", "09:00", "10:00")}
	tests := []struct {
		name      string
		now       string
		notAfter  string
		placement schedule.Placement
		wantAt    string // "" for no slot
		wantLo    string // with spread: the range [wantLo, wantAt) instead
	}{
		{"without spread the send is at the window's first instant",
			"2026-06-01T08:00:00Z", "2026-06-10T00:00:00Z", schedule.Placement{}, "2026-06-01T09:00:00Z", ""},
		{"with spread the send lies in the window before the margin",
			"2026-06-01T08:00:00Z", "2026-06-10T00:00:00Z", schedule.Placement{CampaignID: 3, CustomerID: 9, Spread: true}, "2026-06-01T09:59:00Z", "2026-06-01T09:00:00Z"},
		{"with spread a late planner spreads over the rest of the window only",
			"2026-06-01T09:40:00Z", "2026-06-10T00:00:00Z", schedule.Placement{CampaignID: 3, CustomerID: 9, Spread: true}, "2026-06-01T09:59:00Z", "2026-06-01T09:40:00Z"},
		{"less than the margin left moves the send to the next window",
			"2026-06-01T09:59:30Z", "2026-06-10T00:00:00Z", schedule.Placement{}, "2026-06-02T09:00:00Z", ""},
		{"exactly the margin left moves the send to the next window",
			"2026-06-01T09:59:00Z", "2026-06-10T00:00:00Z", schedule.Placement{}, "2026-06-02T09:00:00Z", ""},
		{"a larger margin is honoured",
			"2026-06-01T09:45:00Z", "2026-06-10T00:00:00Z", schedule.Placement{Margin: 20 * time.Minute}, "2026-06-02T09:00:00Z", ""},
		{"not_after inside the window ends the usable part a margin earlier",
			"2026-06-01T08:00:00Z", "2026-06-01T09:30:00Z", schedule.Placement{CampaignID: 1, CustomerID: 2, Spread: true}, "2026-06-01T09:29:00Z", "2026-06-01T09:00:00Z"},
		{"not_after within the margin of the window's opening leaves no slot",
			"2026-06-01T08:00:00Z", "2026-06-01T09:01:00Z", schedule.Placement{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := schedule.Input{Now: utc(t, tt.now), NotAfter: utc(t, tt.notAfter), Location: time.UTC, Windows: daily}
			got, ok := schedule.PlaceSend(in, tt.placement)
			switch {
			case tt.wantAt == "":
				if ok {
					t.Fatalf("got %s, want no slot", got.At)
				}
			case !ok:
				t.Fatal("got no slot")
			case tt.wantLo == "" && !got.At.Equal(utc(t, tt.wantAt)):
				t.Fatalf("got %s, want %s", got.At, tt.wantAt)
			case tt.wantLo != "" && (got.At.Before(utc(t, tt.wantLo)) || !got.At.Before(utc(t, tt.wantAt))):
				t.Fatalf("got %s, want in [%s, %s)", got.At, tt.wantLo, tt.wantAt)
			}
			if ok && !got.Local.Equal(got.At) {
				t.Errorf("Local %s is not At %s", got.Local, got.At)
			}
		})
	}
}

func TestPlaceSendSpreadIsMeasuredFromTheOccurrence(t *testing.T) {
	daily := []models.Window{win("mon,tue,wed,thu,fri,sat,sun", "09:00", "10:00")}
	p := schedule.Placement{CampaignID: 3, CustomerID: 9, Spread: true}
	opens, usableEnd := utc(t, "2026-06-01T09:00:00Z"), utc(t, "2026-06-01T09:59:00Z")
	point := opens.Add(schedule.SpreadOffset(p.CampaignID, p.CustomerID, usableEnd.Sub(opens)))
	if point.Sub(opens) < 2*time.Second || usableEnd.Sub(point) < 2*time.Second {
		t.Fatalf("the fixture's hashed point %s is too close to the window's edges to test both sides of it", point)
	}
	notBefore := utc(t, "2026-06-01T09:20:00Z")
	fromNotBefore := notBefore.Add(schedule.SpreadOffset(p.CampaignID, p.CustomerID, usableEnd.Sub(notBefore)))
	late := point.Add(time.Second)
	tests := []struct {
		name      string
		nows      []time.Time
		notBefore time.Time
		want      time.Time
	}{
		{"every planner before the window opens gets the same instant",
			[]time.Time{utc(t, "2026-05-31T12:00:00Z"), utc(t, "2026-06-01T08:00:00Z"), opens.Add(-time.Second)}, time.Time{}, point},
		{"a planner inside the open window gets that instant while it is ahead",
			[]time.Time{opens, opens.Add(time.Second), point.Add(-time.Second), point}, time.Time{}, point},
		{"a not_before inside the window is where the hashed offset starts",
			[]time.Time{utc(t, "2026-06-01T08:00:00Z"), notBefore}, notBefore, fromNotBefore},
		{"a planner past the hashed point spreads over the rest of the window",
			[]time.Time{late}, time.Time{}, late.Add(schedule.SpreadOffset(p.CampaignID, p.CustomerID, usableEnd.Sub(late)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, now := range tt.nows {
				in := schedule.Input{Now: now, NotBefore: tt.notBefore, NotAfter: utc(t, "2026-06-10T00:00:00Z"), Location: time.UTC, Windows: daily}
				got, ok := schedule.PlaceSend(in, p)
				if !ok || !got.At.Equal(tt.want) {
					t.Errorf("now %s: got %s (ok %t), want %s", now, got.At, ok, tt.want)
				}
				if ok && (got.At.Before(now) || !got.At.Before(usableEnd)) {
					t.Errorf("now %s: %s is outside [now, %s)", now, got.At, usableEnd)
				}
			}
		})
	}
}
