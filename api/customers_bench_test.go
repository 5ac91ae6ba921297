package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// benchClients is the number of concurrent HTTP clients of the customer
// benchmarks (issue 17's targets are stated at 16).
const benchClients = 16

// BenchmarkCustomersHTTP drives the customer endpoints over real HTTP
// (loopback) with 16 concurrent clients, on every configured backend:
//
//	CANDOR_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	  go test ./api -run '^$' -bench CustomersHTTP -benchtime 400x -count 3
//
// b.N is the number of requests; a batch request carries 1,000 customers,
// every one of them changed by each request. It reports requests/s,
// customers/s (batch) and the 50th and 99th percentile latency.
func BenchmarkCustomersHTTP(b *testing.B) {
	for _, backend := range testenv.Backends() {
		b.Run(backend, func(b *testing.B) {
			a := newTestAPI(b, backend, nil)
			srv := httptest.NewServer(a.engine)
			b.Cleanup(srv.Close)
			h := &benchHTTP{url: srv.URL, key: a.apiKey[models.RoleEditor], client: &http.Client{
				Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}, Timeout: 120 * time.Second}}
			const batchSize, batchesPerClient = 1000, 2
			b.Run("batch", func(b *testing.B) {
				var round atomic.Int64
				h.run(b, func(client, i int) (string, string, []byte) {
					// Each client owns batchesPerClient sets of ids and
					// renames them on every pass, so after the first pass
					// every item is an update that changes the row.
					set := i % batchesPerClient
					items := make([]map[string]any, batchSize)
					name := fmt.Sprintf("Name %d", round.Add(1))
					for k := range items {
						items[k] = validCustomer(fmt.Sprintf("batch-%d-%d-%d", client, set, k))
						items[k]["name"] = name
					}
					body, _ := json.Marshal(map[string]any{"customers": items})
					return http.MethodPost, "/v1/customers/batch", body
				})
				b.ReportMetric(b.Elapsed().Seconds(), "s")
				b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "customers/s")
			})
			for k := range 1000 {
				a.putCustomer(fmt.Sprintf("get-%d", k))
			}
			b.Run("get", func(b *testing.B) {
				h.run(b, func(client, i int) (string, string, []byte) {
					return http.MethodGet, fmt.Sprintf("/v1/customers/get-%d", (client*7919+i)%1000), nil
				})
			})
			b.Run("put", func(b *testing.B) {
				var round atomic.Int64
				h.run(b, func(client, i int) (string, string, []byte) {
					id := fmt.Sprintf("put-%d-%d", client, i%50)
					c := validCustomer(id)
					c["name"] = fmt.Sprintf("Name %d", round.Add(1))
					body, _ := json.Marshal(c)
					return http.MethodPut, "/v1/customers/" + id, body
				})
			})
		})
	}
}

// benchHTTP sends the benchmark's requests.
type benchHTTP struct {
	url, key string
	client   *http.Client
}

// run sends b.N requests made by next from benchClients goroutines and
// reports requests/s and latency percentiles. A non-2xx answer fails.
func (h *benchHTTP) run(b *testing.B, next func(client, i int) (method, path string, body []byte)) {
	b.Helper()
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
		sent      atomic.Int64
		wg        sync.WaitGroup
		failed    atomic.Value
	)
	cpu0 := processCPU()
	b.ResetTimer()
	for c := range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; sent.Add(1) <= int64(b.N); i++ {
				method, path, body := next(c, i)
				req, _ := http.NewRequest(method, h.url+path, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+h.key)
				req.Header.Set("Content-Type", "application/json")
				start := time.Now()
				resp, err := h.client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode >= 300 {
						err = fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
					}
				}
				if err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
				d := time.Since(start)
				mu.Lock()
				latencies = append(latencies, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	cpu := processCPU() - cpu0
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	// CPU time of this process (server and clients) per request: steadier
	// than wall time on a shared machine, where the wall clock measures
	// the neighbours too.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/req")
}

// processCPU returns the user and system CPU time this process used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
