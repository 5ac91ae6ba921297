package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// chaosSink is an integration that verifies each outbound webhook with
// the reference library, counts each webhook-id, and records an error when
// one id arrives while the same id is still being handled.
type chaosSink struct {
	wh       *standardwebhooks.Webhook
	mu       sync.Mutex
	seen     map[string]int
	inFlight map[string]bool
	errs     []string
}

func (k *chaosSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	k.mu.Lock()
	if k.inFlight[id] {
		k.errs = append(k.errs, id+" delivered twice at once")
	}
	k.inFlight[id] = true
	k.mu.Unlock()
	time.Sleep(2 * time.Millisecond) // keep requests in flight when a worker is killed
	err := k.wh.Verify(body, r.Header)
	k.mu.Lock()
	delete(k.inFlight, id)
	if err != nil {
		k.errs = append(k.errs, id+": "+err.Error())
	} else {
		k.seen[id]++
	}
	k.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (k *chaosSink) counts() (distinct, total int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, n := range k.seen {
		distinct++
		total += n
	}
	return distinct, total
}

// TestChaosOutboundDeliversEveryEventAtLeastOnce writes 2,000 events for
// one endpoint and delivers them with two `candor worker` processes,
// SIGKILLing the one that holds the outbound lease several times while
// requests are in flight. Every event must reach the receiver (at least
// once, every copy with the same webhook-id and a valid signature) and no
// webhook-id may ever be in flight twice at once.
func TestChaosOutboundDeliversEveryEventAtLeastOnce(t *testing.T) {
	if os.Getenv(testenv.EnvDatabaseURL) == "" || os.Getenv("CANDOR_TEST_REDIS_URL") == "" {
		t.Skip("the chaos test needs real PostgreSQL and Redis: set CANDOR_TEST_DATABASE_URL and CANDOR_TEST_REDIS_URL")
	}
	const customers = 2000
	ctx := context.Background()
	bin := buildCandor(t)
	e := env{"CANDOR_DATABASE_URL": testenv.BackendURL(t, testenv.Postgres), "CANDOR_REDIS_URL": redisenv.URL(t, redisenv.DBCmd),
		"CANDOR_SECRET_KEY": strings.Repeat("k", 40), "CANDOR_HTTP_ADDR": "127.0.0.1:0", "CANDOR_LOG_LEVEL": "info",
		"CANDOR_WORKER_LEASE": "5s", "CANDOR_WORKER_CONCURRENCY": "4", "CANDOR_WEBHOOK_ALLOW_PRIVATE": "true"}
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range e {
		environ = append(environ, k+"="+v)
	}
	migrate := exec.Command(bin, "migrate")
	migrate.Env = environ
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("candor migrate: %v\n%s", err, out)
	}
	s := openChaosStore(t, e["CANDOR_DATABASE_URL"], e["CANDOR_SECRET_KEY"])
	sink := &chaosSink{seen: map[string]int{}, inFlight: map[string]bool{}}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	_, secret, err := s.CreateWebhookEndpoint(ctx, &models.WebhookEndpointInput{URL: srv.URL + "/hooks",
		Events: []models.EventType{models.EventCustomerCreated}})
	if err != nil {
		t.Fatal(err)
	}
	if sink.wh, err = standardwebhooks.NewWebhook(secret); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < customers; start += 500 {
		ins := make([]*models.CustomerInput, 500)
		for i := range ins {
			id := "c" + strconv.Itoa(start+i)
			ins[i] = &models.CustomerInput{ExternalID: id, Email: id + "@example.com", PreferredChannel: models.ChannelEmail}
		}
		if _, err := s.PutCustomers(ctx, ins); err != nil {
			t.Fatal(err)
		}
	}

	p := &procs{t: t, bin: bin, env: environ, dir: t.TempDir(), cmds: map[int]*exec.Cmd{}}
	t.Cleanup(p.stopAll)
	holder := func() int {
		var owner string
		_ = s.DB().Raw("SELECT owner FROM worker_leases WHERE name = 'outbound'").Row().Scan(&owner)
		for i, c := range p.cmds {
			if strings.HasSuffix(owner, "/"+strconv.Itoa(c.Process.Pid)) {
				return i
			}
		}
		return -1
	}
	p.start(0)
	p.start(1)
	kills := 0
	for kill := 0; kill < 4; kill++ {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			distinct, _ := sink.counts()
			if distinct > (kill+1)*300 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if distinct, _ := sink.counts(); distinct == customers {
			break
		}
		i := holder()
		if i < 0 {
			continue
		}
		p.kill(i)
		p.start(i)
		kills++
		distinct, total := sink.counts()
		t.Logf("kill %d (worker %d): %d events received, %d requests", kills, i, distinct, total)
	}
	if kills == 0 {
		t.Fatal("no worker was killed while events were being delivered")
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		distinct, _ := sink.counts()
		if distinct == customers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events received\n%s", distinct, customers, p.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	distinct, total := sink.counts()
	t.Logf("%d events received in %d requests (%d again after a kill, same webhook-id)", distinct, total, total-distinct)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.errs) > 0 {
		t.Errorf("%d receiver errors, first: %s", len(sink.errs), sink.errs[0])
	}
}
