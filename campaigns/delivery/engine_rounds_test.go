package delivery_test

import (
	"context"
	"sync"
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
