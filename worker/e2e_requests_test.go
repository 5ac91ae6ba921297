package worker_test

import (
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/api"
	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/models"
	"github.com/candor/candor/preferences"
	"github.com/candor/candor/worker"
)

// preferenceCenter is the public side of the API over the harness's
// store, with the harness's planner deciding requests.
func (h *harness) preferenceCenter() http.Handler {
	h.t.Helper()
	handler, err := api.New(api.Options{Store: h.s, Keys: h.keys, PublicURL: h.base,
		Campaigns:   campaigns.NewService(h.s, h.planner.(*campaigns.Planner)),
		Preferences: preferences.New(h.s, models.Channels, preferences.Links(worker.CustomerLinks(h.keys, h.base)), h.planner, h.keys),
		Reports:     report.NewService(h.s, models.PlanSettings{})})
	if err != nil {
		h.t.Fatal(err)
	}
	return handler
}

var (
	stateField = regexp.MustCompile(`name="state" value="([^"]*)"`)
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
)

// requestForm opens the customer's page of content and returns the
// path its "send it to me" form posts to, with the form's values.
func (h *harness) requestForm(handler http.Handler, c *models.Customer, content int64) (string, string) {
	h.t.Helper()
	_, prefs := worker.CustomerLinks(h.keys, h.base)(c)
	u, err := url.Parse(prefs)
	if err != nil {
		h.t.Fatal(err)
	}
	page := u.Path + "/content/" + itoa(content)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, page, nil))
	state, csrf := stateField.FindStringSubmatch(rec.Body.String()), csrfField.FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || state == nil || csrf == nil {
		h.t.Fatalf("GET %s = %d without a request form:\n%s", page, rec.Code, rec.Body.String())
	}
	return page + "/request", url.Values{"state": {state[1]}, "csrf": {csrf[1]}}.Encode()
}

// post submits a form as a browser does and returns the answer page.
func (h *harness) post(handler http.Handler, action, form string) string {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, action, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		h.t.Fatalf("POST %s = %d:\n%s", action, rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

// A customer asks for a guide from the preference center: the worker
// sends it through their channel, once, although they submitted twice
// and their own cadence is already used up this week (a request is
// exempt from it, never from channel and window).
func TestRequestedContentArrivesOnceThroughThePreferredChannel(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		first := h.content("Pay by card", nil)
		wanted := h.content("Pay by transfer", nil)
		c := h.customer("mail-1", "all", models.ChannelEmail, "Europe/London", func(in *models.CustomerInput) {
			in.Cadence = &models.Cadence{Max: 1, Per: "7d"}
		})
		camp := h.launch(first, "all")
		h.start()
		eventually(t, "the campaign's message arrived", func() bool { return h.campaignState(camp.ID) == models.CampaignCompleted })
		if n := h.email.Count(); n != 1 {
			t.Fatalf("%d emails after the campaign, want 1", n)
		}

		handler := h.preferenceCenter()
		action, form := h.requestForm(handler, c, wanted)
		h.post(handler, action, form)
		// The running worker may send the guide between the two
		// submissions: the second then finds it received, not asked for.
		// Either way it asks for nothing more (one guide arrives, below).
		if again := h.post(handler, action, form); !strings.Contains(again, "You already asked for this") &&
			!strings.Contains(again, "You already received this") {
			t.Errorf("the second submission's answer says neither that it was asked for nor that it arrived:\n%s", again)
		}
		eventually(t, "the requested guide arrived", func() bool { return h.email.Count() == 2 })
		got := h.email.Arrivals()[1]
		if got.To != "mail-1@example.com" || mail.Header(got.Header).Get("Subject") != "Pay by transfer" {
			t.Errorf("arrival to %s:\n%s", got.To, got.Body)
		}
		eventually(t, "the request was recorded as received by email", func() bool {
			r, err := h.s.ContentReceipt(t.Context(), "mail-1", wanted)
			return err == nil && r.ReceivedAt != nil && r.Channel == models.ChannelEmail
		})
		// The form submitted again once it arrived (a reload) sends nothing.
		if reload := h.post(handler, action, form); !strings.Contains(reload, "You already received this") {
			t.Errorf("the reload's answer does not warn:\n%s", reload)
		}
		time.Sleep(300 * time.Millisecond) // three dispatcher ticks
		if n := h.email.Count(); n != 2 {
			t.Errorf("%d emails, want 2: a copy was sent twice", n)
		}
	})
}
