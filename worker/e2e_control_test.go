package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/candor/candor/internal/testsinks"
	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
)

// crowd creates n email customers in group and launches a campaign to them.
func (h *harness) crowd(group string, n int) *models.Campaign {
	h.t.Helper()
	for i := range n {
		h.customer(fmt.Sprintf("%s-%03d", group, i), group, models.ChannelEmail, "Asia/Kathmandu", nil)
	}
	c := h.launch(h.content("Guide for "+group, nil), group)
	if c.Planned != int64(n) {
		h.t.Fatalf("planned %d, want %d", c.Planned, n)
	}
	return c
}

// count returns how many of the campaign's deliveries have each status.
func (h *harness) count(id int64) map[models.DeliveryStatus]int {
	h.t.Helper()
	out := map[models.DeliveryStatus]int{}
	for _, d := range h.deliveries(id) {
		out[d.Status]++
	}
	return out
}

// queueIdle reports whether the send queue has no task left to run.
func (h *harness) queueIdle() bool {
	h.t.Helper()
	in := asynq.NewInspector(h.redis)
	defer in.Close()
	info, err := in.GetQueueInfo(worker.QueueSend)
	if err != nil {
		h.t.Fatalf("queue info: %v", err)
	}
	return info.Pending+info.Active+info.Scheduled+info.Retry == 0
}

// waitingIDs counts the deliveries the send tasks waiting in the queue
// carry.
func (h *harness) waitingIDs() int {
	h.t.Helper()
	n := 0
	for _, p := range h.waitingPayloads() {
		n += len(p.IDs)
	}
	return n
}

// sendTask is a send task's payload as the queue holds it.
type sendTask struct {
	IDs     []int64        `json:"ids"`
	Channel models.Channel `json:"channel"`
}

// waitingPayloads returns the payloads of the send tasks waiting in the
// queue.
func (h *harness) waitingPayloads() []sendTask {
	h.t.Helper()
	in := asynq.NewInspector(h.redis)
	defer in.Close()
	var out []sendTask
	for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){in.ListPendingTasks, in.ListScheduledTasks} {
		tasks, err := list(worker.QueueSend)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			h.t.Fatalf("list tasks: %v", err)
		}
		for _, task := range tasks {
			var p sendTask
			if err := json.Unmarshal(task.Payload, &p); err != nil {
				h.t.Fatalf("payload of %s: %v", task.ID, err)
			}
			out = append(out, p)
		}
	}
	return out
}

// onceEach fails unless the email sink got exactly one message per key.
func onceEach(t *testing.T, s *testsinks.Sink, want int) {
	t.Helper()
	seen := map[string]bool{}
	for _, a := range s.Arrivals() {
		if seen[a.Key] {
			t.Errorf("message %s arrived twice", a.Key)
		}
		seen[a.Key] = true
	}
	if len(seen) != want {
		t.Errorf("%d distinct messages arrived, want %d", len(seen), want)
	}
}

// TestPauseStopsSendingAndResumeSendsTheRest pauses a campaign while it
// sends at a channel's rate: sending stops within seconds (what was
// claimed finishes, the rest stays planned), and resume sends the rest,
// each message once.
func TestPauseStopsSendingAndResumeSendsTheRest(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		const n = 80
		h := newHarness(t, 20) // four seconds of sending at 20 a second
		camp := h.crowd("pause", n)
		h.start()
		eventually(t, "the first message arrived", func() bool { return h.email.Count() > 0 })
		if _, err := h.s.PauseCampaign(ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "sending stopped", func() bool {
			c := h.count(camp.ID)
			return c[models.DeliveryQueued]+c[models.DeliverySending] == 0 && h.queueIdle()
		})
		c := h.count(camp.ID)
		if c[models.DeliveryPlanned] == 0 || c[models.DeliverySent]+c[models.DeliveryPlanned] != n || h.email.Count() != c[models.DeliverySent] {
			t.Fatalf("after the pause: %v and %d messages, want the unsent ones planned", c, h.email.Count())
		}
		t.Logf("sent before the pause took hold: %d of %d", c[models.DeliverySent], n)

		if _, err := h.s.ResumeCampaign(ctx, camp.ID, h.planner); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the campaign completed", func() bool { return h.campaignState(camp.ID) == models.CampaignCompleted })
		if c := h.count(camp.ID); c[models.DeliverySent] != n {
			t.Errorf("deliveries %v, want %d sent", c, n)
		}
		onceEach(t, h.email, n)
		want := []string{"draft->scheduled", "scheduled->running", "running->paused", "paused->running", "running->completed"}
		if diff := cmp.Diff(want, h.stateChanges(camp.ID)); diff != "" {
			t.Errorf("campaign.state_changed (-want +got):\n%s", diff)
		}
	})
}

// TestResumeAndCancelWithQueuedDeliveries pauses or cancels campaigns
// whose deliveries wait in the queue (handed on, still planned): the tasks
// then send nothing; a resumed campaign sends each message once, a
// cancelled one none.
func TestResumeAndCancelWithQueuedDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		h := newHarness(t, 500)
		paused, cancelled := h.crowd("resumed", 30), h.crowd("cancelled", 30)
		h.startScheduler() // dispatch only: the tasks wait in Redis
		eventually(t, "every delivery was handed to the queue", func() bool { return h.waitingIDs() == 60 })
		if _, err := h.s.PauseCampaign(ctx, paused.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.s.CancelCampaign(ctx, cancelled.ID); err != nil {
			t.Fatal(err)
		}
		h.startWorker()
		eventually(t, "the queued tasks ran", h.queueIdle)
		if c := h.count(paused.ID); c[models.DeliveryPlanned] != 30 {
			t.Fatalf("the paused campaign's deliveries are %v, want all planned", c)
		}
		if n := h.email.Count(); n != 0 {
			t.Fatalf("%d messages sent for a paused and a cancelled campaign", n)
		}
		for _, d := range h.deliveries(cancelled.ID) {
			if d.Status != models.DeliveryCancelled || d.Reason != models.ReasonCampaignCancelled {
				t.Errorf("%s: %s/%s, want cancelled/campaign_cancelled", d.ExternalID, d.Status, d.Reason)
			}
		}

		if _, err := h.s.ResumeCampaign(ctx, paused.ID, h.planner); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the resumed campaign completed", func() bool { return h.campaignState(paused.ID) == models.CampaignCompleted })
		onceEach(t, h.email, 30)
		if s := h.campaignState(cancelled.ID); s != models.CampaignCancelled {
			t.Errorf("cancelled campaign is %s", s)
		}
		want := []string{"draft->scheduled", "scheduled->running", "running->cancelled"}
		if diff := cmp.Diff(want, h.stateChanges(cancelled.ID)); diff != "" {
			t.Errorf("cancelled campaign.state_changed (-want +got):\n%s", diff)
		}
	})
}
