package worker_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
	"github.com/candor/candor/webhooks"
	"github.com/candor/candor/worker"
)

// crashingStore is the store of a worker process that dies after its
// first round of requests, before it records their outcomes.
type crashingStore struct {
	worker.OutboundStore
	crash func()
	once  sync.Once
}

func (c *crashingStore) RecordWebhookOutcomes(context.Context, []models.WebhookOutcome, models.DisablePolicy) ([]models.DisabledEndpoint, error) {
	c.once.Do(c.crash)
	return nil, errors.New("the worker died before recording its round")
}

// tagged sends every request with X-Test-Worker naming the process.
type tagged struct {
	name string
	next http.RoundTripper
}

func (t tagged) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Test-Worker", t.name)
	return t.next.RoundTrip(r)
}

func taggedSender(name string) *webhooks.Sender {
	c := webhooks.NewClient(5*time.Second, true)
	c.Transport = tagged{name, c.Transport}
	return &webhooks.Sender{Client: c, AllowPrivate: true}
}

// TestOutboundCrashLosesNothingAndNeverSendsTwiceAtOnce runs two worker
// processes on one database. The first takes the lease, sends a round
// and dies before recording it; the second, which has been polling all
// along, sends nothing while the first holds the lease, takes over when
// the lease expires and sends every event (the first round's again, with
// the same webhook-ids, for receivers to deduplicate). The sink fails the
// test if one webhook-id is ever in flight twice at once.
func TestOutboundCrashLosesNothingAndNeverSendsTwiceAtOnce(t *testing.T) {
	forEachBackend(t, testOutboundCrashLosesNothingAndNeverSendsTwiceAtOnce)
}

func testOutboundCrashLosesNothingAndNeverSendsTwiceAtOnce(t *testing.T) {
	f := newOutboundFixture(t)
	f.endpoint("", models.EventCustomerCreated, models.EventCustomerUpdated)
	f.rcv.delay = 2 * time.Millisecond
	const customers, versions = 30, 4
	for v := 1; v <= versions; v++ {
		for c := range customers {
			f.customer("c"+strconv.Itoa(c), v)
		}
	}
	const lease = 2 * time.Second
	ctxA, crashA := context.WithCancel(context.Background())
	a := f.outbound(func(o *worker.OutboundOptions) {
		o.Worker, o.Lease, o.Round, o.Tick, o.Sender = "A", lease, 50, 10*time.Millisecond, taggedSender("A")
		o.Store = &crashingStore{OutboundStore: f.s, crash: crashA}
	})
	b := f.outbound(func(o *worker.OutboundOptions) {
		o.Worker, o.Lease, o.Tick, o.Sender = "B", lease, 10*time.Millisecond, taggedSender("B")
	})
	// The events are queued; A takes the lease before B starts polling
	// and sends its first round.
	if _, err := f.s.FanOutWebhookEvents(context.Background(), 10_000); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Round(ctxA); err == nil {
		t.Fatal("A's first round recorded its outcomes; the crash did not happen")
	}
	crashedAt := time.Now()
	ctxB, stopB := context.WithCancel(context.Background())
	doneB := make(chan struct{})
	go func() { defer close(doneB); b.Run(ctxB) }()
	defer func() { stopB(); <-doneB }()

	eventually(t, "every event is delivered", func() bool {
		ids := map[string]bool{}
		for _, r := range f.rcv.received() {
			ids[r.ID] = true
		}
		return len(ids) == customers*versions
	})
	stopB()
	<-doneB

	got := f.rcv.received()
	fromA, again := 0, 0
	seen := map[string]int{}
	for _, r := range got {
		seen[r.ID]++
		if r.Worker == "A" {
			fromA++
		}
	}
	for _, n := range seen {
		if n > 1 {
			again++
		}
	}
	if fromA != 50 {
		t.Errorf("A delivered %d events before it died, want its round of 50", fromA)
	}
	if again != 50 {
		t.Errorf("%d events were delivered twice, want the 50 of A's unrecorded round (at least once, same webhook-id)", again)
	}
	if took := time.Since(crashedAt); took < lease/2 {
		t.Errorf("B finished %s after the crash, before A's lease could expire", took)
	}
	// B sent each customer's events in order.
	fromB := map[string][]models.EventType{}
	for _, r := range got {
		if r.Worker == "B" {
			fromB[r.ExternalID] = append(fromB[r.ExternalID], r.Type)
		}
	}
	want := []models.EventType{models.EventCustomerCreated}
	for range versions - 1 {
		want = append(want, models.EventCustomerUpdated)
	}
	for c := range customers {
		if diff := cmp.Diff(want, fromB["c"+strconv.Itoa(c)]); diff != "" {
			t.Errorf("c%d received from B (-want +got):\n%s", c, diff)
		}
	}
}
