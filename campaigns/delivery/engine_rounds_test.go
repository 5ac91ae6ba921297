package delivery_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/delivery"
	"github.com/candor/candor/models"
)

// roundsStore records the size of each claim and claims nothing.
type roundsStore struct {
	mu     sync.Mutex
	claims []int
}

func (s *roundsStore) ClaimDeliveries(_ context.Context, ids []int64, _ string, _ time.Duration, _ models.Planner) ([]*models.ClaimedSend, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claims = append(s.claims, len(ids))
	return nil, nil
}

func (s *roundsStore) RecordOutcomes(context.Context, string, []models.SendOutcome) error { return nil }

func TestABatchIsClaimedInRoundsOfItsChannel(t *testing.T) {
	ids := make([]int64, 25)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	tests := []struct {
		name string
		send func(*delivery.Engine) error
		want []int
	}{
		{name: "a webhook batch goes in one round when webhooks are not paced",
			send: func(e *delivery.Engine) error {
				return e.SendChannelBatch(context.Background(), models.ChannelWebhook, ids)
			},
			want: []int{25}},
		{name: "an sms batch goes ten at a time at 10/s",
			send: func(e *delivery.Engine) error {
				return e.SendChannelBatch(context.Background(), models.ChannelSMS, ids)
			},
			want: []int{10, 10, 5}},
		{name: "a channel with no round of its own gets Parallel",
			send: func(e *delivery.Engine) error {
				return e.SendChannelBatch(context.Background(), models.ChannelEmail, ids)
			},
			want: []int{10, 10, 5}},
		{name: "a batch of no known channel gets Parallel",
			send: func(e *delivery.Engine) error { return e.SendChannelBatch(context.Background(), "", ids) },
			want: []int{10, 10, 5}},
		{name: "SendBatch is a batch of no known channel",
			send: func(e *delivery.Engine) error { return e.SendBatch(context.Background(), ids) },
			want: []int{10, 10, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &roundsStore{}
			e := delivery.New(delivery.Options{Store: st, Messenger: &fakeMessenger{}, Links: links, Parallel: 10,
				Rounds: map[models.Channel]int{models.ChannelWebhook: 300, models.ChannelSMS: 10}})
			if err := tt.send(e); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, st.claims); diff != "" {
				t.Errorf("claim sizes (-want +got):\n%s", diff)
			}
		})
	}
}

// claimAll claims every id it is asked for, as email sends.
type claimAll struct {
	roundsStore
	recorded int
}

func (s *claimAll) ClaimDeliveries(_ context.Context, ids []int64, _ string, _ time.Duration, _ models.Planner) ([]*models.ClaimedSend, error) {
	out := make([]*models.ClaimedSend, len(ids))
	for i, id := range ids {
		out[i] = claimed(0)
		d := *out[i].Delivery
		d.ID = id
		out[i].Delivery = &d
	}
	return out, nil
}

func (s *claimAll) RecordOutcomes(_ context.Context, _ string, o []models.SendOutcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range o {
		if x.Status == models.DeliverySent {
			s.recorded++
		}
	}
	return nil
}

// slowMessenger takes a moment per send and keeps the most sends it saw
// at once.
type slowMessenger struct {
	fakeMessenger
	now, most atomic.Int64
}

func (m *slowMessenger) Send(context.Context, *delivery.Message) (string, error) {
	n := m.now.Add(1)
	defer m.now.Add(-1)
	for {
		most := m.most.Load()
		if n <= most || m.most.CompareAndSwap(most, n) {
			break
		}
	}
	time.Sleep(2 * time.Millisecond)
	return "p", nil
}

func TestARoundSendsAtMostFanoutAtOnce(t *testing.T) {
	ids := make([]int64, 200)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	st, m := &claimAll{}, &slowMessenger{}
	e := delivery.New(delivery.Options{Store: st, Messenger: m, Links: links, Parallel: 200, Fanout: 8})
	if err := e.SendBatch(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
	if st.recorded != 200 {
		t.Errorf("%d of 200 recorded sent", st.recorded)
	}
	if got := m.most.Load(); got > 8 || got < 2 {
		t.Errorf("at most %d sends ran at once, want 2-8 (Fanout 8, and still at once)", got)
	}
}

// blockingMessenger holds every send until its context ends.
type blockingMessenger struct{ fakeMessenger }

func (*blockingMessenger) Send(ctx context.Context, _ *delivery.Message) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
}

// outcomeStore claims every id and keeps the outcomes recorded.
type outcomeStore struct {
	claimAll
	outcomes []models.SendOutcome
}

func (s *outcomeStore) RecordOutcomes(_ context.Context, _ string, o []models.SendOutcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes = append(s.outcomes, o...)
	return nil
}

func TestSendsNotStartedWhenTheTaskEndsAreQueuedWithTheirAttemptGivenBack(t *testing.T) {
	ids := make([]int64, 10)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	st := &outcomeStore{}
	e := delivery.New(delivery.Options{Store: st, Messenger: &blockingMessenger{}, Links: links, Parallel: 10, Fanout: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = e.SendBatch(ctx, ids)
	if len(st.outcomes) != 10 {
		t.Fatalf("%d outcomes recorded, want 10", len(st.outcomes))
	}
	notAttempted := 0
	for _, o := range st.outcomes {
		if o.Status == models.DeliveryQueued && o.NotAttempted {
			notAttempted++
		}
	}
	// Two sends were under way when the task's time ran out; the other
	// eight never started.
	if notAttempted != 8 {
		t.Errorf("%d outcomes queued as not attempted, want the 8 sends that never started: %+v", notAttempted, st.outcomes)
	}
}
