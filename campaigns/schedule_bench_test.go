package campaigns_test

import (
	"context"
	"testing"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// BenchmarkNextSendTime measures one send-time computation across a DST
// change, the per-customer cost of preview and launch.
func BenchmarkNextSendTime(b *testing.B) {
	in := campaigns.ScheduleInput{
		Now: utc(b, "2026-10-23T12:00:00Z"), NotAfter: utc(b, "2026-11-10T00:00:00Z"),
		Location: mustZone(b, "Europe/Berlin"),
		Windows:  []models.Window{win("sun", "02:00", "03:00"), win("mon,wed", "18:00", "20:00")},
	}
	for b.Loop() {
		if _, ok := campaigns.NextSendTime(in); !ok {
			b.Fatal("no slot")
		}
	}
}

// BenchmarkDecide measures the bulk eligibility decision of one eligible
// customer with spread and capacity placement, as a launch runs it.
func BenchmarkDecide(b *testing.B) {
	e, f := baseEvaluator(b), baseFacts()
	e.Spread = true
	f.Customer.Cadence = &models.Cadence{Max: 2, Per: "7d"}
	p := campaigns.NewCapacityPlanner(map[models.Channel]int{models.ChannelEmail: campaigns.SendsPerMinute(50)})
	ctx := context.Background()
	loc := mustZone(b, f.Customer.Timezone)
	var id int64
	for b.Loop() {
		id++
		f.Customer.ID = id
		x, err := e.Decide(ctx, f)
		if err != nil || !x.Eligible {
			b.Fatalf("not eligible: %v %v", x, err)
		}
		in := campaigns.ScheduleInput{Now: e.Now, NotBefore: e.NotBefore, NotAfter: e.NotAfter, Location: loc, Windows: f.Customer.PreferredWindows}
		if _, ok := p.Place(x.Channel, in, *x.Slot, 0); !ok {
			b.Fatal("no capacity")
		}
	}
}
