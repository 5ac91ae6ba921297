package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/candor/candor/models"
)

// TestInputPostgreSQLCannotStoreIsRejectedOnEveryBackend covers text that
// SQLite stores but PostgreSQL refuses (NUL characters, invalid UTF-8):
// it must be a precise 4xx on both backends, never a 500.
func TestInputPostgreSQLCannotStoreIsRejectedOnEveryBackend(t *testing.T) {
	nulCustomer := validCustomer("nul-1")
	nulCustomer["attributes"] = map[string]any{"k": []any{"a\u0000b"}}
	tests := []struct {
		name       string
		role       models.Role
		method     string
		path       string
		body       any
		wantStatus int
		wantFields []string
	}{
		{"a NUL in an attribute value is a 422", models.RoleEditor, http.MethodPut, "/v1/customers/nul-1", nulCustomer,
			422, []string{"/attributes/k/0 text"}},
		{"a NUL in consent evidence is a 422", models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/pricing-guides",
			map[string]any{"status": "opted_in", "evidence": map[string]any{"text": "a\u0000b"}}, 422, []string{"/evidence/text text"}},
		{"a NUL in a topic name is a 422", models.RoleAdmin, http.MethodPost, "/v1/topics",
			map[string]any{"key": "tn", "name": "T\u0000"}, 422, []string{"/name text"}},
		{"a NUL in an API key name is a 422", models.RoleAdmin, http.MethodPost, "/v1/api-keys",
			map[string]any{"name": "a\u0000b", "role": "viewer"}, 422, []string{"/name text"}},
		{"a topic key with a NUL in the path is not found", models.RoleViewer, http.MethodGet, "/v1/topics/a%00", nil, 404, nil},
		{"a topic key of invalid UTF-8 is not found", models.RoleViewer, http.MethodGet, "/v1/topics/%ff", nil, 404, nil},
		{"patching an impossible topic key is not found", models.RoleAdmin, http.MethodPatch, "/v1/topics/%ff",
			map[string]any{"name": "x"}, 404, nil},
		{"deleting an impossible topic key is not found", models.RoleAdmin, http.MethodDelete, "/v1/topics/%00", nil, 404, nil},
		{"consent for an impossible topic key is not found", models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/a%00",
			map[string]any{"status": "opted_in"}, 404, nil},
		{"a topics cursor of raw bytes is a 422", models.RoleViewer, http.MethodGet,
			"/v1/topics?cursor=" + base64.RawURLEncoding.EncodeToString([]byte{0xff, 0xfe}), nil, 422, []string{"cursor cursor"}},
		{"a topics cursor decoding to NUL is a 422", models.RoleViewer, http.MethodGet, "/v1/topics?cursor=AA", nil, 422, []string{"cursor cursor"}},
	}
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, a.call(tt.role, tt.method, tt.path, tt.body), tt.wantStatus, tt.wantFields...)
			})
		}
	})
}

func TestBatchWithAnUnstorableItemStillWritesTheOthers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		bad := validCustomer("bn2")
		bad["attributes"] = map[string]any{"k": "a\u0000b"}
		body := fmt.Sprintf(`{"customers":[%s,%s,%s]}`, mustJSON(t, validCustomer("bn1")), mustJSON(t, bad), mustJSON(t, validCustomer("bn3")))
		rec := a.call(models.RoleEditor, http.MethodPost, "/v1/customers/batch", body)
		wantStatus(t, rec, http.StatusOK)
		got := decodeBody[batchResponse](t, rec)
		if got.Created != 2 || got.Failed != 1 || got.Results[1].Status != 422 {
			t.Fatalf("batch = %+v, want bn1 and bn3 created and bn2 a 422", got)
		}
		wantStatus(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/bn3", nil), http.StatusOK)
	})
}

func TestMetricsLabelsMadeUpMethodsAsOther(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, m := range []string{"GET1", "BREW", "XYZZY"} {
			a.serve(httptestRequest(m, "/healthz"))
		}
		body := a.serve(httptestRequest(http.MethodGet, "/metrics")).Body.String()
		if strings.Contains(body, `method="BREW"`) || !strings.Contains(body, `method="OTHER"`) {
			t.Errorf("made-up methods are not folded into OTHER:\n%s", grepLines(body, "candor_http_requests_total"))
		}
	})
}

func httptestRequest(method, path string) *http.Request {
	req, _ := http.NewRequest(method, path, nil)
	req.RequestURI = path
	return req
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSegmentAndContentTextPostgreSQLCannotStoreIsA422 extends the rule
// above to segments and content: every text they store or query with is
// checked before it reaches the database.
func TestSegmentAndContentTextPostgreSQLCannotStoreIsA422(t *testing.T) {
	rule := func(value any) map[string]any {
		return map[string]any{"field": "attributes.plan", "op": "eq", "value": value}
	}
	content := func(change func(b map[string]any)) map[string]any {
		b := contentBody(models.KindEducation, 0)
		change(b)
		return b
	}
	comparison := func(change func(b map[string]any)) map[string]any {
		b := contentBody(models.KindCompetitorComparison, 0)
		change(b)
		return b
	}
	pricing := func(change func(b map[string]any)) map[string]any {
		b := contentBody(models.KindPricingGuide, 0)
		change(b)
		return b
	}
	variant := func(b map[string]any) map[string]any { return b["variants"].([]map[string]any)[0] }
	tests := []struct {
		name       string
		method     string
		path       string
		body       any
		wantFields []string
	}{
		{"a NUL in a segment name is a 422", http.MethodPost, "/v1/segments",
			map[string]any{"name": "a\u0000", "rule": rule("pro")}, []string{"/name text"}},
		{"a NUL in a segment description is a 422", http.MethodPost, "/v1/segments",
			map[string]any{"name": "a", "description": "\u0000", "rule": rule("pro")}, []string{"/description text"}},
		{"a NUL in a rule value is a 422 naming the value", http.MethodPost, "/v1/segments",
			map[string]any{"name": "a", "rule": rule("pro\u0000")}, []string{"/rule/value text"}},
		{"a NUL in a listed rule value is a 422 naming the item", http.MethodPost, "/v1/segments",
			map[string]any{"name": "a", "rule": map[string]any{"field": "locale", "op": "in", "value": []any{"de", "\u0000"}}},
			[]string{"/rule/value/1 text"}},
		{"a bad name is reported together with a bad rule", http.MethodPost, "/v1/segments",
			map[string]any{"name": "\u0000", "rule": rule("\u0000")}, []string{"/name text", "/rule/value text"}},
		{"a rule of invalid UTF-8 is a 422", http.MethodPost, "/v1/segments",
			`{"name":"a","rule":{"field":"attributes.plan","op":"eq","value":"` + "\xff" + `"}}`, []string{"/rule/value text"}},
		{"a NUL in a previewed rule is a 422", http.MethodPost, "/v1/segments/preview",
			map[string]any{"rule": rule("\u0000")}, []string{"/rule/value text"}},
		{"a NUL in a content title is a 422", http.MethodPost, "/v1/content",
			content(func(b map[string]any) { b["title"] = "T\u0000" }), []string{"/title text"}},
		{"a NUL in a content summary is a 422", http.MethodPost, "/v1/content",
			content(func(b map[string]any) { b["summary"] = "\u0000" }), []string{"/summary text"}},
		{"a NUL in a variant's subject, text and html is a 422 for each", http.MethodPost, "/v1/content",
			content(func(b map[string]any) {
				v := variant(b)
				v["subject"], v["text"], v["html"] = "S\u0000", "T\u0000", "<p>\u0000</p>"
			}), []string{"/variants/0/subject text", "/variants/0/text text", "/variants/0/html text"}},
		{"a NUL in a source is a 422", http.MethodPost, "/v1/content",
			content(func(b map[string]any) {
				b["sources"] = []map[string]any{{"title": "\u0000", "url": "https://example.org/\u0000"}}
			}), []string{"/sources/0/title text", "/sources/0/url text"}},
		{"a NUL in a competitor and a point is a 422", http.MethodPost, "/v1/content",
			comparison(func(b map[string]any) {
				b["competitors"] = []string{"Acme\u0000"}
				b["points"].([]map[string]any)[1]["theirs"] = "\u0000"
			}), []string{"/competitors/0 text", "/points/1/theirs text"}},
		{"a NUL in a price is a 422", http.MethodPost, "/v1/content",
			pricing(func(b map[string]any) {
				pr := b["prices"].([]map[string]any)[0]
				pr["plan"], pr["includes"] = "\u0000", []string{"ok", "\u0000"}
			}), []string{"/prices/0/plan text", "/prices/0/includes/1 text"}},
	}
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, a.call(models.RoleEditor, tt.method, tt.path, tt.body), http.StatusUnprocessableEntity, tt.wantFields...)
			})
		}
		c := a.createContent(models.RoleEditor, contentBody(models.KindEducation, 0))
		path := fmt.Sprintf("/v1/content/%d", c.ID)
		t.Run("a NUL in a content update is a 422", func(t *testing.T) {
			body := content(func(b map[string]any) { variant(b)["text"] = "\u0000" })
			wantProblem(t, a.call(models.RoleEditor, http.MethodPut, path, body), http.StatusUnprocessableEntity, "/variants/0/text text")
		})
		t.Run("a NUL in a rejection reason is a 422", func(t *testing.T) {
			wantStatus(t, a.call(models.RoleEditor, http.MethodPost, path+"/submit", nil), http.StatusOK)
			rec := a.call(models.RoleAdmin, http.MethodPost, path+"/reject", map[string]any{"reason": "no\u0000"})
			wantProblem(t, rec, http.StatusUnprocessableEntity, "/reason text")
		})
	})
}
