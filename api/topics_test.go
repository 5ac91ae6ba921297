package api

import (
	"net/http"
	"testing"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var ignoreTopicTimes = cmpopts.IgnoreFields(models.Topic{}, "CreatedAt", "UpdatedAt")

func TestTopicsLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		t.Run("the default topics exist and page by key", func(t *testing.T) {
			var keys []string
			path := "/v1/topics?limit=3"
			for range 3 {
				rec := a.call(models.RoleViewer, http.MethodGet, path, nil)
				wantStatus(t, rec, http.StatusOK)
				page := decodeBody[list[models.Topic]](t, rec)
				for _, tp := range page.Items {
					keys = append(keys, tp.Key)
				}
				if page.NextCursor == nil {
					break
				}
				path = "/v1/topics?limit=3&cursor=" + *page.NextCursor
			}
			want := []string{"competitor-comparisons", "pricing-guides", "product-roadmap", "technology-alternatives"}
			if diff := cmp.Diff(want, keys); diff != "" {
				t.Errorf("topic keys (-want +got):\n%s", diff)
			}
		})

		created := models.Topic{Key: "security-advisories", Name: "Security advisories", Description: "Fixes you should apply."}
		t.Run("an admin creates a topic", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPost, "/v1/topics", map[string]any{"key": created.Key, "name": created.Name, "description": created.Description})
			wantStatus(t, rec, http.StatusCreated)
			if diff := cmp.Diff(created, decodeBody[models.Topic](t, rec), ignoreTopicTimes); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
		})
		t.Run("a duplicate key conflicts", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPost, "/v1/topics", map[string]any{"key": created.Key, "name": "Again"})
			wantProblem(t, rec, http.StatusConflict)
		})
		t.Run("a patch changes only the fields it names", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPatch, "/v1/topics/"+created.Key, map[string]any{"name": "Security notices"})
			wantStatus(t, rec, http.StatusOK)
			want := created
			want.Name = "Security notices"
			if diff := cmp.Diff(want, decodeBody[models.Topic](t, rec), ignoreTopicTimes); diff != "" {
				t.Errorf("patched (-want +got):\n%s", diff)
			}
			rec = a.call(models.RoleViewer, http.MethodGet, "/v1/topics/"+created.Key, nil)
			if diff := cmp.Diff(want, decodeBody[models.Topic](t, rec), ignoreTopicTimes); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
		})
		t.Run("a topic with recorded consent cannot be deleted", func(t *testing.T) {
			a.putCustomer("crm-1")
			wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/"+created.Key,
				map[string]any{"status": "opted_in"}), http.StatusOK)
			wantProblem(t, a.call(models.RoleAdmin, http.MethodDelete, "/v1/topics/"+created.Key, nil), http.StatusConflict)
		})
		t.Run("an unused topic is deleted", func(t *testing.T) {
			wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, "/v1/topics", map[string]any{"key": "unused", "name": "Unused"}), http.StatusCreated)
			wantStatus(t, a.call(models.RoleAdmin, http.MethodDelete, "/v1/topics/unused", nil), http.StatusNoContent)
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/topics/unused", nil), http.StatusNotFound)
			wantProblem(t, a.call(models.RoleAdmin, http.MethodDelete, "/v1/topics/unused", nil), http.StatusNotFound)
		})
	})
}

func TestTopicsRejectBadInput(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantFields []string
	}{
		{"a key with capitals is rejected", http.MethodPost, "/v1/topics", map[string]any{"key": "Pricing", "name": "P"}, 422, []string{"/key format"}},
		{"a missing name is rejected", http.MethodPost, "/v1/topics", map[string]any{"key": "pricing"}, 422, []string{"/name length"}},
		{"an unknown field is rejected", http.MethodPost, "/v1/topics", map[string]any{"key": "k", "name": "N", "colour": "red"}, 422, []string{"/colour unknown_field"}},
		{"a patch cannot change the key", http.MethodPatch, "/v1/topics/pricing-guides", map[string]any{"key": "pricing"}, 422, []string{"/key immutable"}},
		{"a patch may repeat the key", http.MethodPatch, "/v1/topics/pricing-guides", map[string]any{"key": "pricing-guides", "name": ""}, 422, []string{"/name length"}},
		{"a patch of an unknown topic is not found", http.MethodPatch, "/v1/topics/knitting", map[string]any{"name": "Knitting"}, 404, nil},
		{"a patch with a wrong type is rejected", http.MethodPatch, "/v1/topics/pricing-guides", map[string]any{"description": []string{}}, 422, []string{"/description type"}},
	}
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, a.call(models.RoleAdmin, tt.method, tt.path, tt.body), tt.wantStatus, tt.wantFields...)
			})
		}
	})
}
