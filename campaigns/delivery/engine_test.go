package delivery_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/delivery"
	"github.com/candor/candor/models"
)

// fakeStore hands out claimed sends and keeps the recorded outcomes.
type fakeStore struct {
	mu       sync.Mutex
	claimed  []*models.ClaimedSend
	recorded []models.SendOutcome
}

func (s *fakeStore) ClaimDeliveries(context.Context, []int64, string, time.Duration, models.Planner) ([]*models.ClaimedSend, error) {
	return s.claimed, nil
}

func (s *fakeStore) RecordOutcomes(_ context.Context, _ string, o []models.SendOutcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recorded = append(s.recorded, o...)
	return nil
}

// failure is a delivery.Failure with fixed answers.
type failure struct {
	permanent, maybeSent bool
	after                time.Duration
}

func (f failure) Error() string             { return "provider said no" }
func (f failure) Permanent() bool           { return f.permanent }
func (f failure) MaybeSent() bool           { return f.maybeSent }
func (f failure) RetryAfter() time.Duration { return f.after }

// fakeMessenger answers every send with err (and provider id "p-<id>").
type fakeMessenger struct {
	err        error
	idempotent bool
	sent       []*delivery.Message
	mu         sync.Mutex
}

func (m *fakeMessenger) Send(_ context.Context, msg *delivery.Message) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	if m.err != nil {
		return "", m.err
	}
	return "p-1", nil
}

func (m *fakeMessenger) Idempotent(models.Channel) bool { return m.idempotent }

func claimed(attempts int) *models.ClaimedSend {
	return &models.ClaimedSend{
		Delivery: &models.Delivery{ID: 1, CampaignID: 2, Channel: models.ChannelEmail, Locale: "en", ContentID: 3, ContentVersion: 1,
			Status: models.DeliverySending, Attempts: attempts},
		Customer: &models.Customer{ID: 9, Name: "Ada", Email: "ada@example.com"},
		Version: &models.ContentVersion{ContentInput: models.ContentInput{Kind: models.KindEducation, DefaultLocale: "en",
			Variants: []models.Variant{{Locale: "en", Channel: models.ChannelEmail, Subject: "Hello", Text: "Hi {{.Customer.Name}}."}}}},
		Decision: models.SendDecision{Action: models.SendNow, Address: "ada@example.com"},
	}
}

func links(*models.Customer) (string, string) {
	return "https://c.example/u/t", "https://c.example/p/t"
}

func TestSendBatchRecordsWhatEachSendCameTo(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		idempotent bool
		attempts   int
		want       models.SendOutcome
		wantRetry  time.Duration // 0: no retry asked
	}{
		{name: "a send the channel accepted is sent with the provider's id",
			want: models.SendOutcome{DeliveryID: 1, Status: models.DeliverySent, ProviderID: "p-1"}},
		{name: "a permanent refusal fails the delivery as rejected", err: failure{permanent: true},
			want: models.SendOutcome{DeliveryID: 1, Status: models.DeliveryFailed, Reason: models.ReasonRejected}},
		{name: "a send that may have arrived on a channel without idempotency is unknown, never retried",
			err: failure{maybeSent: true}, want: models.SendOutcome{DeliveryID: 1, Status: models.DeliveryUnknown}},
		{name: "a send that may have arrived on an idempotent channel is retried with the same key",
			err: failure{maybeSent: true}, idempotent: true, attempts: 1,
			want: models.SendOutcome{DeliveryID: 1, Status: models.DeliveryQueued, RetryIn: 2 * time.Second}, wantRetry: 2 * time.Second},
		{name: "a transient failure is queued again and retried no sooner than the provider asked",
			err: failure{after: 90 * time.Second}, attempts: 1,
			want: models.SendOutcome{DeliveryID: 1, Status: models.DeliveryQueued, RetryIn: 90 * time.Second}, wantRetry: 90 * time.Second},
		{name: "an error that is not a Failure counts as transient", err: errors.New("connection reset"), attempts: 2,
			want: models.SendOutcome{DeliveryID: 1, Status: models.DeliveryQueued, RetryIn: 4 * time.Second}, wantRetry: 4 * time.Second},
		{name: "the last allowed attempt fails the delivery as retries_exhausted", err: failure{}, attempts: 5,
			want: models.SendOutcome{DeliveryID: 1, Status: models.DeliveryFailed, Reason: models.ReasonRetriesExhausted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{claimed: []*models.ClaimedSend{claimed(tt.attempts)}}
			m := &fakeMessenger{err: tt.err, idempotent: tt.idempotent}
			e := delivery.New(delivery.Options{Store: st, Messenger: m, Links: links, Worker: "w1", MaxAttempts: 5})
			err := e.SendBatch(context.Background(), []int64{1})
			var retry *delivery.Retry
			switch {
			case tt.wantRetry == 0 && err != nil:
				t.Fatalf("SendBatch = %v, want nil", err)
			case tt.wantRetry != 0 && (!errors.As(err, &retry) || retry.Delay != tt.wantRetry || retry.Count != 1):
				t.Fatalf("SendBatch = %v, want a retry of 1 in %s", err, tt.wantRetry)
			}
			if diff := cmp.Diff([]models.SendOutcome{tt.want}, st.recorded); diff != "" {
				t.Errorf("recorded (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendBatchRendersTheMessageForTheCustomer(t *testing.T) {
	st := &fakeStore{claimed: []*models.ClaimedSend{claimed(1)}}
	m := &fakeMessenger{}
	e := delivery.New(delivery.Options{Store: st, Messenger: m, Links: links, Worker: "w1"})
	if err := e.SendBatch(context.Background(), []int64{1}); err != nil {
		t.Fatal(err)
	}
	if len(m.sent) != 1 {
		t.Fatalf("sent %d messages, want 1", len(m.sent))
	}
	got := m.sent[0]
	if got.To != "ada@example.com" || got.Subject != "Hello" || got.UnsubscribeURL != "https://c.example/u/t" || got.DeliveryID != 1 {
		t.Errorf("message = %+v", got)
	}
	if want := "Hi Ada."; len(got.Text) < len(want) || got.Text[:len(want)] != want {
		t.Errorf("text = %q, want it to start with %q", got.Text, want)
	}
}

func TestSendBatchWithNothingClaimedSendsNothing(t *testing.T) {
	st := &fakeStore{}
	m := &fakeMessenger{}
	e := delivery.New(delivery.Options{Store: st, Messenger: m, Links: links})
	if err := e.SendBatch(context.Background(), []int64{1, 2}); err != nil || len(m.sent) != 0 || len(st.recorded) != 0 {
		t.Fatalf("SendBatch = %v, sent %d, recorded %d; want nothing", err, len(m.sent), len(st.recorded))
	}
}

// panicking is a Messenger whose transport has a defect.
type panicking struct{ fakeMessenger }

func (*panicking) Send(context.Context, *delivery.Message) (string, error) { panic("transport defect") }

func TestASendThatPanicsFailsItsDeliveryInsteadOfTheProcess(t *testing.T) {
	st := &fakeStore{claimed: []*models.ClaimedSend{claimed(1)}}
	e := delivery.New(delivery.Options{Store: st, Messenger: &panicking{}, Links: links, Worker: "w1"})
	if err := e.SendBatch(context.Background(), []int64{1}); err != nil {
		t.Fatal(err)
	}
	want := []models.SendOutcome{{DeliveryID: 1, Status: models.DeliveryFailed, Reason: models.ReasonRejected}}
	if diff := cmp.Diff(want, st.recorded); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
}
