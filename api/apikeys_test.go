package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/candor/candor/models"
)

func TestAPIKeysLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		rec := a.call(models.RoleAdmin, http.MethodPost, "/v1/api-keys", map[string]any{"name": "crm sync", "role": "editor"})
		wantStatus(t, rec, http.StatusCreated)
		created := decodeBody[createdAPIKey](t, rec)
		if !strings.HasPrefix(created.Key, "cnd_") || created.APIKey == nil || created.APIKey.Role != models.RoleEditor ||
			!strings.HasPrefix(created.Key, created.APIKey.Prefix) {
			t.Fatalf("created = %+v", created)
		}

		t.Run("the new key works for its role", func(t *testing.T) {
			wantStatus(t, a.callWithKey(created.Key, http.MethodPut, "/v1/customers/crm-1", validCustomer("crm-1")), http.StatusCreated)
		})
		t.Run("the listing never shows a key", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodGet, "/v1/api-keys", nil)
			wantStatus(t, rec, http.StatusOK)
			if strings.Contains(rec.Body.String(), created.Key) {
				t.Error("the listing contains a plain key")
			}
			if n := len(decodeBody[list[models.APIKey]](t, rec).Items); n != 4 {
				t.Errorf("%d keys listed, want 4", n)
			}
		})
		t.Run("a revoked key is refused", func(t *testing.T) {
			path := "/v1/api-keys/" + strconv.FormatInt(created.APIKey.ID, 10)
			wantStatus(t, a.call(models.RoleAdmin, http.MethodDelete, path, nil), http.StatusNoContent)
			wantProblem(t, a.callWithKey(created.Key, http.MethodGet, "/v1/customers/crm-1", nil), http.StatusUnauthorized)
		})
	})
}

func TestAPIKeysRejectBadInput(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantFields []string
	}{
		{"an unknown role is rejected", http.MethodPost, "/v1/api-keys", map[string]any{"name": "x", "role": "root"}, 422, []string{"/role enum"}},
		{"a missing name is rejected", http.MethodPost, "/v1/api-keys", map[string]any{"role": "viewer"}, 422, []string{"/name length"}},
		{"a client cannot choose the key", http.MethodPost, "/v1/api-keys", map[string]any{"name": "x", "role": "viewer", "key": "cnd_mine"}, 422, []string{"/key unknown_field"}},
		{"a non-numeric id is not found", http.MethodDelete, "/v1/api-keys/abc", nil, 404, nil},
		{"an unknown id is not found", http.MethodDelete, "/v1/api-keys/999999", nil, 404, nil},
	}
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, a.call(models.RoleAdmin, tt.method, tt.path, tt.body), tt.wantStatus, tt.wantFields...)
			})
		}
	})
}
