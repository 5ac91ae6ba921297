package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/internal/testenv"
	"github.com/redis/go-redis/v9"
)

func TestHealthcheckExitsZeroOnlyWhenReady(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode int
		wantErr  string
	}{
		{"ready answers exit 0", 200, `{"status":"ok","checks":{"database":"ok","redis":"ok"}}`, 0, ""},
		{"a failing check is named", 503, `{"status":"unavailable","checks":{"database":"ok","redis":"failed"}}`, 1, "failing: redis"},
		{"any other answer fails", 404, `not json`, 1, "answered 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/readyz" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			addr := strings.TrimPrefix(srv.URL, "http://")
			code, _, stderr := run(t, env{"CANDOR_HTTP_ADDR": addr}, "healthcheck")
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
			code, _, _ = run(t, env{"CANDOR_WORKER_ADDR": addr, "CANDOR_HTTP_ADDR": "127.0.0.1:1"}, "healthcheck", "--worker")
			if code != tt.wantCode {
				t.Errorf("--worker: exit %d, want %d", code, tt.wantCode)
			}
			// A worker container runs the image's HEALTHCHECK without
			// --worker: nothing listens on the API's address there.
			code, _, _ = run(t, env{"CANDOR_WORKER_ADDR": addr, "CANDOR_HTTP_ADDR": freeAddr(t)}, "healthcheck")
			if code != tt.wantCode {
				t.Errorf("falling back to the worker's address: exit %d, want %d", code, tt.wantCode)
			}
		})
	}
	t.Run("nothing listening fails", func(t *testing.T) {
		if code, _, stderr := run(t, env{"CANDOR_HTTP_ADDR": freeAddr(t), "CANDOR_WORKER_ADDR": freeAddr(t)}, "healthcheck"); code == 0 || !strings.Contains(stderr, "does not answer") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestLocalAddrDialsThisMachineForAWildcard(t *testing.T) {
	for in, want := range map[string]string{":8080": "127.0.0.1:8080", "0.0.0.0:9": "127.0.0.1:9", "[::]:9": "127.0.0.1:9", "10.1.2.3:80": "10.1.2.3:80"} {
		if got := localAddr(in); got != want {
			t.Errorf("localAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// startServing runs a serving command in the background until the test
// ends and returns its log.
func startServing(t *testing.T, e env, command string) (*syncBuffer, chan int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- execute(ctx, []string{command}, io.Discard, logs, e.get) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the command did not stop within 30s")
		}
	})
	return logs, done
}

// everyLineIsJSON fails for a log line that is not a JSON object: the
// docs promise JSON lines on stderr, go-redis and asynq included.
func everyLineIsJSON(t *testing.T, logs string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

func TestTheAPIWithRedisDownSaysSoAtStartAndReadyzNamesRedis(t *testing.T) {
	if !contains(testenv.Backends(), "postgres") {
		t.Skip("candor api needs PostgreSQL: set CANDOR_TEST_DATABASE_URL")
	}
	e := backendEnv(t, "postgres")
	if code, _, stderr := run(t, e, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	e["CANDOR_REDIS_URL"] = "redis://" + freeAddr(t) + "/0" // nothing listens there
	logs, done := startServing(t, e, "api")
	base := "http://" + e["CANDOR_HTTP_ADDR"]
	var body readinessBody
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case code := <-done:
			t.Fatalf("candor api exited %d; it should keep serving without Redis:\n%s", code, logs.String())
		default:
		}
		if status := getJSON(base+"/readyz", &body); status == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never answered 503; logs:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if body.Checks["redis"] != "failed" || body.Checks["database"] != "ok" {
		t.Errorf("/readyz checks = %v, want redis failed and database ok", body.Checks)
	}
	if !strings.Contains(logs.String(), "redis is not reachable") {
		t.Errorf("the start did not say Redis is down:\n%s", logs.String())
	}
	everyLineIsJSON(t, logs.String())
	if code, _, stderr := run(t, e, "healthcheck"); code == 0 || !strings.Contains(stderr, "failing: redis") {
		t.Errorf("healthcheck: exit %d, stderr %q; want a failure naming redis", code, stderr)
	}
}

func TestTheWorkerServesHealthAndMetricsOnItsOwnAddress(t *testing.T) {
	if !contains(testenv.Backends(), "postgres") {
		t.Skip("candor worker needs PostgreSQL: set CANDOR_TEST_DATABASE_URL")
	}
	e := backendEnv(t, "postgres")
	if code, _, stderr := run(t, e, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	e["CANDOR_WORKER_ADDR"] = freeAddr(t)
	logs, done := startServing(t, e, "worker")
	base := "http://" + e["CANDOR_WORKER_ADDR"]
	waitHealthy(t, base, done, logs)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/v1/customers": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d: %s", path, resp.StatusCode, want, b)
		}
		if path == "/metrics" && !strings.Contains(string(b), "go_goroutines") {
			t.Errorf("/metrics has no Go runtime metrics")
		}
	}
	if code, _, stderr := run(t, e, "healthcheck", "--worker"); code != 0 {
		t.Errorf("healthcheck --worker: exit %d: %s", code, stderr)
	}
	everyLineIsJSON(t, logs.String())
}

type readinessBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func getJSON(url string, v any) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(v)
	return resp.StatusCode
}

func TestGoRedisLogsAreJSONLinesOfTheCommandsLogger(t *testing.T) {
	logs := &syncBuffer{}
	routeRedisLogs(newLogger(logs, "info"))
	t.Cleanup(func() { routeRedisLogs(newLogger(io.Discard, "error")) })
	opt, err := redis.ParseURL("redis://" + freeAddr(t) + "/0") // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}
	if !strings.Contains(logs.String(), `"component":"redis"`) {
		t.Fatalf("go-redis's dial failure did not reach the JSON log: %q", logs.String())
	}
	everyLineIsJSON(t, logs.String())
}
