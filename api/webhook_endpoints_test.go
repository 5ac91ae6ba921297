package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// createdEndpoint is the answer of creating an endpoint.
type createdEndpoint struct {
	ID     int64    `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Status string   `json:"status"`
	Secret string   `json:"secret"`
}

func TestWebhookEndpointsAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		const endpoints = "/v1/webhook-endpoints"
		var ep createdEndpoint
		path := func(suffix string) string { return endpoints + "/" + strconv.FormatInt(ep.ID, 10) + suffix }

		t.Run("creating an endpoint shows its secret once and never caches it", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPost, endpoints, map[string]any{
				"url": "https://93.184.216.34/hooks/candor", "events": []string{"consent.changed", "delivery.sent"}, "description": "CRM"})
			wantStatus(t, rec, http.StatusCreated)
			ep = decodeBody[createdEndpoint](t, rec)
			if !strings.HasPrefix(ep.Secret, "whsec_") || rec.Header().Get("Cache-Control") != "no-store" || ep.Status != "enabled" {
				t.Errorf("endpoint %+v, Cache-Control %q", ep, rec.Header().Get("Cache-Control"))
			}
			if loc := rec.Header().Get("Location"); loc != path("") {
				t.Errorf("Location = %q", loc)
			}
		})

		t.Run("reading endpoints never shows a secret", func(t *testing.T) {
			for _, p := range []string{endpoints, path("")} {
				rec := a.call(models.RoleViewer, http.MethodGet, p, nil)
				wantStatus(t, rec, http.StatusOK)
				if body := rec.Body.String(); strings.Contains(body, "secret\"") || strings.Contains(body, "whsec_") || !strings.Contains(body, "93.184.216.34") {
					t.Errorf("GET %s = %s", p, body)
				}
			}
		})

		t.Run("bad input is a precise problem", func(t *testing.T) {
			for _, tt := range []struct {
				name string
				body map[string]any
				want []string
			}{
				{"a missing url", map[string]any{"events": []string{"*"}}, []string{"/url required"}},
				{"a url that is not absolute", map[string]any{"url": "crm/hooks", "events": []string{"*"}}, []string{"/url url"}},
				{"a url of another scheme", map[string]any{"url": "ftp://crm.example.com/x", "events": []string{"*"}}, []string{"/url scheme"}},
				{"plain http without the allow setting", map[string]any{"url": "http://93.184.216.34/x", "events": []string{"*"}}, []string{"/url https"}},
				{"a loopback address", map[string]any{"url": "https://127.0.0.1/x", "events": []string{"*"}}, []string{"/url public_address"}},
				{"the metadata address", map[string]any{"url": "https://169.254.169.254/latest", "events": []string{"*"}}, []string{"/url public_address"}},
				{"a private address", map[string]any{"url": "https://10.1.2.3/x", "events": []string{"*"}}, []string{"/url public_address"}},
				{"localhost by name", map[string]any{"url": "https://localhost:8443/x", "events": []string{"*"}}, []string{"/url public_address"}},
				{"credentials in the url", map[string]any{"url": "https://u:p@93.184.216.34/x", "events": []string{"*"}}, []string{"/url no_credentials"}},
				{"no event types", map[string]any{"url": "https://93.184.216.34/x", "events": []string{}}, []string{"/events required"}},
				{"an unknown event type", map[string]any{"url": "https://93.184.216.34/x", "events": []string{"consent.changed", "customer.teleported"}}, []string{"/events/1 event_type"}},
				{"a repeated event type", map[string]any{"url": "https://93.184.216.34/x", "events": []string{"delivery.sent", "delivery.sent"}}, []string{"/events/1 unique"}},
			} {
				t.Run(tt.name, func(t *testing.T) {
					wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, endpoints, tt.body), 422, tt.want...)
				})
			}
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, endpoints, "{"), 400)
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPatch, path(""), map[string]any{"status": "paused"}), 422, "/status enum")
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPatch, path(""), map[string]any{"url": "http://93.184.216.34/x"}), 422, "/url https")
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, path("/replay"), map[string]any{}), 422, "/ one_of")
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, path("/replay"),
				map[string]any{"since": time.Now().Add(-40 * 24 * time.Hour).UTC().Format(time.RFC3339)}), 422, "/since range")
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, path("/replay"), map[string]any{"event_id": 1 << 40}), 404)
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, endpoints+"/abc", nil), 404)
			wantProblem(t, a.call(models.RoleEditor, http.MethodPost, endpoints, map[string]any{"url": "https://93.184.216.34/x", "events": []string{"*"}}), 403)
		})

		t.Run("a test event is queued for the endpoint and the attempt log starts empty", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPost, path("/test"), nil)
			wantStatus(t, rec, http.StatusAccepted)
			msg := decodeBody[models.TestMessage](t, rec)
			if msg.WebhookID != models.WebhookID(msg.EventID) || msg.EventID <= 0 {
				t.Errorf("test message = %+v", msg)
			}
			rec = a.call(models.RoleViewer, http.MethodGet, path("/attempts"), nil)
			wantStatus(t, rec, http.StatusOK)
			if body := rec.Body.String(); !strings.Contains(body, `"items":[]`) {
				t.Errorf("attempts = %s", body)
			}
		})

		t.Run("a replay since a time counts the messages queued again", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPost, path("/replay"),
				map[string]any{"since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
			wantStatus(t, rec, http.StatusAccepted)
			if got := decodeBody[models.ReplayResult](t, rec); got.Replayed != 0 {
				t.Errorf("replayed %d, want 0 (no subscribed event was written)", got.Replayed)
			}
		})

		t.Run("disabling and enabling through PATCH", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPatch, path(""), map[string]any{"status": "disabled", "events": []string{"*"}})
			wantStatus(t, rec, http.StatusOK)
			got := decodeBody[models.WebhookEndpoint](t, rec)
			if got.Status != models.EndpointDisabled || got.DisabledReason == "" || len(got.Events) != 1 || got.Events[0] != "*" {
				t.Errorf("disabled endpoint = %+v", got)
			}
			rec = a.call(models.RoleAdmin, http.MethodPatch, path(""), map[string]any{"status": "enabled"})
			wantStatus(t, rec, http.StatusOK)
			if got := decodeBody[models.WebhookEndpoint](t, rec); got.Status != models.EndpointEnabled || got.DisabledReason != "" {
				t.Errorf("enabled endpoint = %+v", got)
			}
		})

		t.Run("a deleted endpoint is gone", func(t *testing.T) {
			wantStatus(t, a.call(models.RoleAdmin, http.MethodDelete, path(""), nil), http.StatusNoContent)
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, path(""), nil), 404)
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, path("/attempts"), nil), 404)
			wantProblem(t, a.call(models.RoleAdmin, http.MethodDelete, path(""), nil), 404)
		})
	})
}
