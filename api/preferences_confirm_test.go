package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/candor/candor/models"
)

// doiTopic makes technology-alternatives a double opt-in topic through
// the API.
func (a *testAPI) doubleOptIn(topic string) {
	a.tb.Helper()
	rec := a.call(models.RoleAdmin, http.MethodPatch, "/v1/topics/"+topic, map[string]any{"double_opt_in": true})
	wantStatus(a.tb, rec, http.StatusOK)
	if got := decodeBody[models.Topic](a.tb, rec); !got.DoubleOptIn {
		a.tb.Fatalf("topic %s after PATCH: %+v", topic, got)
	}
}

// confirmLink is the path and query of the link a confirmation message
// carries for ext's pending consent on topic (as worker.NewConfirmLinks
// builds it).
func (a *testAPI) confirmLink(ext, topic string) string {
	a.tb.Helper()
	cust, err := a.store.Customer(a.tb.Context(), ext)
	if err != nil {
		a.tb.Fatal(err)
	}
	p, err := a.store.PendingConsent(a.tb.Context(), cust.ID, topic)
	if err != nil {
		a.tb.Fatalf("pending consent of %s: %v", ext, err)
	}
	return a.preferencesPath(ext) + "/confirm/" + topic + "?code=" + url.QueryEscape(a.keys.ConfirmationCode(cust.ID, topic, p.ConsentSeq))
}

// consentOf returns ext's current consent on topic.
func (a *testAPI) consentOf(ext, topic string) models.Consent {
	a.tb.Helper()
	rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/"+ext+"/consents", nil)
	wantStatus(a.tb, rec, http.StatusOK)
	for _, c := range decodeBody[models.ConsentLedger](a.tb, rec).Current {
		if c.Topic == topic {
			return c
		}
	}
	a.tb.Fatalf("no consent on %s", topic)
	return models.Consent{}
}

func TestDoubleOptInThroughTheAPIAndTheLink(t *testing.T) {
	const topic = "technology-alternatives"
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.doubleOptIn(topic)
		a.putCustomer("crm-1")

		t.Run("an opt-in through the API answers pending", func(t *testing.T) {
			rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/"+topic, map[string]any{"status": "opted_in"})
			wantStatus(t, rec, http.StatusOK)
			got := decodeBody[struct {
				Consent models.Consent `json:"consent"`
				Changed bool           `json:"changed"`
			}](t, rec)
			if got.Consent.Status != models.ConsentPending || !got.Changed {
				t.Errorf("answer = %+v, want pending and changed", got)
			}
		})
		t.Run("the preference center says it waits for a confirmation and keeps it ticked", func(t *testing.T) {
			p := a.getPage(a.preferencesPath("crm-1"), http.StatusOK)
			if !strings.Contains(text(p.doc), "Waiting for your confirmation.") {
				t.Errorf("the page does not say so:\n%s", text(p.doc))
			}
			if f := p.form(""); !contains(f.values["topic"], topic) {
				t.Errorf("the pending topic is not ticked: %v", f.values)
			}
		})
		link := a.confirmLink("crm-1", topic)
		t.Run("a link with another code is not valid and changes nothing", func(t *testing.T) {
			bad := a.preferencesPath("crm-1") + "/confirm/" + topic + "?code=AAAAAAAAAAAAAAAAAAAAAA"
			p := a.getPage(bad, http.StatusNotFound)
			if !strings.Contains(text(p.doc), "This confirmation link is not valid") {
				t.Errorf("page:\n%s", text(p.doc))
			}
		})
		t.Run("opening the link asks first and changes nothing", func(t *testing.T) {
			p := a.getPage(link, http.StatusOK)
			if !strings.Contains(text(p.doc), "Yes, send me messages about") {
				t.Errorf("page:\n%s", text(p.doc))
			}
			if got := a.consentOf("crm-1", topic); got.Status != models.ConsentPending {
				t.Errorf("consent = %s after a GET, want pending", got.Status)
			}
		})
		t.Run("the button confirms through the ledger, and pressing it again changes nothing", func(t *testing.T) {
			u, _ := url.Parse(link)
			f := a.getPage(link, http.StatusOK).form(topic)
			f.action = u.Path
			for range 2 {
				rec := a.submit(f)
				wantStatus(t, rec, http.StatusOK)
				if body := text(parsePage(t, f.action, rec).doc); !strings.Contains(body, "You confirmed that you want messages about") {
					t.Errorf("answer:\n%s", body)
				}
			}
			got := a.consentOf("crm-1", topic)
			if got.Status != models.ConsentOptedIn || got.Source != models.SourceDoubleOptIn {
				t.Errorf("consent = %+v, want opted_in by double_opt_in", got)
			}
			rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1/consents", nil)
			if l := decodeBody[models.ConsentLedger](t, rec); !l.Chain.Verified || countSource(l.History, models.SourceDoubleOptIn) != 1 {
				t.Errorf("ledger: chain %+v, %d double_opt_in events; want verified and 1", l.Chain, countSource(l.History, models.SourceDoubleOptIn))
			}
		})
		t.Run("a German customer reads why a confirmation link is not valid in German", func(t *testing.T) {
			cust := validCustomer("crm-de")
			cust["locale"] = "de-AT"
			wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-de", cust), http.StatusCreated)
			p := a.getPage(a.preferencesPath("crm-de")+"/confirm/"+topic+"?code=AAAAAAAAAAAAAAAAAAAAAA", http.StatusNotFound)
			if body := text(p.doc); !strings.Contains(body, "Dieser Bestätigungslink ist ungültig.") || strings.Contains(body, "This confirmation link") {
				t.Errorf("page:\n%s", body)
			}
		})
		t.Run("ticking the topic on the preference center asks for a confirmation too", func(t *testing.T) {
			a.putCustomer("crm-2")
			p := a.getPage(a.preferencesPath("crm-2"), http.StatusOK)
			f := p.form("")
			f.values.Add("topic", topic)
			rec := a.submit(f)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("POST preferences = %d: %s", rec.Code, rec.Body.String())
			}
			if got := a.consentOf("crm-2", topic); got.Status != models.ConsentPending || got.Source != models.SourcePreferenceCenter {
				t.Errorf("consent = %+v, want pending from the preference center", got)
			}
		})
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func countSource(events []models.ConsentEvent, src models.ConsentSource) int {
	n := 0
	for _, e := range events {
		if e.Source == src {
			n++
		}
	}
	return n
}
