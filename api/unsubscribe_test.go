package api

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// unsubscribePath returns the path of the customer's unsubscribe link.
func (a *testAPI) unsubscribePath(externalID string) string {
	a.tb.Helper()
	rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/"+externalID+"/links", nil)
	wantStatus(a.tb, rec, http.StatusOK)
	l := decodeBody[links](a.tb, rec)
	u, err := url.Parse(l.UnsubscribeURL)
	if err != nil || u.Host != "candor.example" || !strings.HasPrefix(u.Path, "/u/") {
		a.tb.Fatalf("unsubscribe_url = %q", l.UnsubscribeURL)
	}
	if p, err := url.Parse(l.PreferencesURL); err != nil || !strings.HasPrefix(p.Path, "/p/") {
		a.tb.Fatalf("preferences_url = %q", l.PreferencesURL)
	}
	return u.Path
}

// oneClick posts the RFC 8058 form to path.
func (a *testAPI) oneClick(path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return a.serve(req)
}

// history returns the customer's consent events.
func (a *testAPI) history(externalID string) []models.ConsentEvent {
	a.tb.Helper()
	rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/"+externalID+"/consents", nil)
	wantStatus(a.tb, rec, http.StatusOK)
	return decodeBody[models.ConsentLedger](a.tb, rec).History
}

func TestOneClickUnsubscribe(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/product-roadmap",
			map[string]any{"status": "opted_in"}), http.StatusOK)
		path := a.unsubscribePath("crm-1")

		t.Run("the confirmation page changes nothing", func(t *testing.T) {
			rec := a.serve(httptest.NewRequest(http.MethodGet, path, nil))
			wantStatus(t, rec, http.StatusOK)
			body := rec.Body.String()
			for _, want := range []string{`method="post"`, `action="` + strings.TrimPrefix(path, "/u/") + `"`, `name="List-Unsubscribe" value="One-Click"`} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, body)
				}
			}
			if strings.Contains(body, "<script") {
				t.Error("the page uses JavaScript")
			}
			for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8"} {
				if got := rec.Header().Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if n := len(a.history("crm-1")); n != 1 {
				t.Errorf("GET wrote consent: %d events, want 1", n)
			}
		})
		t.Run("the one-click POST opts out of every topic", func(t *testing.T) {
			rec := a.oneClick(path, "List-Unsubscribe=One-Click")
			wantStatus(t, rec, http.StatusOK)
			if !strings.Contains(rec.Body.String(), "You are unsubscribed") {
				t.Errorf("page: %s", rec.Body.String())
			}
			rec = a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1/consents", nil)
			ledger := decodeBody[models.ConsentLedger](t, rec)
			for _, c := range ledger.Current {
				if c.Status != models.ConsentOptedOut || c.Source != models.SourceOneClick {
					t.Errorf("topic %s: %s from %s, want opted_out from one_click", c.Topic, c.Status, c.Source)
				}
			}
			if !ledger.Chain.Verified || len(ledger.History) != 1+len(models.DefaultTopics) {
				t.Errorf("chain %+v with %d events", ledger.Chain, len(ledger.History))
			}
		})
		t.Run("a second POST changes nothing", func(t *testing.T) {
			before := len(a.history("crm-1"))
			rec := a.oneClick(path, "List-Unsubscribe=One-Click")
			wantStatus(t, rec, http.StatusOK)
			if !strings.Contains(rec.Body.String(), "already unsubscribed") {
				t.Errorf("page: %s", rec.Body.String())
			}
			if after := len(a.history("crm-1")); after != before {
				t.Errorf("second POST wrote %d events", after-before)
			}
		})
	})
}

func TestOneClickUnsubscribeAcceptsMultipart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		if err := w.WriteField("List-Unsubscribe", "One-Click"); err != nil {
			t.Fatal(err)
		}
		w.Close()
		req := httptest.NewRequest(http.MethodPost, a.unsubscribePath("crm-1"), &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		wantStatus(t, a.serve(req), http.StatusOK)
		if n := len(a.history("crm-1")); n != len(models.DefaultTopics) {
			t.Errorf("%d consent events, want one per topic", n)
		}
	})
}

func TestOneClickUnsubscribeRejectsBadRequests(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		a.putCustomer("crm-erased")
		good := a.unsubscribePath("crm-1")
		erased := a.unsubscribePath("crm-erased")
		wantStatus(t, a.call(models.RoleEditor, http.MethodDelete, "/v1/customers/crm-erased", nil), http.StatusNoContent)
		c, err := a.store.Customer(t.Context(), "crm-1")
		if err != nil {
			t.Fatal(err)
		}
		preferences := "/u/" + a.keys.CustomerToken(secrets.PurposePreferences, c.ID, 0)
		tampered := good[:len(good)-2] + "AA"
		if tampered == good {
			tampered = good[:len(good)-2] + "BB"
		}
		tests := []struct {
			name       string
			method     string
			path       string
			body       string
			wantStatus int
		}{
			{"a forged token is not found", http.MethodPost, tampered, "List-Unsubscribe=One-Click", 404},
			{"a forged token shows no page", http.MethodGet, tampered, "", 404},
			{"garbage is not a token", http.MethodGet, "/u/not-a-token", "", 404},
			{"a preferences token does not unsubscribe", http.MethodPost, preferences, "List-Unsubscribe=One-Click", 404},
			{"an erased customer's link is not found", http.MethodPost, erased, "List-Unsubscribe=One-Click", 404},
			{"a POST without the one-click field is rejected", http.MethodPost, good, "unsubscribe=yes", 400},
			{"a POST with another one-click value is rejected", http.MethodPost, good, "List-Unsubscribe=Yes", 400},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec := a.serve(req)
				wantStatus(t, rec, tt.wantStatus)
				if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("Content-Type = %q, want an HTML page", ct)
				}
			})
		}
		if n := len(a.history("crm-1")); n != 0 {
			t.Errorf("rejected requests recorded %d consent events", n)
		}
	})
}
