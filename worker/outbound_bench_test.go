package worker_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
	"github.com/candor/candor/webhooks"
	"github.com/candor/candor/worker"
)

// BenchmarkOutboundDelivery delivers CANDOR_BENCH_OUTBOUND_N (default
// 20,000) customer.created events, one per customer, from the events
// table to one endpoint on a local sink with the default loop settings
// (fan-out, signing, requests, the attempt log), and reports events
// delivered per second beside the sink's ceiling: the same number of
// signed requests sent straight by the sender with as many requests in
// flight. docs/benchmarks.md has the command.
func BenchmarkOutboundDelivery(b *testing.B) {
	for _, backend := range testenv.Backends() {
		b.Run(backend, func(b *testing.B) { benchOutbound(b) })
	}
}

func benchOutbound(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("CANDOR_BENCH_OUTBOUND_N")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	keys, err := secrets.New("candor-worker-outbound-bench-fixed-secret-0123456789", "")
	if err != nil {
		b.Fatal(err)
	}
	var hits atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer sink.Close()
	for range b.N {
		s, err := store.Open(ctx, store.Options{DatabaseURL: testenv.DatabaseURL(b), SQLitePath: testenv.SQLitePath(b),
			Keys: keys, Rules: segment.Language{}, Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		if err := s.InstallFingerprintKey(ctx); err != nil {
			b.Fatal(err)
		}
		ep, secret, err := s.CreateWebhookEndpoint(ctx, &models.WebhookEndpointInput{URL: sink.URL + "/hooks",
			Events: []models.EventType{models.EventCustomerCreated}})
		if err != nil {
			b.Fatal(err)
		}
		run := strconv.FormatInt(time.Now().UnixNano(), 36)
		for i := 0; i < n; i += 1000 {
			ins := make([]*models.CustomerInput, min(1000, n-i))
			for j := range ins {
				id := "bench-" + run + "-" + strconv.Itoa(i+j)
				ins[j] = &models.CustomerInput{ExternalID: id, Email: id + "@example.com", PreferredChannel: models.ChannelEmail}
			}
			if _, err := s.PutCustomers(ctx, ins); err != nil {
				b.Fatal(err)
			}
		}
		ob, err := worker.NewOutbound(worker.OutboundOptions{Store: s, Worker: "bench", AllowPrivate: true, Tick: 10 * time.Millisecond, Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		hits.Store(0)
		b.ResetTimer()
		start := time.Now()
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); ob.Run(runCtx) }()
		for hits.Load() < int64(n) {
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(start)
		stop()
		<-done
		b.StopTimer()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
		b.ReportMetric(outboundSinkCeiling(b, sink.URL+"/hooks", secret, n), "sink-ceiling-events/s")
		_ = s.DeleteWebhookEndpoint(ctx, ep.ID)
		s.Close()
	}
}

// outboundSinkCeiling sends n signed messages straight to url with the sender,
// 16 at once (the loop's requests in flight to one endpoint), and returns
// messages per second.
func outboundSinkCeiling(b *testing.B, url, secret string, n int) float64 {
	sender := &webhooks.Sender{Client: webhooks.NewClient(10*time.Second, true), AllowPrivate: true}
	t := models.WebhookTarget{URL: url, Secret: secret}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				m := &models.WebhookMessage{ID: i, EventID: i, Type: models.EventCustomerCreated,
					Data: []byte(`{"external_id":"bench-` + strconv.FormatInt(i, 10) + `","preference_version":1}`), CreatedAt: time.Now()}
				if r := sender.Send(context.Background(), t, m); !r.OK {
					b.Errorf("ceiling send: %+v", r)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}
