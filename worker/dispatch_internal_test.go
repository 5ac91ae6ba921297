package worker

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
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

func TestTasksOfSplitsByChannelSizeAndSpan(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	due := func(id int64, ch models.Channel, after time.Duration) models.DueDelivery {
		return models.DueDelivery{ID: id, Channel: ch, ScheduledAt: at.Add(after)}
	}
	in := []models.DueDelivery{
		due(1, models.ChannelEmail, 0), due(2, models.ChannelSMS, 0), due(3, models.ChannelEmail, 0),
		due(4, models.ChannelEmail, 500*time.Millisecond), due(5, models.ChannelSMS, 20*time.Second), due(6, models.ChannelEmail, time.Second),
		due(7, models.ChannelEmail, 1500*time.Millisecond),
	}
	var got [][]int64
	for _, task := range tasksOf(in, 3) {
		var ids []int64
		for _, d := range task {
			ids = append(ids, d.ID)
		}
		got = append(got, ids)
	}
	// email: 1, 3, 4 (size 3), then 6 and 7 (within a second of 6);
	// sms: 2, then 5 twenty seconds later in a task of its own.
	want := [][]int64{{1, 3, 4}, {6, 7}, {2}, {5}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
}
