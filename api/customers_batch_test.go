package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/candor/candor/models"
)

func TestBatchRefusesRepeatsAndEmptyLists(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		t.Run("an empty batch is a 422 on /customers", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleEditor, http.MethodPost, "/v1/customers/batch", `{"customers": []}`),
				http.StatusUnprocessableEntity, "/customers min_items")
		})
		t.Run("the repeat of an external id in one batch is a 422 on that item and the first is written", func(t *testing.T) {
			first, repeat := validCustomer("dup-1"), validCustomer("dup-1")
			repeat["name"] = "Someone Else"
			body := fmt.Sprintf(`{"customers":[%s,%s,%s]}`, mustJSON(t, first), mustJSON(t, validCustomer("dup-2")), mustJSON(t, repeat))
			rec := a.call(models.RoleEditor, http.MethodPost, "/v1/customers/batch", body)
			wantStatus(t, rec, http.StatusOK)
			got := decodeBody[batchResponse](t, rec)
			if got.Created != 2 || got.Failed != 1 || got.Results[2].Status != 422 ||
				len(got.Results[2].Errors) != 1 || got.Results[2].Errors[0].Field != "/external_id" || got.Results[2].Errors[0].Rule != "unique_in_batch" {
				t.Fatalf("batch = %+v, want dup-1 and dup-2 created and the repeat a 422 /external_id unique_in_batch", got)
			}
			cust := decodeBody[models.Customer](t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/dup-1", nil))
			if cust.Name != "Ada Lovelace" {
				t.Errorf("dup-1 name = %q, want the first item's", cust.Name)
			}
		})
	})
}
