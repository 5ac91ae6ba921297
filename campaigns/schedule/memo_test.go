package schedule_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

// TestMemoPlacesAsPlaceSend holds Memo to PlaceSend's answer over plans
// whose customers share zones and windows (the same slices, as planning
// shares them), hold equal copies of them, or bring their own, with and
// without spread, and over inputs whose limits differ from the plan's.
func TestMemoPlacesAsPlaceSend(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 12))
	plans := 300
	if testing.Short() {
		plans = 30
	}
	for range plans {
		base := randomCase(t, r)
		// The plan's shared zones and windows, as planning decodes them.
		type shared struct {
			loc     *time.Location
			windows []models.Window
		}
		pool := make([]shared, 1+r.IntN(6))
		for i := range pool {
			c := randomCase(t, r)
			pool[i] = shared{loc: c.loc, windows: c.windows}
		}
		var m schedule.Memo
		for customer := range 60 {
			in := base.input()
			s := pool[r.IntN(len(pool))]
			in.Location, in.Windows = s.loc, s.windows
			switch r.IntN(8) {
			case 0: // equal contents in a slice of its own
				in.Windows = slices.Clone(s.windows)
			case 1: // windows of its own
				in.Windows = randomWindows(r)
			case 2: // another plan's limits: placed without the memo
				in.NotAfter = in.NotAfter.Add(time.Duration(1+r.IntN(48)) * time.Hour)
			}
			p := schedule.Placement{CampaignID: int64(r.IntN(5)), CustomerID: int64(customer), Spread: r.IntN(2) == 0}
			wantSlot, wantOK := schedule.PlaceSend(in, p)
			gotSlot, gotOK := m.PlaceSend(in, p)
			if gotOK != wantOK {
				t.Fatalf("%s, customer %d, spread %t: memo ok %t, PlaceSend %t", base, customer, p.Spread, gotOK, wantOK)
			}
			if diff := cmp.Diff(wantSlot, gotSlot); diff != "" {
				t.Fatalf("%s, customer %d, spread %t: memo differs from PlaceSend (-want +got):\n%s", base, customer,
					p.Spread, diff)
			}
		}
	}
}
