package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunDemoShowsMessagesArriving is the newcomer's one command: from an
// empty data directory, `candor run --demo` prints where to look, and the
// outbox fills with the messages of the customers whose window is open
// now. A second run finds everything and adds nothing. Embedded mode
// only: the demo refuses a real database (below).
func TestRunDemoShowsMessagesArriving(t *testing.T) {
	e := backendEnv(t, "sqlite")
	base := "http://" + e["CANDOR_HTTP_ADDR"]
	start := func() (stop func() string, out *syncBuffer) {
		ctx, cancel := context.WithCancel(context.Background())
		out, logs := &syncBuffer{}, &syncBuffer{}
		done := make(chan int, 1)
		go func() { done <- execute(ctx, []string{"run", "--demo"}, out, logs, e.get) }()
		waitHealthy(t, base, done, logs)
		return func() string {
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("run --demo exited %d; logs:\n%s", code, logs.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("run --demo did not stop within 30s of cancellation")
			}
			return logs.String()
		}, out
	}

	stop, out := start()
	if !strings.Contains(out.String(), "Candor demo ready (made just now)") || !strings.Contains(out.String(), "/v1/outbox?campaign_id=1") {
		t.Fatalf("stdout of the first run:\n%s", out.String())
	}
	keyPath := filepath.Join(e["CANDOR_DATA_DIR"], demoKeyFile)
	raw, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", keyPath, fi.Mode().Perm())
	}
	c := client{t: t, base: base, key: strings.TrimSpace(string(raw))}
	var outbox struct {
		Items []struct {
			Channel    string `json:"channel"`
			ExternalID string `json:"external_id"`
		} `json:"items"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(outbox.Items) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		c.decode(c.do("GET", "/v1/outbox?campaign_id=1&limit=200", "", 200), &outbox)
	}
	if len(outbox.Items) == 0 {
		t.Fatal("no demo message reached the outbox within 60s")
	}
	c.do("GET", "/v1/campaigns/1/report", "", 200) // the report the demo points to answers
	if !strings.Contains(out.String(), "/v1/campaigns/1/report") {
		t.Error("the demo does not point to the campaign report")
	}
	for _, m := range outbox.Items {
		if m.Channel == "sms" {
			t.Errorf("%s got an SMS, but the demo content has no SMS variant", m.ExternalID)
		}
	}
	logs := stop()
	if strings.Contains(logs, c.key) {
		t.Error("the demo's API key was written to the log")
	}

	stop, out = start()
	var campaigns struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	c.decode(c.do("GET", "/v1/campaigns", "", 200), &campaigns)
	stop()
	if !strings.Contains(out.String(), "found from an earlier run: nothing was added") || len(campaigns.Items) != 1 {
		t.Errorf("second run: %d campaigns (want 1), stdout:\n%s", len(campaigns.Items), out.String())
	}
}

func TestRunDemoRefusesARealDatabase(t *testing.T) {
	e := backendEnv(t, "sqlite")
	e["CANDOR_DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none?sslmode=disable"
	e["CANDOR_REDIS_URL"] = "redis://127.0.0.1:1/0"
	e["CANDOR_SECRET_KEY"] = strings.Repeat("s", 40)
	code, _, stderr := run(t, e, "run", "--demo")
	if code == 0 || !strings.Contains(stderr, "--demo runs only in embedded mode") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
