package api

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestSegmentsLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, id := range []string{"seg-1", "seg-2"} {
			a.putCustomer(id)
		}
		rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/seg-1/consents/product-roadmap", map[string]any{"status": "opted_in"})
		wantStatus(t, rec, http.StatusOK)

		rule := map[string]any{"all": []any{
			map[string]any{"field": "attributes.plan", "op": "eq", "value": "pro"},
			map[string]any{"field": "consent.product-roadmap", "op": "eq", "value": "opted_in"},
		}}
		var seg models.Segment
		t.Run("an editor creates a segment", func(t *testing.T) {
			rec := a.call(models.RoleEditor, http.MethodPost, "/v1/segments", map[string]any{"name": "Roadmap readers", "rule": rule})
			wantStatus(t, rec, http.StatusCreated)
			seg = decodeBody[models.Segment](t, rec)
			if rec.Header().Get("Location") != "/v1/segments/"+strconv.FormatInt(seg.ID, 10) || seg.Name != "Roadmap readers" {
				t.Errorf("created %+v at %q", seg, rec.Header().Get("Location"))
			}
		})
		path := "/v1/segments/" + strconv.FormatInt(seg.ID, 10)

		t.Run("a bad rule is a 422 naming the node and the reason", func(t *testing.T) {
			bad := map[string]any{"all": []any{
				map[string]any{"field": "locale", "op": "exists"},
				map[string]any{"field": "locale", "op": "exists"},
				map[string]any{"field": "attributes.plan", "op": "equals", "value": "pro"},
			}}
			rec := a.call(models.RoleEditor, http.MethodPost, "/v1/segments", map[string]any{"name": "x", "rule": bad})
			p := wantProblem(t, rec, http.StatusUnprocessableEntity, "/rule/all/2/op enum")
			if p.Errors[0].Detail != `unknown operator "equals"` {
				t.Errorf("detail = %q", p.Errors[0].Detail)
			}
		})
		t.Run("a viewer cannot create a segment", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodPost, "/v1/segments", map[string]any{"name": "x", "rule": rule})
			wantProblem(t, rec, http.StatusForbidden)
		})
		t.Run("a viewer previews an ad-hoc rule", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodPost, "/v1/segments/preview", map[string]any{"rule": rule})
			wantStatus(t, rec, http.StatusOK)
			p := decodeBody[models.SegmentPreview](t, rec)
			if p.Count != 1 || len(p.Sample) != 1 || p.Sample[0].ExternalID != "seg-1" {
				t.Errorf("preview = %+v", p)
			}
		})
		t.Run("a preview without a rule is a 422", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodPost, "/v1/segments/preview", map[string]any{})
			wantProblem(t, rec, http.StatusUnprocessableEntity, "/rule required")
		})
		t.Run("a saved segment previews the same audience", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, path+"/preview", nil)
			wantStatus(t, rec, http.StatusOK)
			if p := decodeBody[models.SegmentPreview](t, rec); p.Count != 1 {
				t.Errorf("count = %d", p.Count)
			}
		})
		t.Run("members are listed in pages", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, path+"/customers?limit=1", nil)
			wantStatus(t, rec, http.StatusOK)
			page := decodeBody[list[models.Customer]](t, rec)
			if len(page.Items) != 1 || page.Items[0].ExternalID != "seg-1" || page.NextCursor != nil {
				t.Errorf("page = %+v", page)
			}
		})
		t.Run("explain says which condition excluded a customer", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, path+"/explain/seg-2", nil)
			wantStatus(t, rec, http.StatusOK)
			e := decodeBody[models.RuleExplanation](t, rec)
			want := []bool{true, false}
			var got []bool
			for _, c := range e.Children {
				got = append(got, c.Result)
			}
			if e.Result || e.DecidedBy != "/rule/all/1" || !cmp.Equal(want, got) || e.Children[1].Actual != "none" {
				t.Errorf("explanation = %+v", e)
			}
		})
		t.Run("unknown ids are 404", func(t *testing.T) {
			for _, p := range []string{"/v1/segments/abc", "/v1/segments/999999", path + "/explain/nobody"} {
				wantProblem(t, a.call(models.RoleViewer, http.MethodGet, p, nil), http.StatusNotFound)
			}
		})
		t.Run("an editor replaces and deletes a segment", func(t *testing.T) {
			rec := a.call(models.RoleEditor, http.MethodPut, path, map[string]any{"name": "All pro", "rule": map[string]any{"field": "attributes.plan", "op": "eq", "value": "pro"}})
			wantStatus(t, rec, http.StatusOK)
			rec = a.call(models.RoleViewer, http.MethodGet, path+"/preview", nil)
			if p := decodeBody[models.SegmentPreview](t, rec); p.Count != 2 {
				t.Errorf("count after update = %d", p.Count)
			}
			wantStatus(t, a.call(models.RoleEditor, http.MethodDelete, path, nil), http.StatusNoContent)
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, path, nil), http.StatusNotFound)
		})
	})
}
