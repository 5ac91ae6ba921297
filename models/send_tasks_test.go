package models_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestSendTasksSplitsByChannelSizeAndSpan(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	due := func(id int64, ch models.Channel, after time.Duration) models.DueDelivery {
		return models.DueDelivery{ID: id, Channel: ch, ScheduledAt: at.Add(after), Generation: 1}
	}
	in := []models.DueDelivery{
		due(1, models.ChannelEmail, 0), due(2, models.ChannelSMS, 0), due(3, models.ChannelEmail, 0),
		due(4, models.ChannelEmail, 500*time.Millisecond), due(5, models.ChannelSMS, 20*time.Second), due(6, models.ChannelEmail, time.Second),
		due(7, models.ChannelEmail, 1500*time.Millisecond),
	}
	type task struct {
		IDs       []int64
		Channel   models.Channel
		ProcessAt time.Time
	}
	var got []task
	for _, tk := range models.SendTasks("send", in, 3) {
		if diff := cmp.Diff(tk.IDs, ids(tk.Due)); diff != "" {
			t.Errorf("task %s: its ids are not the deliveries it carries (-ids +due):\n%s", tk.TaskID, diff)
		}
		got = append(got, task{tk.IDs, tk.Channel, tk.ProcessAt})
	}
	// email: 1, 3, 4 (size 3), then 6 and 7 (within a second of 6);
	// sms: 2, then 5 twenty seconds later in a task of its own. Each task
	// runs when its latest delivery is due.
	want := []task{
		{[]int64{1, 3, 4}, models.ChannelEmail, at.Add(500 * time.Millisecond)},
		{[]int64{6, 7}, models.ChannelEmail, at.Add(1500 * time.Millisecond)},
		{[]int64{2}, models.ChannelSMS, at},
		{[]int64{5}, models.ChannelSMS, at.Add(20 * time.Second)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
}

func TestNewSendBatchDerivesItsIDFromTheWork(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	base := []models.DueDelivery{
		{ID: 10, Channel: models.ChannelWebhook, ScheduledAt: at, Generation: 1, Attempts: 0},
		{ID: 11, Channel: models.ChannelWebhook, ScheduledAt: at, Generation: 1, Attempts: 0},
	}
	id := models.NewSendBatch("send", base).TaskID
	changed := func(f func(d []models.DueDelivery)) []models.DueDelivery {
		out := append([]models.DueDelivery(nil), base...)
		f(out)
		return out
	}
	tests := []struct {
		name   string
		prefix string
		due    []models.DueDelivery
		same   bool
	}{
		{"the same work handed on again is the same task", "send", changed(func([]models.DueDelivery) {}), true},
		{"a re-planned delivery makes a new task", "send", changed(func(d []models.DueDelivery) { d[1].Generation = 2 }), false},
		{"a retried delivery makes a new task", "send", changed(func(d []models.DueDelivery) { d[0].Attempts = 1 }), false},
		{"a later scheduled time alone does not", "send", changed(func(d []models.DueDelivery) { d[0].ScheduledAt = at.Add(time.Second) }), true},
		{"the reconciler's prefix makes its own task", "retry", changed(func([]models.DueDelivery) {}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.NewSendBatch(tt.prefix, tt.due).TaskID == id; got != tt.same {
				t.Errorf("same task id as before: %v, want %v (%s vs %s)", got, tt.same, models.NewSendBatch(tt.prefix, tt.due).TaskID, id)
			}
		})
	}
	if mixed := models.NewSendBatch("send", changed(func(d []models.DueDelivery) { d[1].Channel = models.ChannelSMS })); mixed.Channel != "" {
		t.Errorf("a batch of two channels names channel %q, want none", mixed.Channel)
	}
}

// ids lists the deliveries' ids.
func ids(due []models.DueDelivery) []int64 {
	out := make([]int64, len(due))
	for i, d := range due {
		out[i] = d.ID
	}
	return out
}
