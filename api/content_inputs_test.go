package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/candor/candor/models"
)

func TestReSendingAnIdenticalContentBodyWritesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		body := contentBody(models.KindEducation, 0)
		c := a.createContent(models.RoleEditor, body)
		path := fmt.Sprintf("/v1/content/%d", c.ID)
		for _, state := range []string{"draft", "in_review"} {
			t.Run("another key re-sending the body of "+state+" content changes nothing and does not become the last editor", func(t *testing.T) {
				if state == "in_review" {
					wantStatus(t, a.call(models.RoleEditor, http.MethodPost, path+"/submit", nil), http.StatusOK)
				}
				before := decodeBody[models.Content](t, a.call(models.RoleViewer, http.MethodGet, path, nil))
				rec := a.call(models.RoleAdmin, http.MethodPut, path, body)
				wantStatus(t, rec, http.StatusOK)
				after := decodeBody[models.Content](t, rec)
				if after.EditedBy != before.EditedBy || after.Revision != before.Revision || after.State != before.State ||
					!after.UpdatedAt.Equal(before.UpdatedAt) || after.Version != before.Version {
					t.Errorf("identical PUT changed the content:\nbefore %+v\nafter  %+v", before, after)
				}
			})
		}
		t.Run("a changed body still makes the sender the last editor", func(t *testing.T) {
			changed := contentBody(models.KindEducation, 0)
			changed["title"] = "Paying by bank transfer, again"
			after := decodeBody[models.Content](t, a.call(models.RoleAdmin, http.MethodPut, path, changed))
			if after.State != models.ContentDraft || after.Revision != c.Revision+1 || after.EditedBy == c.EditedBy {
				t.Errorf("changed PUT = %+v, want a draft at the next revision edited by the admin key", after)
			}
		})
	})
}

func TestRenderRefusesALocaleThatIsNotATag(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		c := a.createContent(models.RoleEditor, contentBody(models.KindEducation, 0))
		render := fmt.Sprintf("/v1/content/%d/render", c.ID)
		for _, tt := range []struct{ name, locale string }{
			{"a NUL locale is a 422", "\u0000"},
			{"a locale with a NUL after a tag is a 422", "en\u0000"},
			{"a locale that is not BCP 47 is a 422", "english please"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				rec := a.call(models.RoleEditor, http.MethodPost, render, map[string]any{"external_id": "crm-1", "locale": tt.locale})
				wantProblem(t, rec, http.StatusUnprocessableEntity, "/locale bcp47")
			})
		}
	})
}
