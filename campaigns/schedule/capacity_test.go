package schedule_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

func TestSendsPerMinute(t *testing.T) {
	tests := []struct {
		name      string
		perSecond float64
		want      int
	}{
		{"ten a second is 600 a minute", 10, 600},
		{"fifty a minute stays fifty despite float rounding", 50.0 / 60, 50},
		{"one a minute stays one", 1.0 / 60, 1},
		{"a slower rate still allows one a minute", 0.001, 1},
		{"zero means no limit", 0, 0},
		{"a negative rate means no limit", -3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schedule.SendsPerMinute(tt.perSecond); got != tt.want {
				t.Errorf("SendsPerMinute(%v) = %d, want %d", tt.perSecond, got, tt.want)
			}
		})
	}
}

// placeAll places n customers who all want the same slot and returns
// their send times (RFC 3339, "none" for no slot).
func placeAll(tb testing.TB, p *schedule.CapacityPlanner, ch models.Channel, in schedule.Input, n int) []string {
	tb.Helper()
	var out []string
	for range n {
		slot, ok := schedule.PlaceSend(in, schedule.Placement{})
		if !ok {
			tb.Fatal("PlaceSend found no slot")
		}
		placed, ok := p.Place(ch, in, slot, 0)
		if !ok {
			out = append(out, "none")
			continue
		}
		out = append(out, placed.At.Format(time.RFC3339))
	}
	return out
}

func TestCapacityPlanner(t *testing.T) {
	in := schedule.Input{
		Now: utc(t, "2026-06-01T08:00:00Z"), NotAfter: utc(t, "2026-06-03T00:00:00Z"), Location: time.UTC,
		Windows: []models.Window{win("mon,tue", "09:00", "09:03")},
	}
	tests := []struct {
		name      string
		perMinute map[models.Channel]int
		channel   models.Channel
		n         int
		want      []string
		wantMoved int
	}{
		{"a full minute moves customers to the next minutes of the window",
			map[models.Channel]int{models.ChannelSMS: 2}, models.ChannelSMS, 4,
			[]string{"2026-06-01T09:00:00Z", "2026-06-01T09:00:00Z", "2026-06-01T09:01:00Z", "2026-06-01T09:01:00Z"}, 2},
		{"a full window moves customers to the next occurrence, never into the margin",
			map[models.Channel]int{models.ChannelSMS: 1}, models.ChannelSMS, 3,
			[]string{"2026-06-01T09:00:00Z", "2026-06-01T09:01:00Z", "2026-06-02T09:00:00Z"}, 2},
		{"no room before not_after leaves a customer without a slot",
			map[models.Channel]int{models.ChannelSMS: 1}, models.ChannelSMS, 5,
			[]string{"2026-06-01T09:00:00Z", "2026-06-01T09:01:00Z", "2026-06-02T09:00:00Z", "2026-06-02T09:01:00Z", "none"}, 3},
		{"a channel without a rate is not limited",
			map[models.Channel]int{models.ChannelSMS: 1}, models.ChannelEmail, 3,
			[]string{"2026-06-01T09:00:00Z", "2026-06-01T09:00:00Z", "2026-06-01T09:00:00Z"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := schedule.NewCapacityPlanner(tt.perMinute)
			got := placeAll(t, p, tt.channel, in, tt.n)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("send times (-want +got):\n%s", diff)
			}
			if p.Moved() != tt.wantMoved {
				t.Errorf("Moved() = %d, want %d", p.Moved(), tt.wantMoved)
			}
		})
	}
}

func TestCapacityPlannerKeepsChannelsApart(t *testing.T) {
	in := schedule.Input{
		Now: utc(t, "2026-06-01T08:00:00Z"), NotAfter: utc(t, "2026-06-03T00:00:00Z"), Location: time.UTC,
		Windows: []models.Window{win("mon", "09:00", "10:00")},
	}
	p := schedule.NewCapacityPlanner(map[models.Channel]int{models.ChannelSMS: 1, models.ChannelEmail: 1})
	sms := placeAll(t, p, models.ChannelSMS, in, 1)
	email := placeAll(t, p, models.ChannelEmail, in, 1)
	if diff := cmp.Diff(sms, email); diff != "" {
		t.Errorf("an SMS send took the email channel's capacity (-sms +email):\n%s", diff)
	}
}

// TestCapacityPlannerNeverOverfillsAMinute places many customers of
// random zones and windows and checks every minute and every send.
func TestCapacityPlannerNeverOverfillsAMinute(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 2026))
	const perMinute = 3
	p := schedule.NewCapacityPlanner(map[models.Channel]int{models.ChannelSMS: perMinute})
	now := utc(t, "2026-10-23T00:00:00Z")
	notAfter := now.Add(5 * 24 * time.Hour)
	perMinuteSeen := map[int64]int{}
	placed := 0
	for customer := range int64(3000) {
		zone := propertyZones[r.IntN(len(propertyZones))]
		in := schedule.Input{Now: now, NotAfter: notAfter, Location: mustZone(t, zone), Windows: randomWindows(r)}
		slot, ok := schedule.PlaceSend(in, schedule.Placement{CampaignID: 1, CustomerID: customer, Spread: customer%2 == 0})
		if !ok {
			continue
		}
		got, ok := p.Place(models.ChannelSMS, in, slot, 0)
		if !ok {
			continue
		}
		placed++
		if got.At.Before(slot.At) || got.At.Before(got.WindowStart) || !got.At.Before(earlier(got.WindowEnd, notAfter).Add(-schedule.DefaultEndMargin)) {
			t.Fatalf("customer %d (%s, %v): placed at %s outside the usable part of [%s, %s)", customer, zone, in.Windows, got.At, got.WindowStart, got.WindowEnd)
		}
		if check, ok := schedule.NextSendTime(schedule.Input{Now: got.At, NotAfter: notAfter, Location: in.Location, Windows: in.Windows}); !ok || !check.At.Equal(got.At) {
			t.Fatalf("customer %d (%s, %v): placed at %s, which is not inside a window", customer, zone, in.Windows, got.At)
		}
		minute := got.At.Unix() / 60
		perMinuteSeen[minute]++
		if perMinuteSeen[minute] > perMinute {
			t.Fatalf("minute %s holds %d sends, capacity is %d", got.At.Truncate(time.Minute), perMinuteSeen[minute], perMinute)
		}
		if p.Used(models.ChannelSMS, got.At) != perMinuteSeen[minute] {
			t.Fatalf("Used() = %d at %s, counted %d", p.Used(models.ChannelSMS, got.At), got.At, perMinuteSeen[minute])
		}
	}
	if placed < 1000 || p.Moved() == 0 {
		t.Fatalf("placed %d customers and moved %d: the test did not exercise crowded minutes", placed, p.Moved())
	}
}

// TestReserveNActsLikeRepeatedReserve compares, on random counts of
// already planned sends per minute, a planner told with ReserveN against
// one told with as many Reserve calls: every later placement must agree.
func TestReserveNActsLikeRepeatedReserve(t *testing.T) {
	in := schedule.Input{
		Now: utc(t, "2026-06-01T08:00:00Z"), NotAfter: utc(t, "2026-06-03T00:00:00Z"), Location: time.UTC,
		Windows: []models.Window{win("mon,tue", "09:00", "09:10")},
	}
	r := rand.New(rand.NewPCG(7, 11))
	for round := range 200 {
		limit := 1 + r.IntN(4)
		perMinute := map[models.Channel]int{models.ChannelSMS: limit}
		bulk, single := schedule.NewCapacityPlanner(perMinute), schedule.NewCapacityPlanner(perMinute)
		for m := range 10 {
			at := utc(t, "2026-06-01T09:00:30Z").Add(time.Duration(m) * time.Minute)
			n := r.IntN(limit + 2)
			bulk.ReserveN(models.ChannelSMS, at, n)
			for range n {
				single.Reserve(models.ChannelSMS, at)
			}
		}
		placements := 1 + r.IntN(20)
		got, want := placeAll(t, bulk, models.ChannelSMS, in, placements), placeAll(t, single, models.ChannelSMS, in, placements)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round %d (limit %d): ReserveN placements differ from repeated Reserve (-want +got):\n%s", round, limit, diff)
		}
	}
}
