package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/candor/candor/models"
)

// createdSource is the answer of creating or rotating a source.
type createdSource struct {
	ID                  int64   `json:"id"`
	Name                string  `json:"name"`
	Secret              string  `json:"secret"`
	PreviousSecretUntil *string `json:"previous_secret_until"`
}

// createSource creates a webhook source and returns it with its secret.
func (a *testAPI) createSource(name string) createdSource {
	a.tb.Helper()
	rec := a.call(models.RoleAdmin, http.MethodPost, "/v1/webhook-sources", map[string]any{"name": name})
	wantStatus(a.tb, rec, http.StatusCreated)
	return decodeBody[createdSource](a.tb, rec)
}

func TestWebhookSourcesAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		var src createdSource

		t.Run("creating a source shows its secret once and never caches it", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPost, "/v1/webhook-sources", map[string]any{"name": "hubspot"})
			wantStatus(t, rec, http.StatusCreated)
			src = decodeBody[createdSource](t, rec)
			if !strings.HasPrefix(src.Secret, "whsec_") || rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("secret %q, Cache-Control %q", src.Secret, rec.Header().Get("Cache-Control"))
			}
			if loc := rec.Header().Get("Location"); loc != "/v1/webhook-sources/"+strconv.FormatInt(src.ID, 10) {
				t.Errorf("Location = %q", loc)
			}
		})

		t.Run("reading sources never shows a secret", func(t *testing.T) {
			for _, path := range []string{"/v1/webhook-sources", "/v1/webhook-sources/" + strconv.FormatInt(src.ID, 10)} {
				rec := a.call(models.RoleViewer, http.MethodGet, path, nil)
				wantStatus(t, rec, http.StatusOK)
				if body := rec.Body.String(); strings.Contains(body, "secret\"") || strings.Contains(body, "whsec_") || !strings.Contains(body, "hubspot") {
					t.Errorf("GET %s = %s", path, body)
				}
			}
		})

		t.Run("bad input is a precise problem", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, "/v1/webhook-sources", map[string]any{"name": ""}), 422, "/name required")
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, "/v1/webhook-sources", map[string]any{"name": "hubspot"}), 409)
			path := "/v1/webhook-sources/" + strconv.FormatInt(src.ID, 10) + "/rotate"
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, path, map[string]any{"overlap_seconds": -1}), 422, "/overlap_seconds range")
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, path, map[string]any{"overlap_seconds": 604801}), 422, "/overlap_seconds range")
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/webhook-sources/"+strconv.FormatInt(src.ID, 10)+"/events?status=lost", nil), 422, "/status enum")
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/webhook-sources/abc", nil), 404)
		})

		t.Run("rotating returns a new secret and the end of the overlap", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPost, "/v1/webhook-sources/"+strconv.FormatInt(src.ID, 10)+"/rotate", map[string]any{})
			wantStatus(t, rec, http.StatusOK)
			rotated := decodeBody[createdSource](t, rec)
			if rotated.Secret == src.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.PreviousSecretUntil == nil {
				t.Errorf("rotated = %+v", rotated)
			}
		})

		t.Run("a deleted source is gone", func(t *testing.T) {
			path := "/v1/webhook-sources/" + strconv.FormatInt(src.ID, 10)
			wantStatus(t, a.call(models.RoleAdmin, http.MethodDelete, path, nil), http.StatusNoContent)
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, path, nil), 404)
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, path+"/events", nil), 404)
			wantProblem(t, a.call(models.RoleAdmin, http.MethodDelete, path, nil), 404)
		})
	})
}
