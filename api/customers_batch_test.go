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
		t.Run("each result names its item's index and normalized external id, after an item that did not decode", func(t *testing.T) {
			undecodable := validCustomer("idx-0")
			undecodable["name"] = 7
			invalid := validCustomer("idx-2")
			invalid["email"] = "not an address"
			repeat := validCustomer(" idx-1 ")
			repeat["email"] = "idx-1@example.com"
			body := fmt.Sprintf(`{"customers":[%s,%s,%s,%s]}`, mustJSON(t, undecodable), mustJSON(t, validCustomer("idx-1")),
				mustJSON(t, invalid), mustJSON(t, repeat))
			got := decodeBody[batchResponse](t, a.call(models.RoleEditor, http.MethodPost, "/v1/customers/batch", body))
			want := []struct {
				id, field, rule, detail string
				status                  int
			}{
				{"idx-0", "/name", "type", "", 422},
				{"idx-1", "", "", "created", 201},
				{"idx-2", "/email", "email", "", 422},
				{"idx-1", "/external_id", "unique_in_batch", "", 422},
			}
			if len(got.Results) != len(want) {
				t.Fatalf("results = %+v, want %d", got.Results, len(want))
			}
			for i, w := range want {
				r := got.Results[i]
				if r.Index != i || r.ExternalID != w.id || r.Status != w.status || (w.detail != "" && r.Detail != w.detail) ||
					(w.field != "" && (len(r.Errors) != 1 || r.Errors[0].Field != w.field || r.Errors[0].Rule != w.rule)) {
					t.Errorf("result %d = %+v, want %s %d %s %s", i, r, w.id, w.status, w.field, w.rule)
				}
			}
			if d := got.Results[3].Errors[0].Detail; d != "repeats the external_id of item 1; send each customer once per batch" {
				t.Errorf("the repeat's detail = %q, want it to name item 1", d)
			}
		})
	})
}
