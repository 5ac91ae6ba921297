package worker

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHandedRemembersTheLastDeliveriesHandedOn(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	type probe struct {
		id, generation int64
	}
	tests := []struct {
		name string
		// add are (id, generation) pairs handed on in order, to a ring of
		// three.
		add  [][2]int64
		want map[probe]bool
	}{
		{"a delivery handed on is known in its generation only",
			[][2]int64{{1, 1}},
			map[probe]bool{{1, 1}: true, {1, 2}: false, {2, 1}: false}},
		{"the oldest is forgotten once the ring is full",
			[][2]int64{{1, 1}, {2, 1}, {3, 1}, {4, 1}},
			map[probe]bool{{1, 1}: false, {2, 1}: true, {3, 1}: true, {4, 1}: true}},
		{"a delivery handed on again outlives its older slot",
			[][2]int64{{1, 1}, {2, 1}, {1, 2}, {3, 1}},
			map[probe]bool{{1, 1}: false, {1, 2}: true, {2, 1}: true, {3, 1}: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHanded(3)
			for _, a := range tt.add {
				h.add(a[0], int(a[1]), "task", at)
			}
			got := map[probe]bool{}
			for p := range tt.want {
				_, got[p] = h.lookup(p.id, int(p.generation))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("known (-want +got):\n%s", diff)
			}
			if len(h.entries) > 3 {
				t.Errorf("%d entries kept, want at most 3", len(h.entries))
			}
		})
	}
}
