package api

import (
	"net/http"
	"testing"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

func TestConsentLedger(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		path := "/v1/customers/crm-1/consents/pricing-guides"
		steps := []struct {
			name        string
			body        map[string]any
			wantStatus  models.ConsentStatus
			wantChanged bool
		}{
			{"an opt-in is recorded", map[string]any{"status": "opted_in", "source": "crm",
				"evidence": map[string]any{"text": "Send me pricing guides", "form_version": "v3", "ip": "192.0.2.7", "user_agent": "Mozilla/5.0"}},
				models.ConsentOptedIn, true},
			{"repeating the opt-in changes nothing", map[string]any{"status": "opted_in"}, models.ConsentOptedIn, false},
			{"an opt-out is recorded", map[string]any{"status": "opted_out"}, models.ConsentOptedOut, true},
		}
		for _, step := range steps {
			rec := a.call(models.RoleEditor, http.MethodPut, path, step.body)
			wantStatus(t, rec, http.StatusOK)
			got := decodeBody[consentResponse](t, rec)
			if got.Consent == nil || got.Consent.Status != step.wantStatus || got.Changed != step.wantChanged {
				t.Fatalf("%s: got %+v changed=%v, want %s changed=%v", step.name, got.Consent, got.Changed, step.wantStatus, step.wantChanged)
			}
		}

		rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1/consents", nil)
		wantStatus(t, rec, http.StatusOK)
		ledger := decodeBody[models.ConsentLedger](t, rec)
		current := map[string]models.ConsentStatus{}
		for _, c := range ledger.Current {
			current[c.Topic] = c.Status
		}
		wantCurrent := map[string]models.ConsentStatus{
			"pricing-guides": models.ConsentOptedOut, "product-roadmap": models.ConsentNone,
			"competitor-comparisons": models.ConsentNone, "technology-alternatives": models.ConsentNone,
		}
		if diff := cmp.Diff(wantCurrent, current); diff != "" {
			t.Errorf("current (-want +got):\n%s", diff)
		}
		type entry struct {
			Seq      int64
			Status   models.ConsentStatus
			Source   models.ConsentSource
			Evidence models.Evidence
		}
		var history []entry
		for _, e := range ledger.History {
			history = append(history, entry{e.Seq, e.Status, e.Source, e.Evidence})
		}
		wantHistory := []entry{
			{1, models.ConsentOptedIn, models.SourceCRM, models.Evidence{Text: "Send me pricing guides", FormVersion: "v3", IP: "192.0.2.7", UserAgent: "Mozilla/5.0"}},
			{2, models.ConsentOptedOut, models.SourceAPI, models.Evidence{}},
		}
		if diff := cmp.Diff(wantHistory, history); diff != "" {
			t.Errorf("history (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(models.ChainStatus{Verified: true, Length: 2}, ledger.Chain); diff != "" {
			t.Errorf("chain (-want +got):\n%s", diff)
		}
		if ledger.History[1].PrevHash != ledger.History[0].Hash {
			t.Errorf("event 2 does not link to event 1")
		}

		t.Run("an edited row is reported as a broken chain", func(t *testing.T) {
			err := a.store.DB().Exec("UPDATE consent_events SET status = ? WHERE seq = ?", "opted_in", 2).Error
			if err != nil {
				t.Fatal(err)
			}
			rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1/consents", nil)
			wantStatus(t, rec, http.StatusOK)
			chain := decodeBody[models.ConsentLedger](t, rec).Chain
			if chain.Verified || chain.BrokenAt != 2 {
				t.Errorf("chain after tampering = %+v, want broken at seq 2", chain)
			}
		})
	})
}

func TestPutConsentRejectsBadInput(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		body       any
		wantStatus int
		wantFields []string
	}{
		{"a status that is not opted_in or opted_out is rejected", "/v1/customers/crm-1/consents/pricing-guides",
			map[string]any{"status": "pending"}, 422, []string{"/status enum"}},
		{"a source reserved for Candor's own pages is rejected", "/v1/customers/crm-1/consents/pricing-guides",
			map[string]any{"status": "opted_in", "source": "one_click"}, 422, []string{"/source enum"}},
		{"an evidence ip that is not an address is rejected", "/v1/customers/crm-1/consents/pricing-guides",
			map[string]any{"status": "opted_in", "evidence": map[string]any{"ip": "localhost"}}, 422, []string{"/evidence/ip ip_address"}},
		{"an unknown evidence field is rejected", "/v1/customers/crm-1/consents/pricing-guides",
			map[string]any{"status": "opted_in", "evidence": map[string]any{"ip_digest": "x"}}, 422, []string{"/evidence/ip_digest unknown_field"}},
		{"a status of the wrong type is rejected", "/v1/customers/crm-1/consents/pricing-guides",
			map[string]any{"status": true}, 422, []string{"/status type"}},
		{"an unknown topic is not found", "/v1/customers/crm-1/consents/knitting",
			map[string]any{"status": "opted_in"}, 404, nil},
		{"an unknown customer is not found", "/v1/customers/crm-404/consents/pricing-guides",
			map[string]any{"status": "opted_in"}, 404, nil},
		{"malformed JSON is rejected", "/v1/customers/crm-1/consents/pricing-guides", `{"status":`, 400, nil},
	}
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, a.call(models.RoleEditor, http.MethodPut, tt.path, tt.body), tt.wantStatus, tt.wantFields...)
			})
		}
		rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1/consents", nil)
		if n := len(decodeBody[models.ConsentLedger](t, rec).History); n != 0 {
			t.Errorf("rejected requests recorded %d consent events", n)
		}
		wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-404/consents", nil), http.StatusNotFound)
	})
}
