package worker_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
	"github.com/candor/candor/webhooks"
	"github.com/candor/candor/worker"
)

// inboxFixture is a migrated store with a topic and a webhook source,
// and a CRM that signs its requests with the reference library.
type inboxFixture struct {
	t      *testing.T
	s      *store.Store
	source int64
	secret string
	n      int
}

func newInboxFixture(t *testing.T) *inboxFixture {
	t.Helper()
	ctx := context.Background()
	keys, err := secrets.New("candor-worker-inbox-tests-fixed-secret-0123456789", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, store.Options{DatabaseURL: testenv.DatabaseURL(t), SQLitePath: testenv.SQLitePath(t),
		Keys: keys, Rules: segment.Language{}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.InstallFingerprintKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTopic(ctx, &models.TopicInput{Key: "crm-news", Name: "CRM news"}); err != nil {
		t.Fatal(err)
	}
	src, secret, err := s.CreateWebhookSource(ctx, &models.WebhookSourceInput{Name: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	return &inboxFixture{t: t, s: s, source: src.ID, secret: secret}
}

// post signs and delivers a body as webhook-id id ("" for a new one).
func (f *inboxFixture) post(id, body string) *models.InboundResult {
	f.t.Helper()
	if id == "" {
		f.n++
		id = "msg_" + strconv.Itoa(f.n)
	}
	wh, err := standardwebhooks.NewWebhook(f.secret)
	if err != nil {
		f.t.Fatal(err)
	}
	now := time.Now()
	sig, err := wh.Sign(id, now, []byte(body))
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := webhooks.Receiver{Store: f.s}.Receive(context.Background(), f.source, &models.InboundMessage{
		ID: id, Timestamp: strconv.FormatInt(now.Unix(), 10), Signature: sig, Body: []byte(body)})
	if err != nil {
		f.t.Fatalf("receive: %v", err)
	}
	return res
}

// drain runs inbox rounds until nothing is pending.
func (f *inboxFixture) drain(in *worker.Inbox) {
	f.t.Helper()
	for range 100 {
		n, err := in.Round(context.Background())
		if err != nil {
			f.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	f.t.Fatal("the inbox never emptied")
}

// outcomes returns "position status error" of every event of the source.
func (f *inboxFixture) outcomes() []string {
	f.t.Helper()
	events, _, err := f.s.InboxEvents(context.Background(), f.source, "", models.Page{Limit: 500})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", e.Type, e.Status, e.Error)))
	}
	return out
}

func (f *inboxFixture) inbox(name string) *worker.Inbox {
	return worker.NewInbox(worker.InboxOptions{Store: f.s, Worker: name, Logger: quiet()})
}

func event(typ, at, data string) string {
	return fmt.Sprintf(`{"type":%q,"occurred_at":%q,"data":%s}`, typ, at, data)
}

func batch(events ...string) string { return `{"events":[` + strings.Join(events, ",") + `]}` }

func TestInboxAppliesEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		f := newInboxFixture(t)
		in := f.inbox("w1")
		f.post("", batch(
			event("customer.upserted", "2025-03-10T09:00:00Z", `{"external_id":"c1","email":"c1@example.com","phone":"+14155550123","preferred_channel":"email","timezone":"Europe/London"}`),
			event("consent.updated", "2025-03-10T09:00:01Z", `{"external_id":"c1","topic":"crm-news","status":"opted_in","evidence":{"text":"Send me pricing guides"}}`),
			event("preferences.updated", "2025-03-10T09:00:02Z", `{"external_id":"c1","preferred_channel":"sms","locale":"en-GB"}`),
			event("customer.upserted", "2025-03-10T09:00:00Z", `{"external_id":"c2","email":"not-an-email","preferred_channel":"email"}`),
			event("consent.updated", "2025-03-10T09:00:00Z", `{"external_id":"c1","topic":"no-such-topic","status":"opted_in"}`),
		))
		f.drain(in)

		t.Run("each event goes through the customer and consent services", func(t *testing.T) {
			c, err := f.s.Customer(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			if c.PreferredChannel != models.ChannelSMS || c.Locale != "en-GB" || c.Email != "c1@example.com" || c.Timezone != "Europe/London" {
				t.Errorf("customer after upsert and preferences = %+v", c)
			}
			ledger, err := f.s.Consents(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			if len(ledger.History) != 1 || ledger.History[0].Source != models.SourceCRM || ledger.History[0].Status != models.ConsentOptedIn || !ledger.Chain.Verified {
				t.Errorf("ledger = %+v", ledger)
			}
		})

		t.Run("a bad event fails with its precise reason and does not block the others", func(t *testing.T) {
			want := []string{
				"customer.upserted applied", "consent.updated applied", "preferences.updated applied",
				"customer.upserted failed The request breaks one or more validation rules. /email: must be a plain email address such as ada@example.com (email)",
				`consent.updated failed Topic "no-such-topic" not found.`,
			}
			if diff := cmp.Diff(want, f.outcomes()); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})
	})
}

func TestInboxKeepsTheNewestData(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		f := newInboxFixture(t)
		in := f.inbox("w1")
		profile := func(at, name string) string {
			return event("customer.upserted", at, `{"external_id":"c1","email":"c1@example.com","name":"`+name+`","preferred_channel":"email"}`)
		}
		consent := func(at, status string) string {
			return event("consent.updated", at, `{"external_id":"c1","topic":"crm-news","status":"`+status+`"}`)
		}
		// Delivered newest first, in two requests.
		f.post("", batch(profile("2025-03-10T10:00:00Z", "New"), consent("2025-03-10T10:00:00Z", "opted_out")))
		f.drain(in)
		f.post("", batch(profile("2025-03-10T09:00:00Z", "Old"), consent("2025-03-10T09:00:00Z", "opted_in"),
			event("preferences.updated", "2025-03-10T09:30:00Z", `{"external_id":"c1","preferred_channel":"sms"}`)))
		f.drain(in)

		t.Run("older profile, preference and consent events are superseded", func(t *testing.T) {
			c, err := f.s.Customer(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			ledger, _ := f.s.Consents(ctx, "c1")
			if c.Name != "New" || c.PreferredChannel != models.ChannelEmail || len(ledger.History) != 1 || ledger.History[0].Status != models.ConsentOptedOut {
				t.Errorf("name %q, channel %q, ledger %+v; want New, email and only the opt-out", c.Name, c.PreferredChannel, ledger.History)
			}
			got := f.outcomes()
			for i := 2; i < 5; i++ {
				if !strings.Contains(got[i], "superseded") {
					t.Errorf("event %d: %s, want superseded", i, got[i])
				}
			}
		})

		t.Run("an upsert older than an erasure does not bring the customer back", func(t *testing.T) {
			f.post("", batch(event("customer.deleted", "2025-03-10T11:00:00Z", `{"external_id":"c1"}`)))
			f.drain(in)
			f.post("", batch(profile("2025-03-10T10:30:00Z", "Ghost")))
			f.drain(in)
			if _, err := f.s.Customer(ctx, "c1"); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("customer after a late older upsert: %v, want not_found", err)
			}
			f.post("", batch(profile("2025-03-10T12:00:00Z", "Back")))
			f.drain(in)
			if c, err := f.s.Customer(ctx, "c1"); err != nil || c.Name != "Back" {
				t.Errorf("a newer upsert after erasure: %v %v, want the customer re-created", c, err)
			}
		})
	})
}

func TestInboxAppliesEachEventOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		f := newInboxFixture(t)
		body := batch(
			event("customer.upserted", "2025-03-10T09:00:00Z", `{"external_id":"c1","email":"c1@example.com","preferred_channel":"email"}`),
			event("consent.updated", "2025-03-10T09:00:01Z", `{"external_id":"c1","topic":"crm-news","status":"opted_in"}`))

		t.Run("a redelivered webhook-id stores nothing again", func(t *testing.T) {
			first := f.post("msg_same", body)
			again := f.post("msg_same", body)
			if first.Duplicate || !again.Duplicate || !cmp.Equal(first.Events, again.Events) {
				t.Errorf("first %+v, again %+v", first, again)
			}
		})

		t.Run("events applied by a worker that died before recording it are applied once", func(t *testing.T) {
			// The dead worker applied every pending event, then crashed
			// before FinishInboxEvents: they are all still pending.
			pending, err := f.s.PendingInboxEvents(ctx, 10)
			if err != nil || len(pending) != 2 {
				t.Fatalf("pending = %v %v", pending, err)
			}
			for _, ev := range pending {
				if o := (webhooks.Applier{Store: f.s}).Apply(ctx, ev); o.Status != models.InboxApplied {
					t.Fatalf("apply: %+v", o)
				}
			}
			f.drain(f.inbox("w2"))
			ledger, _ := f.s.Consents(ctx, "c1")
			events, _ := f.s.Events(ctx, 0, 100)
			var types []models.EventType
			for _, e := range events {
				types = append(types, e.Type)
			}
			if len(ledger.History) != 1 || !cmp.Equal(types, []models.EventType{models.EventCustomerCreated, models.EventConsentChanged}) {
				t.Errorf("ledger %d events, outbox %v; want one consent and one event of each", len(ledger.History), types)
			}
			if diff := cmp.Diff([]string{"customer.upserted applied", "consent.updated applied"}, f.outcomes()); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})

		t.Run("only the process holding the lease applies events", func(t *testing.T) {
			f.post("", batch(event("customer.deleted", "2025-03-10T10:00:00Z", `{"external_id":"c1"}`)))
			if n, err := f.inbox("w3").Round(ctx); n != 0 || err != nil {
				t.Errorf("a second process applied %d events (%v) while w2 holds the lease", n, err)
			}
			f.drain(f.inbox("w2"))
			if _, err := f.s.Customer(ctx, "c1"); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("customer after customer.deleted: %v", err)
			}
		})
	})
}

func TestInboxKeepsTrustRules(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		f := newInboxFixture(t)
		f.post("", batch(
			event("customer.upserted", "2025-03-10T09:00:00Z", `{"external_id":"old","email":"same@example.com","preferred_channel":"email"}`),
			event("customer.deleted", "2025-03-10T09:00:01Z", `{"external_id":"old"}`),
			event("customer.upserted", "2025-03-10T09:00:02Z", `{"external_id":"new","email":"same@example.com","preferred_channel":"email"}`),
			event("consent.updated", "2025-03-10T09:00:03Z", `{"external_id":"new","topic":"crm-news","status":"opted_in"}`),
		))
		f.drain(f.inbox("w1"))
		c, err := f.s.Customer(ctx, "new")
		if err != nil || !c.Suppressed {
			t.Fatalf("re-imported address: %+v %v, want suppressed", c, err)
		}
		got := f.outcomes()
		if !strings.HasPrefix(got[3], "consent.updated failed This customer's address belonged to an erased customer") {
			t.Errorf("a CRM opt-in of a suppressed customer: %q, want the suppression conflict", got[3])
		}
	})
}

func TestInboxAppliesChannelFeedback(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		f := newInboxFixture(t)
		upsert := func(ext, phone string) string {
			return event("customer.upserted", "2025-03-10T09:00:00Z", `{"external_id":"`+ext+`","email":"`+ext+`@example.com","phone":"`+phone+`","preferred_channel":"email"}`)
		}
		optIn := func(ext string) string {
			return event("consent.updated", "2025-03-10T09:00:01Z", `{"external_id":"`+ext+`","topic":"crm-news","status":"opted_in"}`)
		}
		f.post("", batch(upsert("c1", "+14155550101"), optIn("c1"), upsert("c2", "+14155550102"), optIn("c2"), upsert("c3", "+14155550103"), optIn("c3")))
		f.drain(f.inbox("w1"))
		f.post("", batch(
			event("channel.complained", "2025-03-10T10:00:00Z", `{"external_id":"c1","channel":"email"}`),
			event("channel.stop", "2025-03-10T10:00:00Z", `{"address":"+14155550102"}`),
			event("channel.bounced", "2025-03-10T10:00:00Z", `{"external_id":"c3","channel":"email","kind":"soft"}`),
			event("channel.bounced", "2025-03-10T10:00:00Z", `{"external_id":"c3","channel":"email","kind":"bouncy"}`),
		))
		f.drain(f.inbox("w1"))

		for ext, want := range map[string]struct {
			status models.ConsentStatus
			source models.ConsentSource
		}{
			"c1": {models.ConsentOptedOut, models.SourceChannel}, // complaint
			"c2": {models.ConsentOptedOut, models.SourceChannel}, // STOP by phone number
			"c3": {models.ConsentOptedIn, models.SourceCRM},      // a soft bounce changes no consent
		} {
			t.Run(ext+" ends "+string(want.status)+" by "+string(want.source), func(t *testing.T) {
				ledger, err := f.s.Consents(ctx, ext)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range ledger.Current {
					if c.Topic == "crm-news" && (c.Status != want.status || c.Source != want.source) {
						t.Errorf("crm-news = %s by %s", c.Status, c.Source)
					}
				}
			})
		}
		t.Run("a bounce of an unknown kind fails naming the field", func(t *testing.T) {
			got := f.outcomes()
			if last := got[len(got)-1]; !strings.Contains(last, "channel.bounced failed") || !strings.Contains(last, "/data/kind") {
				t.Errorf("outcome = %q", last)
			}
		})
	})
}
