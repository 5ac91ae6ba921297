package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// page body checks shared by both report pages: charts drawn inline with
// an accessible name and description, a table beside each, nothing
// fetched from elsewhere, private headers.
func wantReportPage(t *testing.T, rec *httptest.ResponseRecorder, charts ...string) {
	t.Helper()
	wantStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	if got := rec.Header().Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q: a link's token would leak to the next site", got)
	}
	body := rec.Body.String()
	for _, id := range charts {
		if !strings.Contains(body, `<figure id="`+id+`">`) || !strings.Contains(body, `aria-labelledby="`+id+`-title `+id+`-desc"`) {
			t.Errorf("the page has no accessible chart %q", id)
		}
	}
	if svgs, tables := strings.Count(body, "<svg"), strings.Count(body, "<table"); svgs != len(charts) || tables < svgs {
		t.Errorf("%d charts and %d tables, want %d charts and a table for each", svgs, tables, len(charts))
	}
	for _, external := range []string{"<script", "src=\"http", "href=\"http", "@import"} {
		if strings.Contains(body, external) {
			t.Errorf("the page contains %q: it must need nothing from elsewhere", external)
		}
	}
}

func TestReportPagesDrawChartsWithTables(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		content := a.approvedContent(contentBody(models.KindEducation, 0))
		a.campaignCustomer("in", "main", true, nil)
		a.campaignCustomer("out", "main", false, nil)
		camp := a.createCampaign(content, a.groupSegment("main"))
		wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, fmt.Sprintf("/v1/campaigns/%d/launch", camp.ID), nil), http.StatusOK)

		t.Run("the campaign page draws the funnel, respect, reactions and both clocks", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, fmt.Sprintf("/reports/campaigns/%d", camp.ID), nil)
			wantReportPage(t, rec, "funnel", "respect", "reaction", "utc-hours", "local-hours")
			if body := rec.Body.String(); !strings.Contains(body, "no_consent") {
				t.Errorf("the page does not list the exclusion reason:\n%s", body)
			}
		})
		t.Run("the trust page draws the index, its trend, consent and pressure", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, "/reports/trust", nil)
			wantReportPage(t, rec, "components", "trend", "consent", "pressure")
		})
		t.Run("an unknown campaign is a 404 problem", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/reports/campaigns/987654", nil), http.StatusNotFound)
		})
		t.Run("a bad period is a 422 problem naming it", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/reports/trust?from=soon", nil), http.StatusUnprocessableEntity, "from date")
		})
	})
}

func TestReportPagesNeedAViewerKeyOrASignedLink(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		link := func(body map[string]any) string {
			rec := a.call(models.RoleViewer, http.MethodPost, "/v1/report-links", body)
			wantStatus(t, rec, http.StatusCreated)
			got := decodeBody[models.ReportLink](t, rec)
			if d := time.Until(got.ExpiresAt); d < 50*time.Minute || d > time.Hour {
				t.Errorf("expires in %v, want about an hour", d)
			}
			u, err := url.Parse(got.URL)
			if err != nil || u.Host != "candor.example" {
				t.Fatalf("link %q is not on the public URL", got.URL)
			}
			return u.RequestURI()
		}
		trust := link(map[string]any{"path": "/reports/trust?to=2026-02-01&from=2026-01-01"})
		tests := []struct {
			name, path string
			key        string
			want       int
		}{
			{"no key and no token is refused", "/reports/trust", "", http.StatusUnauthorized},
			{"an unknown key is refused", "/reports/trust", "cnd_unknown", http.StatusUnauthorized},
			{"a viewer's key reads the page", "/reports/trust", a.apiKey[models.RoleViewer], http.StatusOK},
			{"the signed link reads its page without a key", trust, "", http.StatusOK},
			{"the link's token does not open another period", strings.Replace(trust, "2026-01-01", "2025-12-01", 1), "", http.StatusUnauthorized},
			{"the link's token does not open a campaign", "/reports/campaigns/1?" + tokenOf(t, trust), "", http.StatusUnauthorized},
			{"a forged token is refused even with a key", "/reports/trust?token=AAAA", a.apiKey[models.RoleViewer], http.StatusUnauthorized},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rec := a.callWithKey(tt.key, http.MethodGet, tt.path, nil)
				if tt.want == http.StatusOK {
					wantStatus(t, rec, tt.want)
				} else {
					wantProblem(t, rec, tt.want)
				}
			})
		}
		t.Run("an expired link is refused", func(t *testing.T) {
			tok := a.keys.ReportLinkToken("/reports/trust", time.Now().Add(-time.Second))
			wantProblem(t, a.callWithKey("", http.MethodGet, "/reports/trust?token="+tok, nil), http.StatusUnauthorized)
		})
		bad := []struct {
			name  string
			body  map[string]any
			want  int
			rules []string
		}{
			{"a path that is no report page is a 422", map[string]any{"path": "/v1/customers"}, http.StatusUnprocessableEntity, []string{"/path report_page"}},
			{"an absolute URL is a 422", map[string]any{"path": "https://evil.example/reports/trust"}, http.StatusUnprocessableEntity, []string{"/path report_page"}},
			{"a query the page does not take is a 422", map[string]any{"path": "/reports/trust?limit=5"}, http.StatusUnprocessableEntity, []string{"/path report_page"}},
			{"a bad period is a 422 naming its rule", map[string]any{"path": "/reports/trust?from=2026-02-01&to=2026-01-01"}, http.StatusUnprocessableEntity, []string{"/path after_from"}},
			{"a lifetime over a day is a 422", map[string]any{"path": "/reports/trust", "expires_in": 90000}, http.StatusUnprocessableEntity, []string{"/expires_in range"}},
			{"an unknown campaign is a 404", map[string]any{"path": "/reports/campaigns/987654"}, http.StatusNotFound, nil},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, a.call(models.RoleViewer, http.MethodPost, "/v1/report-links", tt.body), tt.want, tt.rules...)
			})
		}
	})
}

func tokenOf(t *testing.T, uri string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	return "token=" + url.QueryEscape(u.Query().Get("token"))
}
