package api

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
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
			h := &benchHTTP{addr: srv.Listener.Addr().String(), key: a.apiKey[models.RoleEditor], pg: pgBackends(b, a)}
			b.Cleanup(h.close)
			const batchSize, batchesPerClient = 1000, 2
			b.Run("batch", func(b *testing.B) {
				var round atomic.Int64
				// Each client owns batchesPerClient sets of ids and
				// renames them on every pass, so after the first pass
				// every item is an update that changes the row.
				sets := make([][]bodyTemplate, benchClients)
				for client := range sets {
					for set := range batchesPerClient {
						items := make([]map[string]any, batchSize)
						for k := range items {
							items[k] = validCustomer(fmt.Sprintf("batch-%d-%d-%d", client, set, k))
							items[k]["name"] = nameMark
						}
						sets[client] = append(sets[client], newBodyTemplate(b, map[string]any{"customers": items}))
					}
				}
				h.run(b, false, func(client, i int, buf []byte) (string, string, []byte) {
					return http.MethodPost, "/v1/customers/batch", sets[client][i%batchesPerClient].fill(buf, round.Add(1))
				})
				b.ReportMetric(b.Elapsed().Seconds(), "s")
				b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "customers/s")
			})
			for k := range 1000 {
				a.putCustomer(fmt.Sprintf("get-%d", k))
			}
			b.Run("get", func(b *testing.B) {
				h.run(b, true, func(client, i int, buf []byte) (string, string, []byte) {
					return http.MethodGet, "/v1/customers/get-" + strconv.Itoa((client*7919+i)%1000), nil
				})
			})
			// The same reads with the per-key rate limit on, as `candor
			// api` runs by default: one GCRA call to Redis per request
			// (CANDOR_TEST_REDIS_URL, else miniredis in this process).
			b.Run("get_rate_limited", func(b *testing.B) {
				rl, redisCPU := benchRateLimit(b)
				limited := httptest.NewServer(newBenchEngine(b, a, rl))
				defer limited.Close()
				hl := &benchHTTP{addr: limited.Listener.Addr().String(), key: h.key, pg: h.pg, redis: redisCPU}
				defer hl.close()
				hl.run(b, true, func(client, i int, buf []byte) (string, string, []byte) {
					return http.MethodGet, "/v1/customers/get-" + strconv.Itoa((client*7919+i)%1000), nil
				})
			})
			b.Run("put", func(b *testing.B) {
				var round atomic.Int64
				bodies := make([][]bodyTemplate, benchClients)
				for client := range bodies {
					for k := range 50 {
						c := validCustomer(fmt.Sprintf("put-%d-%d", client, k))
						c["name"] = nameMark
						bodies[client] = append(bodies[client], newBodyTemplate(b, c))
					}
				}
				h.run(b, true, func(client, i int, buf []byte) (string, string, []byte) {
					k := i % 50
					return http.MethodPut, "/v1/customers/put-" + strconv.Itoa(client) + "-" + strconv.Itoa(k),
						bodies[client][k].fill(buf, round.Add(1))
				})
			})
		})
	}
}

// benchHTTP sends the benchmark's requests: HTTP/1.1 on one keep-alive
// connection per client, written and read by that client's goroutine.
// net/http's client hands every request to two goroutines of its own
// (persistConn's writeLoop and readLoop); the load generator's cost is
// CPU the server cannot use on a machine the two share.
type benchHTTP struct {
	addr, key string
	// pg returns the CPU time used so far by the PostgreSQL backends
	// of the benchmark's database; nil on SQLite.
	pg func() time.Duration
	// redis, if set, does the same for the Redis server of the rate
	// limit.
	redis func() time.Duration
	mu    sync.Mutex
	conns []*benchConn // one per client, kept across sub-benchmarks
}

// benchConn is one client's connection.
type benchConn struct {
	conn net.Conn
	r    *bufio.Reader
	buf  []byte // the request being written
	body []byte // the body being built
}

// conn returns client's connection, dialling it the first time.
func (h *benchHTTP) conn(client int) (*benchConn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns == nil {
		h.conns = make([]*benchConn, benchClients)
	}
	if h.conns[client] == nil {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			return nil, err
		}
		h.conns[client] = &benchConn{conn: c, r: bufio.NewReader(c)}
	}
	return h.conns[client], nil
}

// close closes the clients' connections.
func (h *benchHTTP) close() {
	for _, c := range h.conns {
		if c != nil {
			c.conn.Close()
		}
	}
}

// do sends one request and reads the whole answer; a status of 300 or
// more is an error.
func (h *benchHTTP) do(c *benchConn, method, path string, body []byte) error {
	c.buf = append(c.buf[:0], method...)
	c.buf = append(c.buf, ' ')
	c.buf = append(c.buf, path...)
	c.buf = append(c.buf, " HTTP/1.1\r\nHost: "...)
	c.buf = append(c.buf, h.addr...)
	c.buf = append(c.buf, "\r\nUser-Agent: candor-bench\r\nAuthorization: Bearer "...)
	c.buf = append(c.buf, h.key...)
	if body != nil {
		c.buf = append(c.buf, "\r\nContent-Type: application/json\r\nContent-Length: "...)
		c.buf = strconv.AppendInt(c.buf, int64(len(body)), 10)
	}
	c.buf = append(c.buf, "\r\n\r\n"...)
	c.buf = append(c.buf, body...)
	if _, err := c.conn.Write(c.buf); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode >= 300 {
		err = fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	return err
}

// run sends b.N requests made by next from benchClients goroutines and
// reports requests/s, latency percentiles and CPU per request. next may
// build a body in the buffer it is given. With warm set, each client
// first sends one request of next(client, 0) outside the measurement,
// so that the connections (HTTP and the database pool, with its
// prepared statements) are open, as in a server that has been running.
// A non-2xx answer fails.
func (h *benchHTTP) run(b *testing.B, warm bool, next func(client, i int, buf []byte) (method, path string, body []byte)) {
	b.Helper()
	var (
		lat    = make([][]time.Duration, benchClients)
		sent   atomic.Int64
		wg     sync.WaitGroup
		failed atomic.Value
	)
	send := func(client, i int) (time.Duration, error) {
		c, err := h.conn(client)
		if err != nil {
			return 0, err
		}
		method, path, body := next(client, i, c.body[:0])
		c.body = body[:0]
		start := time.Now()
		err = h.do(c, method, path, body)
		return time.Since(start), err
	}
	if warm {
		for client := range benchClients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := send(client, 0); err != nil {
					failed.CompareAndSwap(nil, err)
				}
			}()
		}
		wg.Wait()
	}
	stopProfile := profileRegion(b)
	cpu0, pg0 := processCPU(), h.pgCPU()
	var redis0 time.Duration
	if h.redis != nil {
		redis0 = h.redis()
	}
	b.ResetTimer()
	for client := range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[client] = make([]time.Duration, 0, b.N/benchClients+1)
			for i := 0; sent.Add(1) <= int64(b.N); i++ {
				d, err := send(client, i)
				if err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
				lat[client] = append(lat[client], d)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	cpu, pg := processCPU()-cpu0, h.pgCPU()-pg0
	if h.redis != nil {
		b.ReportMetric(float64((h.redis()-redis0).Microseconds())/1000/float64(b.N), "redis-cpu-ms/req")
	}
	stopProfile()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	latencies := slices.Concat(lat...)
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
	if h.pg != nil {
		// The database's share of the same cores: user + system CPU of
		// the backends serving this database (the WAL writer and the
		// checkpointer, shared by every database, are not counted).
		b.ReportMetric(float64(pg.Microseconds())/1000/float64(b.N), "pg-cpu-ms/req")
	}
}

// pgCPU is h.pg(), or 0 without it.
func (h *benchHTTP) pgCPU() time.Duration {
	if h.pg == nil {
		return 0
	}
	return h.pg()
}

// processCPU returns the user and system CPU time this process used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
