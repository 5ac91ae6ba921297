package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestHeadAnswersLikeGetWithoutABody(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/product-roadmap",
			map[string]any{"status": "opted_in"}), http.StatusOK)
		unsubscribe := a.unsubscribePath("crm-1")
		tests := []struct {
			name string
			role models.Role
			path string
			want int
		}{
			{"HEAD /healthz answers 200", public, "/healthz", http.StatusOK},
			{"HEAD /readyz answers 200", public, "/readyz", http.StatusOK},
			{"HEAD /openapi.json answers 200", public, "/openapi.json", http.StatusOK},
			{"HEAD on an unsubscribe link answers 200", public, unsubscribe, http.StatusOK},
			{"HEAD on a forged unsubscribe link answers 404", public, "/u/forged", http.StatusNotFound},
			{"HEAD on a customer with a viewer key answers 200", models.RoleViewer, "/v1/customers/crm-1", http.StatusOK},
			{"HEAD on a customer without a key answers 401", public, "/v1/customers/crm-1", http.StatusUnauthorized},
			{"HEAD on an unknown path answers 404", public, "/nothing-here", http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				historyBefore, eventsBefore := a.history("crm-1"), a.eventTypes()
				get := a.call(tt.role, http.MethodGet, tt.path, nil)
				head := a.call(tt.role, http.MethodHead, tt.path, nil)
				if get.Code != tt.want || head.Code != tt.want {
					t.Fatalf("GET = %d, HEAD = %d, want %d for both", get.Code, head.Code, tt.want)
				}
				if head.Body.Len() != 0 {
					t.Errorf("HEAD sent a body: %q", head.Body.String())
				}
				if get.Body.Len() == 0 {
					t.Error("GET sent no body, so the empty HEAD body proves nothing")
				}
				for _, h := range []string{"Content-Type", "Cache-Control", "WWW-Authenticate", "Referrer-Policy"} {
					if g, hd := get.Header().Get(h), head.Header().Get(h); g != hd {
						t.Errorf("%s: GET %q, HEAD %q", h, g, hd)
					}
				}
				if diff := cmp.Diff(historyBefore, a.history("crm-1")); diff != "" {
					t.Errorf("consent history moved (-before +after):\n%s", diff)
				}
				if diff := cmp.Diff(eventsBefore, a.eventTypes()); diff != "" {
					t.Errorf("outbox moved (-before +after):\n%s", diff)
				}
			})
		}
	})
}

func TestHeadIsNotAOneClickUnsubscribe(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/product-roadmap",
			map[string]any{"status": "opted_in"}), http.StatusOK)
		// A HEAD carrying the one-click form must still be read as a HEAD.
		req := httptest.NewRequest(http.MethodHead, a.unsubscribePath("crm-1"), strings.NewReader("List-Unsubscribe=One-Click"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		wantStatus(t, a.serve(req), http.StatusOK)
		history := a.history("crm-1")
		if len(history) != 1 || history[0].Status != models.ConsentOptedIn {
			t.Errorf("consent history after HEAD = %+v, want the single opt-in", history)
		}
	})
}
