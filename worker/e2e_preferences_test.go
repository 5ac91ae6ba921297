package worker_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/candor/candor/api"
	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/models"
	"github.com/candor/candor/preferences"
	"github.com/candor/candor/worker"
)

// TestSentMessageLeadsToThePreferenceCenter follows the links of a
// message the worker really sent: its preference link opens the page,
// which lists the message and shows it again; its one-click unsubscribe
// link opts the customer out.
func TestSentMessageLeadsToThePreferenceCenter(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		h := newHarness(t, 500)
		content := h.content("Pay by transfer", nil)
		h.customer("hook-1", "all", models.ChannelWebhook, "Europe/London", nil)
		camp := h.launch(content, "all")
		h.start()
		eventually(t, "the campaign completed", func() bool { return h.campaignState(camp.ID) == models.CampaignCompleted })
		arrivals := h.hook.Arrivals()
		if len(arrivals) != 1 {
			t.Fatalf("%d webhook messages, want 1", len(arrivals))
		}
		var msg struct {
			DeliveryID     int64  `json:"delivery_id"`
			UnsubscribeURL string `json:"unsubscribe_url"`
			PreferencesURL string `json:"preferences_url"`
		}
		if err := json.Unmarshal(arrivals[0].Body, &msg); err != nil {
			t.Fatal(err)
		}
		handler, err := api.New(api.Options{Store: h.s, Keys: h.keys, PublicURL: publicURL,
			Campaigns:   campaigns.NewService(h.s, campaigns.NewPlanner(models.PlanSettings{Channels: models.Channels})),
			Preferences: preferences.New(h.s, models.Channels, preferences.Links(worker.CustomerLinks(h.keys, publicURL)), h.planner, h.keys),
			Reports:     report.NewService(h.s, models.PlanSettings{})})
		if err != nil {
			t.Fatal(err)
		}
		get := func(t *testing.T, rawURL string) (int, string) {
			t.Helper()
			u, err := url.Parse(rawURL)
			if err != nil || !strings.HasPrefix(rawURL, publicURL+"/") {
				t.Fatalf("link %q is not on the public URL %s", rawURL, publicURL)
			}
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.Path, nil))
			return rec.Code, rec.Body.String()
		}
		messageURL := msg.PreferencesURL + "/messages/" + itoa(msg.DeliveryID)

		t.Run("the message's preference link opens the page, which lists the message", func(t *testing.T) {
			code, body := get(t, msg.PreferencesURL)
			if code != http.StatusOK || !strings.Contains(body, `href="`+messageURL+`"`) || !strings.Contains(body, "Pay by transfer") {
				t.Errorf("GET preference link = %d, want the page linking to %s:\n%s", code, messageURL, body)
			}
		})
		t.Run("the message can be read again", func(t *testing.T) {
			code, body := get(t, messageURL)
			if code != http.StatusOK || !strings.Contains(body, "Hello Customer hook-1.") {
				t.Errorf("GET message = %d:\n%s", code, body)
			}
		})
		t.Run("another delivery id is not found", func(t *testing.T) {
			if code, _ := get(t, msg.PreferencesURL+"/messages/"+itoa(msg.DeliveryID+1)); code != http.StatusNotFound {
				t.Errorf("GET another message = %d, want 404", code)
			}
		})
		t.Run("the message's unsubscribe link unsubscribes with one click", func(t *testing.T) {
			u, _ := url.Parse(msg.UnsubscribeURL)
			req := httptest.NewRequest(http.MethodPost, u.Path, strings.NewReader("List-Unsubscribe=One-Click"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			ledger, err := h.s.Consents(t.Context(), "hook-1")
			if rec.Code != http.StatusOK || err != nil {
				t.Fatalf("POST unsubscribe = %d, consents %v", rec.Code, err)
			}
			for _, c := range ledger.Current {
				if c.Status != models.ConsentOptedOut {
					t.Errorf("topic %s is %s after one-click unsubscribe", c.Topic, c.Status)
				}
			}
		})
	})
}
