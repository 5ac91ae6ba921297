package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/webhooks"
)

// TestChaosInboxAppliesEveryEventOnce accepts 3,000 inbound events (a
// profile and an opt-in for each of 1,500 customers), then applies them
// with two `candor worker` processes that are SIGKILLed several times
// while they work. Every accepted event must end applied, and applied
// once: one customer.created and one consent.changed per customer, one
// ledger entry each.
func TestChaosInboxAppliesEveryEventOnce(t *testing.T) {
	if os.Getenv(testenv.EnvDatabaseURL) == "" || os.Getenv("CANDOR_TEST_REDIS_URL") == "" {
		t.Skip("the chaos test needs real PostgreSQL and Redis: set CANDOR_TEST_DATABASE_URL and CANDOR_TEST_REDIS_URL")
	}
	const customers = 1500
	ctx := context.Background()
	bin := buildCandor(t)
	e := env{"CANDOR_DATABASE_URL": testenv.BackendURL(t, testenv.Postgres), "CANDOR_REDIS_URL": redisenv.URL(t, redisenv.DBCmd),
		"CANDOR_SECRET_KEY": strings.Repeat("k", 40), "CANDOR_HTTP_ADDR": "127.0.0.1:0", "CANDOR_LOG_LEVEL": "info",
		"CANDOR_WORKER_LEASE": "5s", "CANDOR_WORKER_CONCURRENCY": "4"}
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
	if _, err := s.CreateTopic(ctx, &models.TopicInput{Key: "chaos-news", Name: "Chaos news"}); err != nil {
		t.Fatal(err)
	}
	src, secret, err := s.CreateWebhookSource(ctx, &models.WebhookSourceInput{Name: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < customers; start += 250 {
		var events []string
		for i := start; i < start+250; i++ {
			events = append(events,
				fmt.Sprintf(`{"type":"customer.upserted","occurred_at":"2025-03-10T09:00:00Z","data":{"external_id":"c%d","email":"c%d@example.com","preferred_channel":"email"}}`, i, i),
				fmt.Sprintf(`{"type":"consent.updated","occurred_at":"2025-03-10T09:00:01Z","data":{"external_id":"c%d","topic":"chaos-news","status":"opted_in"}}`, i))
		}
		body := []byte(`{"events":[` + strings.Join(events, ",") + `]}`)
		id, now := "msg_"+strconv.Itoa(start), time.Now()
		sig, _ := wh.Sign(id, now, body)
		_, err := webhooks.Receiver{Store: s}.Receive(ctx, src.ID, &models.InboundMessage{ID: id, Timestamp: strconv.FormatInt(now.Unix(), 10),
			Signature: sig, Body: body})
		if err != nil {
			t.Fatal(err)
		}
	}

	p := &procs{t: t, bin: bin, env: environ, dir: t.TempDir(), cmds: map[int]*exec.Cmd{}}
	t.Cleanup(p.stopAll)
	count := func(status models.InboxStatus) int64 {
		var c int64
		if err := s.DB().Raw("SELECT COUNT(*) FROM inbox_events WHERE status = ?", string(status)).Row().Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	p.start(0)
	p.start(1)
	// Each kill comes while events are being applied: some are applied
	// already and some still pending.
	kills := 0
	for kill := 0; kill < 4; kill++ {
		deadline := time.Now().Add(2 * time.Minute)
		for count(models.InboxApplied) <= int64(kill*400) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if count(models.InboxPending) == 0 {
			break
		}
		p.kill(kill % 2)
		p.start(kill % 2)
		kills++
		t.Logf("kill %d: %d applied, %d pending", kill+1, count(models.InboxApplied), count(models.InboxPending))
	}
	if kills == 0 {
		t.Fatal("no worker was killed while events were pending")
	}
	deadline := time.Now().Add(3 * time.Minute)
	for count(models.InboxPending) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d events still pending\n%s", count(models.InboxPending), p.tail())
		}
		time.Sleep(200 * time.Millisecond)
	}

	var n struct{ Applied, Other, Created, Changed, Ledger int64 }
	db := s.DB()
	db.Raw("SELECT COUNT(*) FROM inbox_events WHERE status = 'applied'").Row().Scan(&n.Applied)
	db.Raw("SELECT COUNT(*) FROM inbox_events WHERE status <> 'applied'").Row().Scan(&n.Other)
	db.Raw("SELECT COUNT(*) FROM events WHERE type = 'customer.created'").Row().Scan(&n.Created)
	db.Raw("SELECT COUNT(*) FROM events WHERE type = 'consent.changed'").Row().Scan(&n.Changed)
	db.Raw("SELECT COUNT(*) FROM consent_events WHERE topic = 'chaos-news'").Row().Scan(&n.Ledger)
	want := struct{ Applied, Other, Created, Changed, Ledger int64 }{2 * customers, 0, customers, customers, customers}
	if n != want {
		t.Errorf("after the kills: %+v, want %+v\n%s", n, want, p.tail())
	}
}
