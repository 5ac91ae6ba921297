package worker_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/candor/candor/internal/testbrowser"
	"github.com/candor/candor/models"
)

// TestAMessageLeadsToThePreferenceCenterInABrowser is issue #12's proof
// in headless Chromium, from a message the delivery worker really sent
// into the outbox (every channel writes there, as in embedded mode): the
// message's preference link opens the page, where the customer changes
// topics, channel, times and cadence (the ledger records it from the
// preference center); the guide they already received says so and offers
// no second copy, and a stale "send it to me" of a guide that has arrived
// since sends nothing; the message's unsubscribe link unsubscribes with
// one click. An English and a German customer's pages are screenshotted
// into the test's artifact directory (go test -artifacts keeps them).
//
// It runs on every configured backend, like the other worker end-to-end
// tests, with one browser started for all of them.
func TestAMessageLeadsToThePreferenceCenterInABrowser(t *testing.T) {
	browser := testbrowser.Start(t)
	forEachBackend(t, func(t *testing.T) {
		// The server's address is the public URL of the links in messages,
		// so the browser follows them as they are.
		srv := httptest.NewUnstartedServer(nil)
		h := newHarnessWith(t, 500, harnessOptions{publicURL: "http://" + srv.Listener.Addr().String(), outbox: true})
		srv.Config.Handler = h.preferenceCenter()
		srv.Start()
		t.Cleanup(srv.Close)

		guide := h.content("Pay by transfer", nil)
		stale := h.content("Pay by card", nil)
		h.customer("mail-en", "all", models.ChannelEmail, "Europe/London", func(in *models.CustomerInput) { in.Locale = "en-GB" })
		h.customer("mail-de", "all", models.ChannelEmail, "Europe/Berlin", func(in *models.CustomerInput) { in.Locale = "de-AT" })
		h.consentTo("mail-en", "product-roadmap", models.ConsentOptedIn)
		camp := h.launch(guide, "all")
		h.start()
		eventually(t, "the campaign completed", func() bool { return h.campaignState(camp.ID) == models.CampaignCompleted })
		prefs, unsub := h.outboxLinks("mail-en")

		ctx := testbrowser.Tab(t, browser)
		t.Run("the message's preference link opens the page in English", func(t *testing.T) {
			testbrowser.Open(t, ctx, prefs, http.StatusOK)
			checkPage(t, ctx, "en", "Your preferences")
			sent := testbrowser.Run(t, ctx, "messages sent", chromedp.Text(chromedp.CSS("section[aria-labelledby=h-sent] tbody")))
			if !strings.Contains(sent, "Pay by transfer") || !strings.Contains(sent, "Email") {
				t.Errorf("messages sent = %q, want the campaign's email", sent)
			}
			testbrowser.CheckAccessibility(t, ctx, "preference center")
			testbrowser.Screenshot(t, ctx, "preferences-en")
		})

		t.Run("topics, channel, times and cadence are saved, and the ledger says so", func(t *testing.T) {
			windows := berlinDays() + " 00:00-24:00"
			parsed, err := models.ParseWindowsSpec(windows)
			if err != nil {
				t.Fatal(err)
			}
			testbrowser.Run(t, ctx, "fill", chromedp.Steps(
				chromedp.Click(chromedp.ID("topic-product-roadmap")), // untick
				chromedp.Click(chromedp.ID("topic-pricing-guides")),  // tick
				chromedp.Click(chromedp.ID("channel-sms")),
				chromedp.SetValue(chromedp.ID("f-timezone"), "Europe/Berlin"),
				chromedp.SetValue(chromedp.ID("f-windows"), windows),
				chromedp.SetValue(chromedp.ID("f-cadence_max"), "3"),
				chromedp.SetValue(chromedp.ID("f-cadence_per"), "30d")))
			testbrowser.SubmitBy(t, ctx, "form:first-of-type button[type=submit]", http.StatusOK)
			if notice := testbrowser.Run(t, ctx, "notice", chromedp.Text(chromedp.CSS("[role=status]"))); notice != "Your preferences are saved." {
				t.Errorf("notice = %q", notice)
			}
			got, err := h.s.Customer(t.Context(), "mail-en")
			if err != nil {
				t.Fatal(err)
			}
			if got.PreferredChannel != models.ChannelSMS || got.Timezone != "Europe/Berlin" || got.Cadence == nil ||
				got.Cadence.Max != 3 || got.Cadence.Per != "30d" || models.FormatWindowsSpec(got.PreferredWindows) != models.FormatWindowsSpec(parsed) {
				t.Errorf("profile after saving: channel %s, zone %s, windows %q, cadence %+v", got.PreferredChannel, got.Timezone,
					models.FormatWindowsSpec(got.PreferredWindows), got.Cadence)
			}
			changed := h.preferenceCenterChanges("mail-en")
			want := map[string]models.ConsentStatus{"product-roadmap": models.ConsentOptedOut, "pricing-guides": models.ConsentOptedIn}
			if len(changed) != len(want) || changed["product-roadmap"] != want["product-roadmap"] || changed["pricing-guides"] != want["pricing-guides"] {
				t.Errorf("ledger entries from the preference center: %v, want %v", changed, want)
			}
		})

		t.Run("the guide already received says so and offers no second copy", func(t *testing.T) {
			testbrowser.Open(t, ctx, prefs, http.StatusOK)
			link := `a[href$="/content/` + itoa(guide) + `"]`
			offer := testbrowser.Run(t, ctx, "offer", chromedp.Text(chromedp.CSS("section[aria-labelledby=h-offers] li:has("+link+")")))
			if !regexp.MustCompile(`(?s)^Pay by transfer.*You already received this on .+ by Email\.$`).MatchString(offer) {
				t.Errorf("the offer does not warn before asking: %q", offer)
			}
			testbrowser.SubmitBy(t, ctx, "section[aria-labelledby=h-offers] "+link, http.StatusOK)
			note := testbrowser.Run(t, ctx, "note", chromedp.Text(chromedp.CSS("[role=note]")))
			if !regexp.MustCompile(`^You already received this on \d{1,2} \w+ \d{4}.* by Email\.$`).MatchString(note) {
				t.Errorf("warning = %q, want “You already received this on <date> by Email.”", note)
			}
			if forms := testbrowser.Run(t, ctx, "request forms", chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/request"]').length`)); forms != 0 {
				t.Errorf("%d “send it to me” forms offered for a guide already received", forms)
			}
			testbrowser.CheckAccessibility(t, ctx, "guide already received")
		})

		t.Run("a stale “send it to me” of a guide that arrived since sends nothing", func(t *testing.T) {
			other := testbrowser.Tab(t, browser)
			for _, tab := range []context.Context{ctx, other} {
				testbrowser.Open(t, tab, strings.TrimSuffix(prefs, "/")+"/content/"+itoa(stale), http.StatusOK)
			}
			testbrowser.SubmitBy(t, ctx, "section[aria-labelledby=h-request] button[type=submit]", http.StatusOK)
			if planned := testbrowser.Run(t, ctx, "answer", chromedp.Text(chromedp.CSS("[role=status]"))); !strings.Contains(planned, "We will send it by Text message (SMS)") {
				t.Errorf("answer to the request = %q", planned)
			}
			eventually(t, "the requested guide arrived by sms", func() bool {
				r, err := h.s.ContentReceipt(t.Context(), "mail-en", stale)
				return err == nil && r.ReceivedAt != nil && r.Channel == models.ChannelSMS
			})
			testbrowser.SubmitBy(t, other, "section[aria-labelledby=h-request] button[type=submit]", http.StatusOK)
			answer := testbrowser.Run(t, other, "answer", chromedp.Text(chromedp.CSS("[role=status]")))
			if !regexp.MustCompile(`^You already received this on \d{1,2} \w+ \d{4} by Text message \(SMS\)\. We do not send the same content twice\.$`).MatchString(answer) {
				t.Errorf("answer to the stale request = %q", answer)
			}
			testbrowser.CheckAccessibility(t, other, "request of a guide already received")
			time.Sleep(300 * time.Millisecond) // three dispatcher ticks
			if n := len(h.outbox("mail-en")); n != 2 {
				t.Errorf("%d messages in mail-en's outbox, want 2 (the campaign's and one requested copy)", n)
			}
		})

		t.Run("the message's unsubscribe link unsubscribes with one click", func(t *testing.T) {
			testbrowser.Open(t, ctx, unsub, http.StatusOK)
			testbrowser.CheckAccessibility(t, ctx, "unsubscribe page")
			testbrowser.SubmitBy(t, ctx, "button[type=submit]", http.StatusOK)
			ledger, err := h.s.Consents(t.Context(), "mail-en")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range ledger.Current {
				if c.Status == models.ConsentOptedIn {
					t.Errorf("topic %s still opted in after unsubscribing", c.Topic)
				}
			}
		})

		t.Run("a German customer's message opens the page in German", func(t *testing.T) {
			de := testbrowser.Tab(t, browser)
			prefs, _ := h.outboxLinks("mail-de")
			testbrowser.Open(t, de, prefs, http.StatusOK)
			checkPage(t, de, "de", "Ihre Einstellungen")
			testbrowser.CheckAccessibility(t, de, "preference center in German")
			testbrowser.Screenshot(t, de, "preferences-de")
		})
	})
}

// consentTo records ext's consent for topic through the API's source.
func (h *harness) consentTo(ext, topic string, status models.ConsentStatus) {
	h.t.Helper()
	in := &models.ConsentInput{Status: status, Source: models.SourceAPI, Evidence: models.Evidence{Text: "Tell me", FormVersion: "v1"}}
	if _, _, err := h.s.SetConsent(context.Background(), ext, topic, in); err != nil {
		h.t.Fatalf("set consent %s %s: %v", ext, topic, err)
	}
}

// outbox returns the messages the outbox holds for ext, oldest first.
func (h *harness) outbox(ext string) []*models.OutboxMessage {
	h.t.Helper()
	msgs, _, err := h.s.OutboxMessages(context.Background(), models.OutboxFilter{ExternalID: ext}, models.Page{Limit: models.MaxPageLimit})
	if err != nil {
		h.t.Fatalf("outbox of %s: %v", ext, err)
	}
	return msgs
}

// outboxLinks returns the preference and unsubscribe links of the one
// email the outbox holds for ext, as the worker wrote them in its text.
func (h *harness) outboxLinks(ext string) (prefs, unsub string) {
	h.t.Helper()
	msgs := h.outbox(ext)
	if len(msgs) != 1 || msgs[0].Channel != models.ChannelEmail {
		h.t.Fatalf("%d messages in %s's outbox, want the campaign's email", len(msgs), ext)
	}
	links := regexp.MustCompile(regexp.QuoteMeta(h.base)+`/[pu]/[^\s<>"]+`).FindAllString(msgs[0].Text, -1)
	for _, l := range links {
		switch {
		case strings.HasPrefix(l, h.base+"/p/") && prefs == "":
			prefs = l
		case strings.HasPrefix(l, h.base+"/u/") && unsub == "":
			unsub = l
		}
	}
	if prefs == "" || unsub == "" {
		h.t.Fatalf("%s's email has no preference or unsubscribe link on %s:\n%s", ext, h.base, msgs[0].Text)
	}
	return prefs, unsub
}

// preferenceCenterChanges returns the consent changes the ledger holds
// from the preference center for ext, by topic (the last of each).
func (h *harness) preferenceCenterChanges(ext string) map[string]models.ConsentStatus {
	h.t.Helper()
	ledger, err := h.s.Consents(context.Background(), ext)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]models.ConsentStatus{}
	for _, e := range ledger.History {
		if e.Source == models.SourcePreferenceCenter && e.Evidence.FormVersion != "" {
			out[e.Topic] = e.Status
		}
	}
	return out
}

// checkPage checks the language and heading of the page the tab shows.
func checkPage(t *testing.T, ctx context.Context, lang, heading string) {
	t.Helper()
	if got := testbrowser.Run(t, ctx, "lang", chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
		t.Errorf("<html lang> = %q, want %q", got, lang)
	}
	if got := testbrowser.Run(t, ctx, "h1", chromedp.Text(chromedp.CSS("h1"))); got != heading {
		t.Errorf("heading = %q, want %q", got, heading)
	}
}

// berlinDays names today and tomorrow in Berlin ("tue,wed"): a window on
// both days stays open now, even across midnight.
func berlinDays() string {
	zone, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	now := time.Now().In(zone)
	day := func(t time.Time) string { return strings.ToLower(t.Weekday().String()[:3]) }
	return day(now) + "," + day(now.AddDate(0, 0, 1))
}
