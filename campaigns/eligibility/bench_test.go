package eligibility_test

import (
	"context"
	"testing"

	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

// BenchmarkDecide measures the bulk eligibility decision of one eligible
// customer with spread and capacity placement, as a launch runs it.
func BenchmarkDecide(b *testing.B) {
	e, f := baseEvaluator(b), baseFacts()
	e.Spread = true
	f.Customer.Cadence = &models.Cadence{Max: 2, Per: "7d"}
	p := schedule.NewCapacityPlanner(map[models.Channel]int{models.ChannelEmail: schedule.SendsPerMinute(50)})
	ctx := context.Background()
	loc, err := schedule.LoadZone(f.Customer.Timezone)
	if err != nil {
		b.Fatal(err)
	}
	var id int64
	for b.Loop() {
		id++
		f.Customer.ID = id
		x, err := e.Decide(ctx, f)
		if err != nil || !x.Eligible {
			b.Fatalf("not eligible: %v %v", x, err)
		}
		in := schedule.Input{Now: e.Now, NotBefore: e.NotBefore, NotAfter: e.NotAfter, Location: loc, Windows: f.Customer.PreferredWindows}
		if _, ok := p.Place(x.Channel, in, *x.Slot, 0); !ok {
			b.Fatal("no capacity")
		}
	}
}
