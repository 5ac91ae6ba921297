package store_test

import (
	"testing"

	"github.com/candor/candor/models"
)

func TestAClaimHandedBackUnsentGivesItsAttemptBack(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		_, id := f.launchDispatched("waited", "tried")
		for _, c := range f.claim(id["waited"], id["tried"]) {
			if c.Delivery.Attempts != 1 {
				t.Fatalf("claimed delivery %d with %d attempts, want 1", c.Delivery.ID, c.Delivery.Attempts)
			}
		}
		f.record(
			models.SendOutcome{DeliveryID: id["waited"], Status: models.DeliveryQueued, NotAttempted: true},
			models.SendOutcome{DeliveryID: id["tried"], Status: models.DeliveryQueued},
		)
		tests := []struct {
			name, ext string
			want      int
		}{
			{"a delivery that never reached the channel keeps no attempt", "waited", 0},
			{"a delivery whose send failed keeps its attempt", "tried", 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := f.delivery(id[tt.ext])
				if d.Status != models.DeliveryQueued || d.Attempts != tt.want {
					t.Errorf("delivery is %s with %d attempts, want queued with %d", d.Status, d.Attempts, tt.want)
				}
			})
		}
	})
}
