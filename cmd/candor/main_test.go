package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// env is a fake environment for execute.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// backendEnv returns the environment of one backend: embedded (data dir
// only) or real PostgreSQL + Redis when the test URLs are set.
func backendEnv(t *testing.T, backend string) env {
	t.Helper()
	e := env{"CANDOR_DATA_DIR": t.TempDir(), "CANDOR_HTTP_ADDR": freeAddr(t), "CANDOR_LOG_LEVEL": "debug"}
	if backend == "postgres" {
		e["CANDOR_DATABASE_URL"] = testenv.BackendURL(t, "postgres")
		e["CANDOR_REDIS_URL"] = redisenv.URL(t, redisenv.DBCmd)
		e["CANDOR_SECRET_KEY"] = strings.Repeat("s", 40)
	}
	e["CANDOR_PUBLIC_URL"] = "http://" + e["CANDOR_HTTP_ADDR"]
	return e
}

func run(t *testing.T, e env, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = execute(context.Background(), args, &out, &errOut, e.get)
	return code, out.String(), errOut.String()
}

func TestInvalidConfigurationExitsWithOneLinePerProblem(t *testing.T) {
	e := env{"CANDOR_DATA_DIR": t.TempDir(), "CANDOR_HTTP_ADDR": freeAddr(t),
		"CANDOR_DATABASE_URL": "mysql://nope", "CANDOR_WORKER_CONCURRENCY": "0"}
	code, _, stderr := run(t, e, "run")
	if code != 2 {
		t.Fatalf("exit code = %d, want 2; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"CANDOR_DATABASE_URL", "CANDOR_WORKER_CONCURRENCY"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not name %s:\n%s", want, stderr)
		}
	}
}

func TestAPICommandRefusesTheEmbeddedMode(t *testing.T) {
	code, _, stderr := run(t, env{"CANDOR_DATA_DIR": t.TempDir()}, "api")
	if code == 0 || !strings.Contains(stderr, "CANDOR_DATABASE_URL") {
		t.Errorf("exit %d, stderr %q: want a non-zero exit naming CANDOR_DATABASE_URL", code, stderr)
	}
}

func TestVersionPrintsTheVersion(t *testing.T) {
	code, stdout, _ := run(t, env{}, "version")
	if code != 0 || !strings.HasPrefix(stdout, "candor ") {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
}

// TestReadmeWalkThrough drives the binary the way the README does: create
// a key, start Candor, manage a customer and consent, unsubscribe by link,
// then stop it with a signal-like cancel and expect a clean exit.
func TestReadmeWalkThrough(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := backendEnv(t, backend)
			// Both backends: apikey refuses a data directory without a database.
			if code, _, stderr := run(t, e, "migrate"); code != 0 {
				t.Fatalf("migrate exit %d: %s", code, stderr)
			}
			code, key, stderr := run(t, e, "apikey", "create", "--name", "walkthrough", "--role", "admin", "--owner-name", "walkthrough", "--owner-email", "walkthrough@example.com")
			key = strings.TrimSpace(key)
			if code != 0 || !strings.HasPrefix(key, "cnd_") || strings.Contains(key, "\n") {
				t.Fatalf("apikey create: exit %d, stdout %q, stderr %s", code, key, stderr)
			}

			const adminKey = "cnd_fromTheEnvironmentForTests0001"
			e["CANDOR_ADMIN_API_KEY"] = adminKey
			ctx, cancel := context.WithCancel(context.Background())
			logs := &syncBuffer{}
			done := make(chan int, 1)
			go func() { done <- execute(ctx, []string{"run"}, io.Discard, logs, e.get) }()
			base := "http://" + e["CANDOR_HTTP_ADDR"]
			waitHealthy(t, base, done, logs)

			c := client{t: t, base: base, key: key}
			envAdmin := client{t: t, base: base, key: adminKey}
			envAdmin.do("GET", "/v1/api-keys", "", 200) // CANDOR_ADMIN_API_KEY exists as admin at start
			c.do("PUT", "/v1/customers/crm-1001", `{"email":"ada@example.com","name":"Ada","timezone":"Europe/Berlin",
				"locale":"de-DE","preferred_channel":"email","preferred_windows":[{"days":["mon","tue"],"start":"09:00","end":"12:00"}]}`, 201)
			c.do("PUT", "/v1/customers/crm-1001/consents/pricing-guides", `{"status":"opted_in","source":"crm"}`, 200)
			var links struct {
				UnsubscribeURL string `json:"unsubscribe_url"`
			}
			c.decode(c.do("GET", "/v1/customers/crm-1001/links", "", 200), &links)
			if !strings.HasPrefix(links.UnsubscribeURL, base+"/u/") {
				t.Fatalf("unsubscribe_url = %q", links.UnsubscribeURL)
			}
			resp, err := http.PostForm(links.UnsubscribeURL, url.Values{"List-Unsubscribe": {"One-Click"}})
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("one-click unsubscribe: %v %v", resp, err)
			}
			resp.Body.Close()
			var ledger struct {
				Current []struct{ Topic, Status string } `json:"current"`
				Chain   struct{ Verified bool }          `json:"chain"`
			}
			c.decode(c.do("GET", "/v1/customers/crm-1001/consents", "", 200), &ledger)
			if !ledger.Chain.Verified || len(ledger.Current) < 4 {
				t.Fatalf("ledger = %+v", ledger)
			}
			for _, cur := range ledger.Current {
				if cur.Status != "opted_out" {
					t.Errorf("after one-click, topic %s is %s, want opted_out", cur.Topic, cur.Status)
				}
			}

			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("run exited %d; logs:\n%s", code, logs.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("run did not stop within 30s of cancellation")
			}
			if strings.Contains(logs.String(), "ada@example.com") || strings.Contains(logs.String(), "crm-1001") {
				t.Error("logs contain customer PII or external ids")
			}
			if backend == "sqlite" && !strings.Contains(logs.String(), "embedded mode") {
				t.Error("the embedded mode was not announced in the log")
			}
		})
	}
}

func waitHealthy(t *testing.T, base string, done chan int, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			t.Fatalf("candor run exited early with %d; logs:\n%s", code, logs.String())
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("candor never became ready; logs:\n%s", logs.String())
}

type client struct {
	t    *testing.T
	base string
	key  string
}

func (c client) do(method, path, body string, want int) []byte {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return b
}

func (c client) decode(b []byte, v any) {
	c.t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		c.t.Fatal(fmt.Errorf("decode %s: %w", b, err))
	}
}

func TestRealBackendsRequireMigrationsFirst(t *testing.T) {
	if !contains(testenv.Backends(), "postgres") {
		t.Skip("needs CANDOR_TEST_DATABASE_URL (runs in CI's real-backend pass)")
	}
	e := backendEnv(t, "postgres")
	code, _, stderr := run(t, e, "apikey", "list")
	if code == 0 || !strings.Contains(stderr, "candor migrate") {
		t.Fatalf("exit %d, stderr %q: want a refusal that says to run candor migrate", code, stderr)
	}
	if code, _, stderr := run(t, e, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, e, "apikey", "list"); code != 0 {
		t.Fatalf("after migrate, apikey list: exit %d: %s", code, stderr)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
