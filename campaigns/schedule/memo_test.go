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
// shares them), hold equal copies or the first part of them, or bring
// their own, with and without spread, and over inputs whose limits or
// margin differ from the plan's.
func TestMemoPlacesAsPlaceSend(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 12))
	plans := 300
	if testing.Short() {
		plans = 30
	}
	for range plans {
		base := randomCase(t, r)
		// The plan's shared zones and windows, as planning decodes them:
		// drawn apart, since a zone's customers hold many windows and one
		// windows text (or the default windows) spans many zones.
		zones := make([]*time.Location, 1+r.IntN(4))
		for i := range zones {
			zones[i] = randomCase(t, r).loc
		}
		windows := make([][]models.Window, 1+r.IntN(4))
		for i := range windows {
			windows[i] = randomWindows(r)
		}
		margin := []time.Duration{0, time.Minute, 5 * time.Minute, 30 * time.Minute}[r.IntN(4)]
		var m schedule.Memo
		for customer := range 60 {
			in := base.input()
			in.Location, in.Windows = zones[r.IntN(len(zones))], windows[r.IntN(len(windows))]
			switch r.IntN(10) {
			case 0: // equal contents in a slice of its own
				in.Windows = slices.Clone(in.Windows)
			case 1: // windows of its own
				in.Windows = randomWindows(r)
			case 2: // the first windows of a shared slice: same start, shorter
				in.Windows = in.Windows[:1+r.IntN(len(in.Windows))]
			case 3: // another plan's limits: placed without the memo
				in.NotAfter = in.NotAfter.Add(time.Duration(1+r.IntN(48)) * time.Hour)
			}
			p := schedule.Placement{CampaignID: int64(r.IntN(5)), CustomerID: int64(customer), Spread: r.IntN(2) == 0,
				Margin: margin}
			if r.IntN(10) == 0 { // another margin: placed without the memo
				p.Margin += time.Minute
			}
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
