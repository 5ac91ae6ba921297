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
