package worker_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/channels"
	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/internal/testsinks"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
	"github.com/candor/candor/worker"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// publicURL is https, so emails carry List-Unsubscribe-Post (RFC 8058).
const (
	publicURL = "https://candor.example"
	emailFrom = "Candor <news@candor.example>"
	// hookSecret signs the webhook channel.
	hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// harness is the whole sending side on real pieces: a migrated store,
// asynq on Redis (miniredis or CANDOR_TEST_REDIS_URL), the pipeline
// cmd/candor builds, and sinks behind real transports: SMTP to an
// in-process server, the SMS API and the webhook channel to local HTTP
// servers.
type harness struct {
	t       *testing.T
	s       *store.Store
	keys    *secrets.Keys
	planner models.Planner
	redis   asynq.RedisConnOpt
	rdb     *redis.Client
	pipe    *worker.Pipeline
	metrics *prometheus.Registry

	email, sms, hook *testsinks.Sink
	editor, admin    int64
	groups           int
	// base is the public URL the links in messages start with.
	base string
}

// harnessOptions change what newHarnessWith builds; the zero value is
// newHarness's.
type harnessOptions struct {
	// publicURL is the base of every link in messages; "" means the
	// https publicURL.
	publicURL string
	// outbox sends every channel to the store's outbox, as embedded mode
	// does for channels without settings, instead of to the sinks.
	outbox bool
}

// forEachBackend runs fn as a subtest per configured database backend.
func forEachBackend(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, b := range testenv.Backends() {
		t.Run(b, fn)
	}
}

// newHarness builds everything but starts nothing; rate is every
// channel's send rate per second.
func newHarness(t *testing.T, rate float64) *harness {
	t.Helper()
	return newHarnessWith(t, rate, harnessOptions{})
}

// newHarnessWith is newHarness with the options o.
func newHarnessWith(t *testing.T, rate float64, o harnessOptions) *harness {
	t.Helper()
	if o.publicURL == "" {
		o.publicURL = publicURL
	}
	ctx := context.Background()
	keys, err := secrets.New("candor-worker-e2e-tests-fixed-secret-0123456789", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, store.Options{DatabaseURL: testenv.DatabaseURL(t), SQLitePath: testenv.SQLitePath(t),
		Keys: keys, Rules: segment.Language{}, Logger: quiet()})
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
	h := &harness{t: t, s: s, keys: keys, base: o.publicURL}
	h.editor, h.admin = h.key("editor", models.RoleEditor), h.key("admin", models.RoleAdmin)
	set := h.channels(o.outbox)

	url := redisenv.URL(t, redisenv.DBWorker)
	if h.redis, err = asynq.ParseRedisURI(url); err != nil {
		t.Fatal(err)
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	h.rdb = redis.NewClient(opt)
	t.Cleanup(func() { h.rdb.Close() })

	// As cmd/candor's planSettings: every configured channel, each one's
	// capacity from its rate.
	ps := models.PlanSettings{Channels: models.Channels, SendsPerMinute: map[models.Channel]int{}}
	perSecond := map[models.Channel]float64{}
	for _, ch := range models.Channels {
		perSecond[ch] = rate
		ps.SendsPerMinute[ch] = schedule.SendsPerMinute(rate)
	}
	h.planner = campaigns.NewPlanner(ps)
	h.metrics = prometheus.NewRegistry()
	h.pipe, err = worker.NewPipeline(worker.PipelineOptions{Store: s, Planner: h.planner, Channels: set,
		Redis: h.redis, RedisClient: h.rdb, PerSecond: perSecond, Links: worker.CustomerLinks(keys, h.base),
		Confirm: worker.NewConfirmLinks(keys, h.base),
		Worker:  "e2e/" + t.Name(), Tick: 100 * time.Millisecond, Metrics: h.metrics, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.pipe.Close() })
	return h
}

// channels starts the sinks and returns the channels sending to them, or
// with outbox every channel writing to the store's outbox.
func (h *harness) channels(outbox bool) *channels.Set {
	h.t.Helper()
	if outbox {
		set, err := channels.New(channels.Options{}, outboxStore{h.s}, true)
		if err != nil {
			h.t.Fatal(err)
		}
		return set
	}
	var port int
	h.email, port = testsinks.StartSMTP(h.t)
	var smsURL, hookURL string
	h.sms, smsURL = testsinks.StartSMS(h.t)
	h.hook, hookURL = testsinks.StartWebhook(h.t, hookSecret)
	set, err := channels.New(channels.Options{
		Email:   &channels.EmailOptions{Host: "127.0.0.1", Port: port, From: emailFrom, TLS: channels.TLSMode("none")},
		SMS:     &channels.SMSOptions{BaseURL: smsURL, AccountSID: "AC0123", AuthToken: "tok", From: "+15005550006"},
		Webhook: &channels.WebhookOptions{URL: hookURL, Secret: hookSecret, AllowPrivate: true},
	}, nil, false)
	if err != nil {
		h.t.Fatal(err)
	}
	return set
}

// outboxStore keeps the outbox transport's messages in the store, as
// cmd/candor's does.
type outboxStore struct{ s *store.Store }

func (o outboxStore) AddOutboxMessage(ctx context.Context, m *channels.OutboxMessage) error {
	return o.s.AddOutboxMessage(ctx, &models.OutboxMessage{DeliveryID: m.DeliveryID, CampaignID: m.CampaignID,
		Channel: m.Channel, Recipient: m.CustomerExternalID, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		Headers: m.Headers, Raw: string(m.Raw)})
}

// startWorker starts the asynq server with the send task's handler.
func (h *harness) startWorker() {
	h.t.Helper()
	w := worker.New(worker.Options{Redis: h.redis, Concurrency: 8, ShutdownTimeout: 5 * time.Second, Logger: quiet()})
	w.HandleSend(h.pipe.Engine)
	if err := w.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(w.Shutdown)
}

// startScheduler runs dispatch and reconciliation until the test ends.
func (h *harness) startScheduler() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.pipe.Scheduler.Run(ctx) }()
	h.t.Cleanup(func() { cancel(); <-done })
}

// start starts the worker and the scheduler.
func (h *harness) start() {
	h.t.Helper()
	h.startWorker()
	h.startScheduler()
}

func (h *harness) key(name string, role models.Role) int64 {
	h.t.Helper()
	k, _, err := h.s.CreateAPIKey(context.Background(), &models.APIKeyInput{Name: name, Role: role, OwnerName: name, OwnerEmail: name + "@example.com"})
	if err != nil {
		h.t.Fatal(err)
	}
	return k.ID
}

// quiet discards logs below errors.
func quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// eventually polls cond every 20ms until it holds, failing the test after
// a deadline generous enough for a loaded machine.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sendOutcomes reads candor_send_outcomes_total{channel, status} from the
// pipeline's registry.
func (h *harness) sendOutcomes(ch models.Channel, status models.DeliveryStatus) float64 {
	h.t.Helper()
	families, err := h.metrics.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "candor_send_outcomes_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["channel"] == string(ch) && labels["status"] == string(status) {
				return m.GetCounter().GetValue()
			}
		}
	}
	h.t.Fatalf("no candor_send_outcomes_total{channel=%q,status=%q}", ch, status)
	return 0
}
