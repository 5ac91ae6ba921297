package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
	"github.com/candor/candor/webhooks"
	"github.com/candor/candor/worker"
)

// outboundFixture is a migrated store whose clock the test moves forward
// (the worker shares it, so retries fall due without waiting) and an
// integration that verifies every request with the Standard Webhooks
// reference library.
type outboundFixture struct {
	t      *testing.T
	s      *store.Store
	offset atomic.Int64 // added to the wall clock
	rcv    *sink
}

func newOutboundFixture(t *testing.T) *outboundFixture {
	t.Helper()
	f := &outboundFixture{t: t}
	ctx := context.Background()
	keys, err := secrets.New("candor-worker-outbound-tests-fixed-secret-0123456789", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, store.Options{DatabaseURL: testenv.DatabaseURL(t), SQLitePath: testenv.SQLitePath(t),
		Keys: keys, Rules: segment.Language{}, Logger: quiet(), Now: f.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.InstallFingerprintKey(ctx); err != nil {
		t.Fatal(err)
	}
	f.s = s
	f.rcv = &sink{t: t}
	srv := httptest.NewServer(f.rcv)
	t.Cleanup(srv.Close)
	f.rcv.url = srv.URL
	return f
}

func (f *outboundFixture) now() time.Time { return time.Now().Add(time.Duration(f.offset.Load())) }

// advance moves the shared clock forward.
func (f *outboundFixture) advance(d time.Duration) { f.offset.Add(int64(d)) }

// endpoint creates an endpoint on the sink (or on url) for events and
// gives the sink its secret.
func (f *outboundFixture) endpoint(url string, events ...models.EventType) *models.WebhookEndpoint {
	f.t.Helper()
	if url == "" {
		url = f.rcv.url + "/hooks"
	}
	ep, secret, err := f.s.CreateWebhookEndpoint(context.Background(), &models.WebhookEndpointInput{URL: url, Events: events})
	if err != nil {
		f.t.Fatal(err)
	}
	f.rcv.setSecret(secret)
	return ep
}

// outbound returns a loop on the fixture's store and clock, allowed to
// reach the sink on 127.0.0.1.
func (f *outboundFixture) outbound(configure func(*worker.OutboundOptions)) *worker.Outbound {
	f.t.Helper()
	o := worker.OutboundOptions{Store: f.s, Worker: "test", AllowPrivate: true, Now: f.now, Logger: quiet(),
		Disable: models.DisablePolicy{Failures: 1000, After: time.Hour}}
	if configure != nil {
		configure(&o)
	}
	ob, err := worker.NewOutbound(o)
	if err != nil {
		f.t.Fatal(err)
	}
	return ob
}

// customer creates or changes customer id, writing one customer event.
func (f *outboundFixture) customer(id string, version int) {
	f.t.Helper()
	_, _, err := f.s.PutCustomer(context.Background(), &models.CustomerInput{ExternalID: id, Email: id + "@example.com",
		Name: "Version " + strconv.Itoa(version), PreferredChannel: models.ChannelEmail})
	if err != nil {
		f.t.Fatal(err)
	}
}

// round runs two rounds, failing the test on an error: events a round
// fans out are sent from the next one.
func (f *outboundFixture) round(ob *worker.Outbound) {
	f.t.Helper()
	for range 2 {
		if _, err := ob.Round(context.Background()); err != nil {
			f.t.Fatal(err)
		}
	}
}

// attempts returns the endpoint's attempt log as "ok status" lines.
func (f *outboundFixture) attempts(id int64) []string {
	f.t.Helper()
	items, _, err := f.s.WebhookAttempts(context.Background(), id, models.Page{Limit: 500})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, a := range items {
		out = append(out, fmt.Sprintf("%s #%d %v %d", a.WebhookID, a.Attempt, a.OK, a.StatusCode))
	}
	return out
}

// received is one request the sink accepted.
type received struct {
	ID         string
	Type       models.EventType
	ExternalID string
	Worker     string
}

// sink is an integration: it verifies each request with the reference
// library, answers with the next status of its script (200 once the
// script is used up), and fails the test if a webhook-id arrives while
// the same id is still being handled (delivered twice at once).
type sink struct {
	t        *testing.T
	url      string
	mu       sync.Mutex
	wh       *standardwebhooks.Webhook
	script   []int
	always   int
	got      []received
	inFlight map[string]bool
	delay    time.Duration
}

func (k *sink) setSecret(secret string) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		k.t.Fatal(err)
	}
	k.mu.Lock()
	k.wh = wh
	k.mu.Unlock()
}

func (k *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	k.mu.Lock()
	wh := k.wh
	if k.inFlight == nil {
		k.inFlight = map[string]bool{}
	}
	if k.inFlight[id] {
		k.t.Errorf("%s is delivered twice at once", id)
	}
	k.inFlight[id] = true
	status := http.StatusOK
	if len(k.script) > 0 {
		status, k.script = k.script[0], k.script[1:]
	} else if k.always != 0 {
		status = k.always
	}
	k.mu.Unlock()
	defer func() { k.mu.Lock(); delete(k.inFlight, id); k.mu.Unlock() }()
	if err := wh.Verify(body, r.Header); err != nil {
		k.t.Errorf("the reference library refuses %s: %v", id, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p struct {
		Type models.EventType `json:"type"`
		Data struct {
			ExternalID string `json:"external_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		k.t.Errorf("body of %s: %v", id, err)
	}
	time.Sleep(k.delay)
	if status < 300 {
		k.mu.Lock()
		k.got = append(k.got, received{ID: id, Type: p.Type, ExternalID: p.Data.ExternalID, Worker: r.Header.Get("X-Test-Worker")})
		k.mu.Unlock()
	}
	w.WriteHeader(status)
}

// answer sets the statuses the sink answers with.
func (k *sink) answer(script []int, always int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.script, k.always = script, always
}

func (k *sink) received() []received {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.got)
}

func TestOutboundDeliversSubscribedEventsSignedAndInOrder(t *testing.T) {
	forEachBackend(t, testOutboundDeliversSubscribedEventsSignedAndInOrder)
}

func testOutboundDeliversSubscribedEventsSignedAndInOrder(t *testing.T) {
	f := newOutboundFixture(t)
	ctx := context.Background()
	f.customer("before", 1) // written before the endpoint exists: not sent
	ep := f.endpoint("", models.EventCustomerCreated, models.EventCustomerUpdated)
	if _, err := f.s.CreateTopic(ctx, &models.TopicInput{Key: "news", Name: "News"}); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 3; v++ {
		for c := range 5 {
			f.customer("c"+strconv.Itoa(c), v)
		}
	}
	if _, _, err := f.s.SetConsent(ctx, "c1", "news", &models.ConsentInput{Status: models.ConsentOptedOut, Source: models.SourceAPI}); err != nil {
		t.Fatal(err) // consent.changed: not subscribed
	}
	ob := f.outbound(nil)
	eventually(t, "15 events are delivered", func() bool { f.round(ob); return len(f.rcv.received()) >= 15 })
	f.round(ob)

	got := f.rcv.received()
	perCustomer := map[string][]string{}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.ID] {
			t.Errorf("%s delivered twice", r.ID)
		}
		seen[r.ID] = true
		perCustomer[r.ExternalID] = append(perCustomer[r.ExternalID], string(r.Type))
	}
	want := []string{"customer.created", "customer.updated", "customer.updated"}
	for c := range 5 {
		if diff := cmp.Diff(want, perCustomer["c"+strconv.Itoa(c)]); diff != "" {
			t.Errorf("c%d received (-want +got):\n%s", c, diff)
		}
	}
	if len(got) != 15 {
		t.Errorf("received %d events, want 15 (none of before, no consent.changed): %+v", len(got), got)
	}
	if log := f.attempts(ep.ID); len(log) != 15 {
		t.Errorf("attempt log has %d entries, want 15: %v", len(log), log)
	}
}

func TestOutboundRetriesAndKeepsACustomersOrder(t *testing.T) {
	forEachBackend(t, testOutboundRetriesAndKeepsACustomersOrder)
}

func testOutboundRetriesAndKeepsACustomersOrder(t *testing.T) {
	f := newOutboundFixture(t)
	ep := f.endpoint("", models.EventCustomerCreated, models.EventCustomerUpdated)
	f.rcv.answer([]int{500, 503}, 0)
	f.customer("c", 1)
	f.customer("c", 2)
	ob := f.outbound(nil)

	f.round(ob) // created: 500; updated waits behind it
	f.round(ob) // nothing is due
	f.advance(6 * time.Second)
	f.round(ob) // created: 503
	f.advance(10 * time.Second)
	f.round(ob) // not due yet (20 s after the second failure)
	if got := f.rcv.received(); len(got) != 0 {
		t.Fatalf("received %+v while the first event was failing", got)
	}
	f.advance(11 * time.Second)
	f.round(ob) // created, then updated, in one round
	var types []models.EventType
	for _, r := range f.rcv.received() {
		types = append(types, r.Type)
	}
	if diff := cmp.Diff([]models.EventType{models.EventCustomerCreated, models.EventCustomerUpdated}, types); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
	log := f.attempts(ep.ID)
	if len(log) != 4 || log[0][len(log[0])-9:] != "false 500" || log[1][len(log[1])-9:] != "false 503" || log[2][len(log[2])-8:] != "true 200" {
		t.Errorf("attempt log = %q", log)
	}
}

func TestOutboundDisablesAnEndpointAfterARunOfFailures(t *testing.T) {
	forEachBackend(t, testOutboundDisablesAnEndpointAfterARunOfFailures)
}

func testOutboundDisablesAnEndpointAfterARunOfFailures(t *testing.T) {
	f := newOutboundFixture(t)
	ctx := context.Background()
	ep := f.endpoint("", models.EventWildcard)
	f.rcv.answer(nil, http.StatusInternalServerError)
	f.customer("c", 1)
	ob := f.outbound(func(o *worker.OutboundOptions) { o.Disable = models.DisablePolicy{Failures: 3, After: time.Minute} })
	for range 3 {
		f.round(ob)
		f.advance(time.Hour)
	}
	got, err := f.s.WebhookEndpoint(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != models.EndpointDisabled || got.ConsecutiveFailures != 3 || got.DisabledReason == "" {
		t.Fatalf("endpoint after 3 failures over 2 hours = %+v", got)
	}
	events, err := f.s.Events(ctx, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	var disabled []int64
	for _, e := range events {
		if e.Type == models.EventWebhookEndpointDisabled {
			var d struct {
				EndpointID int64 `json:"endpoint_id"`
				Failures   int   `json:"failures"`
			}
			if err := json.Unmarshal(e.Data, &d); err != nil || d.Failures != 3 {
				t.Errorf("webhook_endpoint.disabled data %s (%v)", e.Data, err)
			}
			disabled = append(disabled, d.EndpointID)
		}
	}
	if diff := cmp.Diff([]int64{ep.ID}, disabled); diff != "" {
		t.Errorf("webhook_endpoint.disabled events (-want +got):\n%s", diff)
	}
	f.round(ob)
	if log := f.attempts(ep.ID); len(log) != 3 {
		t.Errorf("a disabled endpoint was sent to: %v", log)
	}

	f.rcv.answer(nil, 0)
	if _, err := f.s.UpdateWebhookEndpoint(ctx, ep.ID, &models.WebhookEndpointPatch{Status: ptr(models.EndpointEnabled)}); err != nil {
		t.Fatal(err)
	}
	f.round(ob)
	if got := f.rcv.received(); len(got) != 1 || got[0].Type != models.EventCustomerCreated {
		t.Errorf("after enabling, received %+v, want the waiting customer.created", got)
	}
}

func TestOutboundReplay(t *testing.T) { forEachBackend(t, testOutboundReplay) }

func testOutboundReplay(t *testing.T) {
	f := newOutboundFixture(t)
	ctx := context.Background()
	ep := f.endpoint("", models.EventCustomerCreated)
	start := f.now()
	f.customer("a", 1)
	ob := f.outbound(nil)
	f.round(ob)
	first := f.rcv.received()
	if len(first) != 1 {
		t.Fatalf("received %+v", first)
	}
	eventID, _ := strconv.ParseInt(first[0].ID[len("evt_"):], 10, 64)

	t.Run("one event again, with its webhook-id", func(t *testing.T) {
		res, err := f.s.ReplayWebhookEndpoint(ctx, ep.ID, &models.ReplayInput{EventID: &eventID})
		if err != nil || res.Replayed != 1 {
			t.Fatalf("replay = %+v, %v", res, err)
		}
		f.round(ob)
		if got := f.rcv.received(); len(got) != 2 || got[1].ID != first[0].ID {
			t.Errorf("received %+v", got)
		}
	})

	t.Run("everything since a time, including what was written while disabled", func(t *testing.T) {
		since := start
		if _, err := f.s.UpdateWebhookEndpoint(ctx, ep.ID, &models.WebhookEndpointPatch{Status: ptr(models.EndpointDisabled)}); err != nil {
			t.Fatal(err)
		}
		f.customer("b", 1)
		f.round(ob) // fanned out while disabled: not queued
		if _, err := f.s.UpdateWebhookEndpoint(ctx, ep.ID, &models.WebhookEndpointPatch{Status: ptr(models.EndpointEnabled)}); err != nil {
			t.Fatal(err)
		}
		f.round(ob)
		if got := f.rcv.received(); len(got) != 2 {
			t.Fatalf("an event written while disabled was sent without a replay: %+v", got)
		}
		res, err := f.s.ReplayWebhookEndpoint(ctx, ep.ID, &models.ReplayInput{Since: &since})
		if err != nil || res.Replayed != 2 {
			t.Fatalf("replay since = %+v, %v", res, err)
		}
		f.round(ob)
		var ext []string
		for _, r := range f.rcv.received()[2:] {
			ext = append(ext, r.ExternalID)
		}
		slices.Sort(ext) // different customers: no order between them
		if diff := cmp.Diff([]string{"a", "b"}, ext); diff != "" {
			t.Errorf("replayed (-want +got):\n%s", diff)
		}
	})
}

func TestOutboundRefusesLoopbackWithoutTheAllowSetting(t *testing.T) {
	forEachBackend(t, testOutboundRefusesLoopbackWithoutTheAllowSetting)
}

func testOutboundRefusesLoopbackWithoutTheAllowSetting(t *testing.T) {
	f := newOutboundFixture(t)
	// Registered through the store, past the API's URL policy, as a
	// name that resolved to a public address at registration and to
	// 127.0.0.1 now would be: only the dialer stands in the way.
	ep := f.endpoint("", models.EventCustomerCreated)
	f.customer("c", 1)
	ob := f.outbound(func(o *worker.OutboundOptions) { o.AllowPrivate = false })
	f.round(ob)
	if got := f.rcv.received(); len(got) != 0 {
		t.Fatalf("the sink on 127.0.0.1 received %+v without CANDOR_WEBHOOK_ALLOW_PRIVATE", got)
	}
	items, _, err := f.s.WebhookAttempts(context.Background(), ep.ID, models.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].OK || items[0].Error != "the endpoint URL must use https" {
		t.Errorf("attempts = %+v", items)
	}
	// https to 127.0.0.1 gets as far as the dialer, which refuses it.
	https := httptest.NewTLSServer(f.rcv)
	defer https.Close()
	url := https.URL + "/hooks"
	if _, err := f.s.UpdateWebhookEndpoint(context.Background(), ep.ID, &models.WebhookEndpointPatch{URL: &url}); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Minute)
	f.round(ob)
	items, _, err = f.s.WebhookAttempts(context.Background(), ep.ID, models.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[1].Error != "refused: "+webhooks.ErrForbiddenAddress.Error() {
		t.Errorf("attempts = %+v", items)
	}
}

func ptr[T any](v T) *T { return &v }
