package channels_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/candor/candor/channels"
)

// The benchmarks send through the real transports to in-process sinks with
// b.RunParallel (GOMAXPROCS x 8 goroutines) and report msgs/s. Each
// *Ceiling benchmark drives the same sink with a bare client (no
// composition, signing or pooling logic), so "send / ceiling" is the share
// of the sink's own capacity that the sender reaches.

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkEmailSend(b *testing.B) {
	for _, pool := range []int{4, 16} {
		b.Run("pool="+strconv.Itoa(pool), func(b *testing.B) {
			sink := startSMTPSink(b, nil, nil)
			sink.CountOnly = true
			s := newEmail(b, sink, func(o *channels.EmailOptions) { o.PoolSize = pool })
			var next atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := next.Add(1)
					if _, err := s.Send(context.Background(), emailMsg(id, "ada@example.com")); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRate(b)
			if got := sink.count.Load(); got != int64(b.N) {
				b.Errorf("the sink counted %d messages, want %d", got, b.N)
			}
		})
	}
}

// BenchmarkEmailSinkCeiling sends pre-composed bytes with go-smtp's bare
// client, one persistent connection per goroutine.
func BenchmarkEmailSinkCeiling(b *testing.B) {
	sink := startSMTPSink(b, nil, nil)
	sink.CountOnly = true
	raw, err := channels.ComposeEmail("Candor <news@candor.example>", emailMsg(1, "ada@example.com"), fixedNow)
	if err != nil {
		b.Fatal(err)
	}
	addr := fmt.Sprintf("%s:%d", sink.Addr, sink.Port)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := smtp.Dial(addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer func() { _ = c.Quit() }()
		for pb.Next() {
			if err := c.SendMail("news@candor.example", []string{"ada@example.com"}, bytes.NewReader(raw)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}

// countingEndpoint answers 204 to every POST after reading its body.
func countingEndpoint(b *testing.B) (*httptest.Server, *atomic.Int64) {
	b.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	return srv, &n
}

func BenchmarkWebhookSend(b *testing.B) {
	srv, n := countingEndpoint(b)
	s := newWebhook(b, srv.URL, func(o *channels.WebhookOptions) { o.Timeout = 0 })
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Send(context.Background(), webhookMsg(next.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
	if n.Load() != int64(b.N) {
		b.Errorf("the endpoint counted %d posts, want %d", n.Load(), b.N)
	}
}

func BenchmarkSMSSend(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(created))
	b.Cleanup(srv.Close)
	s := newSMS(b, srv.URL, 0)
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Send(context.Background(), smsMsg(next.Add(1), "+14155550123")); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}

// BenchmarkHTTPSinkCeiling posts the same webhook body to the same kind of
// endpoint with a plain http.Client (no signing, no classification).
func BenchmarkHTTPSinkCeiling(b *testing.B) {
	srv, _ := countingEndpoint(b)
	body, err := channels.WebhookBody(webhookMsg(1))
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := hc.Post(srv.URL, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	reportRate(b)
}
