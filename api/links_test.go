package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// linkPaths returns the paths of the customer's current unsubscribe and
// preference links, checking that both are built on the public URL.
func (a *testAPI) linkPaths(externalID string) (unsubscribe, preferences string) {
	a.tb.Helper()
	rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/"+externalID+"/links", nil)
	wantStatus(a.tb, rec, http.StatusOK)
	l := decodeBody[links](a.tb, rec)
	var paths []string
	for _, raw := range []string{l.UnsubscribeURL, l.PreferencesURL} {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Host != "candor.example" {
			a.tb.Fatalf("link %q is not on CANDOR_PUBLIC_URL https://candor.example", raw)
		}
		paths = append(paths, u.Path)
	}
	return paths[0], paths[1]
}

func TestCustomerLinksRevocation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		a.putCustomer("crm-2")
		oldUnsub, oldPrefs := a.linkPaths("crm-1")
		otherUnsub, _ := a.linkPaths("crm-2")
		wantStatus(t, a.call(models.RoleViewer, http.MethodDelete, "/v1/customers/crm-1/links", nil), http.StatusForbidden)
		wantStatus(t, a.call(models.RoleEditor, http.MethodDelete, "/v1/customers/crm-1/links", nil), http.StatusNoContent)
		wantProblem(t, a.call(models.RoleEditor, http.MethodDelete, "/v1/customers/crm-nobody/links", nil), http.StatusNotFound)
		newUnsub, newPrefs := a.linkPaths("crm-1")

		tests := []struct {
			name string
			path string
			want int
		}{
			{"a revoked unsubscribe link is not valid", oldUnsub, http.StatusNotFound},
			{"a revoked preference link is not valid", oldPrefs, http.StatusNotFound},
			{"the unsubscribe link issued after revocation works", newUnsub, http.StatusOK},
			{"the preference link issued after revocation works", newPrefs, http.StatusOK},
			{"another customer's links are untouched", otherUnsub, http.StatusOK},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantStatus(t, a.serve(httptest.NewRequest(http.MethodGet, tt.path, nil)), tt.want)
			})
		}
		t.Run("erasure makes the customer's links invalid", func(t *testing.T) {
			unsub, prefs := a.linkPaths("crm-2")
			wantStatus(t, a.call(models.RoleEditor, http.MethodDelete, "/v1/customers/crm-2", nil), http.StatusNoContent)
			for _, p := range []string{unsub, prefs} {
				wantStatus(t, a.serve(httptest.NewRequest(http.MethodGet, p, nil)), http.StatusNotFound)
			}
		})
	})
}

func TestCustomerLinksAcrossKeyRotation(t *testing.T) {
	const newSecret = "api-test-new-secret-api-test-new-secret-42"
	end := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		cust, err := a.store.Customer(t.Context(), "crm-1")
		if err != nil {
			t.Fatal(err)
		}
		oldToken := a.keys.CustomerToken(secrets.PurposeUnsubscribe, cust.ID, 0)
		tests := []struct {
			name string
			now  time.Time
			want int
		}{
			{"a link signed with the previous key works during the rotation", end.Add(-time.Minute), http.StatusOK},
			{"it stops working when the rotation ends", end, http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rotated, err := secrets.New(newSecret, testSecret)
				if err != nil {
					t.Fatal(err)
				}
				rotated.SetTokenPolicy(secrets.TokenPolicy{PreviousUntil: end, Now: func() time.Time { return tt.now }})
				engine, err := newEngine(Options{Store: a.store, Keys: rotated, PublicURL: "https://candor.example",
					Campaigns: campaigns.NewService(a.store, campaigns.NewPlanner(models.PlanSettings{})), Deliveries: a.store,
					Preferences: testPreferences(a.store, rotated), Reports: report.NewService(a.store, models.PlanSettings{})})
				if err != nil {
					t.Fatal(err)
				}
				rec := httptest.NewRecorder()
				engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/u/"+oldToken, nil))
				wantStatus(t, rec, tt.want)
			})
		}
	})
}

func TestOneClickUnsubscribeLinksToThePreferenceCenter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		unsub, prefs := a.linkPaths("crm-1")
		rec := a.oneClick(unsub, "List-Unsubscribe=One-Click")
		wantStatus(t, rec, http.StatusOK)
		if want := `href="https://candor.example` + prefs + `"`; !strings.Contains(rec.Body.String(), want) {
			t.Errorf("confirmation page lacks %s:\n%s", want, rec.Body.String())
		}
	})
}
