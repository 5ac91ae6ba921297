package delivery_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/delivery"
	"github.com/candor/candor/models"
)

// flakyStore fails its first failures RecordOutcomes calls, as a database
// that restarts or a pool that is briefly exhausted would.
type flakyStore struct {
	fakeStore
	failures int
	calls    int
}

func (s *flakyStore) RecordOutcomes(ctx context.Context, w string, o []models.SendOutcome) error {
	s.calls++
	if s.calls <= s.failures {
		return models.Errorf(models.EUNAVAILABLE, "database restarting")
	}
	return s.fakeStore.RecordOutcomes(ctx, w, o)
}

func TestOutcomesSurviveAStoreThatFailsForAWhile(t *testing.T) {
	tests := []struct {
		name      string
		failures  int
		lease     time.Duration
		wantErr   bool
		wantCalls int
	}{
		{name: "a sent outcome is recorded once the store answers again", failures: 3, lease: time.Minute, wantCalls: 4},
		{name: "a store that never answers within the lease is reported as the batch's error", failures: 1 << 30,
			lease: 50 * time.Millisecond, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &flakyStore{fakeStore: fakeStore{claimed: []*models.ClaimedSend{claimed(1)}}, failures: tt.failures}
			m := &fakeMessenger{}
			e := delivery.New(delivery.Options{Store: st, Messenger: m, Links: links, Worker: "w1", Lease: tt.lease,
				RecordBackoff: time.Millisecond})
			err := e.SendBatch(context.Background(), []int64{1})
			if (err != nil) != tt.wantErr {
				t.Fatalf("SendBatch = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if models.ErrorCode(err) != models.EUNAVAILABLE {
					t.Errorf("error = %v, want the store's unavailable error", err)
				}
				return
			}
			if st.calls != tt.wantCalls {
				t.Errorf("RecordOutcomes called %d times, want %d", st.calls, tt.wantCalls)
			}
			want := []models.SendOutcome{{DeliveryID: 1, Status: models.DeliverySent, ProviderID: "p-1"}}
			if diff := cmp.Diff(want, st.recorded); diff != "" {
				t.Errorf("recorded (-want +got):\n%s", diff)
			}
			if len(m.sent) != 1 {
				t.Errorf("sent %d messages, want 1 (a retried record never resends)", len(m.sent))
			}
		})
	}
}

// closedLimiter never allows a send: its wait ends with ctx.
type closedLimiter struct{}

func (closedLimiter) Wait(ctx context.Context, _ models.Channel) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestARateWaitCutShortGivesTheClaimsAttemptBack(t *testing.T) {
	st := &fakeStore{claimed: []*models.ClaimedSend{claimed(1)}}
	m := &fakeMessenger{}
	e := delivery.New(delivery.Options{Store: st, Messenger: m, Limiter: closedLimiter{}, Links: links, Worker: "w1"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := e.SendBatch(ctx, []int64{1})
	var retry *delivery.Retry
	if !errors.As(err, &retry) || retry.Count != 1 {
		t.Fatalf("SendBatch = %v, want a retry of 1", err)
	}
	want := []models.SendOutcome{{DeliveryID: 1, Status: models.DeliveryQueued, NotAttempted: true, RetryIn: 2 * time.Second}}
	if diff := cmp.Diff(want, st.recorded); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
	if len(m.sent) != 0 {
		t.Errorf("sent %d messages, want none", len(m.sent))
	}
}
