package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/channels"
	"github.com/candor/candor/configs"
	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/internal/testsinks"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

const (
	chaosDeliveries = 2000
	chaosFrom       = "Candor <news@candor.example>"
	chaosHookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// TestChaosNothingLostNothingDoubled runs a campaign of 2,000 deliveries
// through two `candor worker` processes on real PostgreSQL and Redis,
// SIGKILLs them several times mid-campaign and flushes Redis once. Every
// delivery ends final, no message reaches a sink twice (a repeated
// idempotency key counts once, as a provider treats it), every sent one
// reached its sink, only email may end unknown, and nothing is sent
// outside the window.
func TestChaosNothingLostNothingDoubled(t *testing.T) {
	if os.Getenv(testenv.EnvDatabaseURL) == "" || os.Getenv("CANDOR_TEST_REDIS_URL") == "" {
		t.Skip("the chaos test needs real PostgreSQL and Redis: set CANDOR_TEST_DATABASE_URL and CANDOR_TEST_REDIS_URL")
	}
	began := time.Now()
	bin := buildCandor(t)
	emails, smtpPort := testsinks.StartSMTP(t)
	hooks, hookURL := testsinks.StartWebhook(t, chaosHookSecret)
	redisURL := redisenv.URL(t, redisenv.DBCmd)
	e := env{"CANDOR_DATABASE_URL": testenv.BackendURL(t, testenv.Postgres), "CANDOR_REDIS_URL": redisURL,
		"CANDOR_SECRET_KEY": strings.Repeat("k", 40), "CANDOR_HTTP_ADDR": "127.0.0.1:0", "CANDOR_LOG_LEVEL": "info",
		"CANDOR_WEBHOOK_CHANNEL_URL": hookURL, "CANDOR_WEBHOOK_CHANNEL_SECRET": chaosHookSecret, "CANDOR_WEBHOOK_ALLOW_PRIVATE": "true",
		"CANDOR_SMTP_HOST": "127.0.0.1", "CANDOR_SMTP_PORT": strconv.Itoa(smtpPort), "CANDOR_SMTP_FROM": chaosFrom, "CANDOR_SMTP_TLS": "none",
		"CANDOR_EMAIL_RATE": "100/s", "CANDOR_WEBHOOK_RATE": "100/s", "CANDOR_WORKER_LEASE": "5s", "CANDOR_WORKER_CONCURRENCY": "4"}
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range e {
		environ = append(environ, k+"="+v)
	}
	migrate := exec.Command(bin, "migrate")
	migrate.Env = environ
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("candor migrate: %v\n%s", err, out)
	}
	cfg, err := loadConfig(e.get, configs.ModeReal)
	if err != nil {
		t.Fatal(err)
	}
	s := openChaosStore(t, e["CANDOR_DATABASE_URL"], e["CANDOR_SECRET_KEY"])
	chaosCustomers(t, s, chaosDeliveries)
	camp := chaosCampaign(t, s, campaigns.NewPlanner(planSettings(cfg)))
	if camp.Planned != chaosDeliveries {
		t.Fatalf("planned %d, want %d", camp.Planned, chaosDeliveries)
	}
	t.Logf("setup (build, migrate, %d customers, launch) took %s", chaosDeliveries, time.Since(began).Round(time.Millisecond))

	p := &procs{t: t, bin: bin, env: environ, dir: t.TempDir(), cmds: map[int]*exec.Cmd{}}
	t.Cleanup(p.stopAll)
	started := time.Now()
	p.start(0)
	p.start(1)
	opt, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(opt)
	defer rdb.Close()

	// Kill a worker each time another tenth of the campaign is final,
	// five times, and flush Redis once in between; then let it finish.
	kills, flushed := 0, false
	deadline := started.Add(150 * time.Second)
	for {
		counts := statusCounts(t, s, camp.ID)
		final := chaosDeliveries - counts[models.DeliveryPlanned] - counts[models.DeliveryQueued] - counts[models.DeliverySending]
		if final == chaosDeliveries {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, not every delivery is final: %v\n%s", time.Since(started), counts, p.tail())
		}
		if kills < 5 && final >= (kills+1)*chaosDeliveries/10 {
			p.kill(kills % 2)
			p.start(kills % 2)
			kills++
		}
		if !flushed && kills >= 2 {
			if err := rdb.FlushDB(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			flushed = true
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(started)
	counts := statusCounts(t, s, camp.ID)
	t.Logf("chaos: %d deliveries final in %s with %d SIGKILLs and one Redis flush: %v; email arrivals %d (requests %d), webhook arrivals %d (requests %d)",
		chaosDeliveries, took.Round(time.Millisecond), kills, counts, emails.Count(), emails.Requests(), hooks.Count(), hooks.Requests())
	checkChaos(t, s, camp, emails, hooks)
}

// statusCounts counts the campaign's deliveries by status.
func statusCounts(t *testing.T, s *store.Store, id int64) map[models.DeliveryStatus]int {
	t.Helper()
	var rows []struct {
		Status string
		N      int
	}
	if err := s.DB().Raw("SELECT status, count(*) AS n FROM deliveries WHERE campaign_id = ? GROUP BY status", id).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[models.DeliveryStatus]int{}
	for _, r := range rows {
		out[models.DeliveryStatus(r.Status)] = r.N
	}
	return out
}

// checkChaos checks every delivery against what the sinks received.
func checkChaos(t *testing.T, s *store.Store, camp *models.Campaign, emails, hooks *testsinks.Sink) {
	t.Helper()
	emailKeys, hookKeys := emails.Keys(), hooks.Keys()
	for key, n := range emailKeys {
		if n > 1 {
			t.Errorf("email %s arrived %d times", key, n)
		}
	}
	known := 0
	page := models.Page{Limit: models.MaxPageLimit}
	for {
		items, next, err := s.CampaignDeliveries(context.Background(), camp.ID, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range items {
			key := strconv.FormatInt(d.ID, 10)
			arrived := hookKeys[key] > 0
			if d.Channel == models.ChannelEmail {
				key, _ = channels.EmailMessageID(chaosFrom, d.ID)
				arrived = emailKeys[key] > 0
			}
			if arrived {
				known++
			}
			switch {
			case d.Status == models.DeliverySent && !arrived:
				t.Errorf("delivery %d is sent but never reached the %s sink", d.ID, d.Channel)
			case d.Status == models.DeliveryUnknown && d.Channel != models.ChannelEmail:
				t.Errorf("delivery %d on %s is unknown: only email may be", d.ID, d.Channel)
			case d.Status != models.DeliverySent && d.Status != models.DeliveryUnknown:
				t.Errorf("delivery %d ended %s/%s: lost", d.ID, d.Status, d.Reason)
			case arrived && (d.SentAt == nil || d.SentAt.Before(camp.Window.NotBefore) || !d.SentAt.Before(camp.Window.NotAfter) ||
				d.Snapshot == nil || d.Snapshot.Window == nil):
				t.Errorf("delivery %d went out at %v with snapshot %+v: outside its window", d.ID, d.SentAt, d.Snapshot)
			}
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if n := len(emailKeys) + len(hookKeys); n != known {
		t.Errorf("the sinks hold %d distinct messages, %d of them for this campaign's deliveries", n, known)
	}
}
