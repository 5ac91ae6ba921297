package api

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestPutCustomerCreatesThenReplaces(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		body := validCustomer("crm-1")
		rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1", body)
		wantStatus(t, rec, http.StatusCreated)
		if loc := rec.Header().Get("Location"); loc != "/v1/customers/crm-1" {
			t.Errorf("Location = %q", loc)
		}
		created := decodeBody[models.Customer](t, rec)

		body["name"], body["preferred_channel"] = "Ada King", "webhook"
		delete(body, "cadence")
		rec = a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1", body)
		wantStatus(t, rec, http.StatusOK)
		updated := decodeBody[models.Customer](t, rec)

		rec = a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1", nil)
		wantStatus(t, rec, http.StatusOK)
		got := decodeBody[models.Customer](t, rec)
		want := models.Customer{
			ExternalID: "crm-1", Email: "crm-1@example.com", Name: "Ada King", Locale: "en-GB",
			Timezone: "Europe/London", PreferredChannel: models.ChannelWebhook,
			PreferredWindows:  []models.Window{{Days: []string{"mon", "tue"}, Start: "09:00", End: "12:00"}},
			Attributes:        map[string]any{"plan": "pro"},
			PreferenceVersion: created.PreferenceVersion + 1,
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(models.Customer{}, "CreatedAt", "UpdatedAt")); diff != "" {
			t.Errorf("customer (-want +got):\n%s", diff)
		}
		if !updated.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("an update changed created_at from %v to %v", created.CreatedAt, updated.CreatedAt)
		}
	})
}

func TestPutCustomerRejectsBadInput(t *testing.T) {
	deep := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": map[string]any{"f": 1}}}}}}
	with := func(change func(b map[string]any)) map[string]any {
		b := validCustomer("crm-1")
		change(b)
		return b
	}
	tests := []struct {
		name       string
		path       string
		body       any
		wantStatus int
		wantFields []string
		wantDetail string
	}{
		{name: "malformed JSON is a 400 naming the offset", body: `{"email" "x"}`, wantStatus: 400, wantDetail: "byte offset 9"},
		{name: "an empty body is a 400", body: ``, wantStatus: 400, wantDetail: "empty"},
		{name: "trailing data is a 400", body: `{"preferred_channel":"webhook"} []`, wantStatus: 400, wantDetail: "after the JSON value"},
		{name: "an unknown field is a 422 naming it", body: `{"preferred_channel":"webhook","emial":"x"}`, wantStatus: 422, wantFields: []string{"/emial unknown_field"}},
		{name: "a wrong JSON type is a 422 naming the field", body: `{"preferred_channel":"webhook","email":42}`, wantStatus: 422, wantFields: []string{"/email type"}, wantDetail: ""},
		{name: "a wrong type inside a window is named by pointer", body: with(func(b map[string]any) {
			b["preferred_windows"] = []any{map[string]any{"days": []string{"mon"}, "start": 9, "end": "10:00"}}
		}), wantStatus: 422, wantFields: []string{"/preferred_windows/0/start type"}},
		{name: "a bad email is rejected", body: with(func(b map[string]any) { b["email"] = "ada@" }), wantStatus: 422, wantFields: []string{"/email email"}},
		{name: "a phone that is not E.164 is rejected", body: with(func(b map[string]any) { b["phone"] = "0151 2345" }), wantStatus: 422, wantFields: []string{"/phone e164"}},
		{name: "a locale that is not BCP 47 is rejected", body: with(func(b map[string]any) { b["locale"] = "english!" }), wantStatus: 422, wantFields: []string{"/locale bcp47"}},
		{name: "an unknown time zone is rejected", body: with(func(b map[string]any) { b["timezone"] = "Europe/Atlantis" }), wantStatus: 422, wantFields: []string{"/timezone iana_timezone"}},
		{name: "overlapping windows are rejected", body: with(func(b map[string]any) {
			b["preferred_windows"] = []map[string]any{
				{"days": []string{"mon"}, "start": "09:00", "end": "12:00"},
				{"days": []string{"mon"}, "start": "11:00", "end": "13:00"},
			}
		}), wantStatus: 422, wantFields: []string{"/preferred_windows/1 no_overlap"}},
		{name: "a window may not start at 24:00", body: with(func(b map[string]any) {
			b["preferred_windows"] = []map[string]any{{"days": []string{"mon"}, "start": "24:00", "end": "24:00"}}
		}), wantStatus: 422, wantFields: []string{"/preferred_windows/0/start time_of_day"}},
		{name: "a cadence period in weeks is rejected", body: with(func(b map[string]any) { b["cadence"] = map[string]any{"max": 0, "per": "1w"} }),
			wantStatus: 422, wantFields: []string{"/cadence/max range", "/cadence/per period"}},
		{name: "attributes nested too deep are rejected", body: with(func(b map[string]any) { b["attributes"] = deep }),
			wantStatus: 422, wantFields: []string{"/attributes/a/b/c/d/e max_depth"}},
		{name: "sms without a phone is rejected", body: with(func(b map[string]any) { b["preferred_channel"] = "sms" }),
			wantStatus: 422, wantFields: []string{"/phone required_for_channel"}},
		{name: "a body id that differs from the path is rejected", body: with(func(b map[string]any) { b["external_id"] = "crm-2" }),
			wantStatus: 422, wantFields: []string{"/external_id match_path"}},
		{name: "a path id that cannot be an external id is rejected", path: "/v1/customers/-dash", body: validCustomer("x"),
			wantStatus: 422, wantFields: []string{"external_id format"}},
		{name: "every problem of a body is reported at once", body: with(func(b map[string]any) { b["email"], b["timezone"] = "x", "Nowhere" }),
			wantStatus: 422, wantFields: []string{"/email email", "/timezone iana_timezone"}},
	}
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				path := tt.path
				if path == "" {
					path = "/v1/customers/crm-1"
				}
				if b, ok := tt.body.(map[string]any); ok && tt.path != "" {
					delete(b, "external_id")
				}
				rec := a.call(models.RoleEditor, http.MethodPut, path, tt.body)
				p := wantProblem(t, rec, tt.wantStatus, tt.wantFields...)
				if !strings.Contains(p.Detail, tt.wantDetail) {
					t.Errorf("detail %q does not contain %q", p.Detail, tt.wantDetail)
				}
			})
		}
		rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1", nil)
		wantProblem(t, rec, http.StatusNotFound)
	})
}

func TestRequestFormatErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		t.Run("a form body is an unsupported media type", func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPut, "/v1/customers/crm-1", strings.NewReader("email=a"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "Bearer "+a.apiKey[models.RoleEditor])
			wantProblem(t, a.serve(req), http.StatusUnsupportedMediaType)
		})
		big := bytes.Repeat([]byte(" "), DefaultMaxBodyBytes+1)
		t.Run("a declared body over the limit is too large", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1", big), http.StatusRequestEntityTooLarge)
		})
		t.Run("a chunked body over the limit is too large", func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPut, "/v1/customers/crm-1", bytes.NewReader(big))
			req.ContentLength = -1
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+a.apiKey[models.RoleEditor])
			wantProblem(t, a.serve(req), http.StatusRequestEntityTooLarge)
		})
	})
}

func TestListCustomersPagesWithACursor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		var want []string
		for i := range 5 {
			id := fmt.Sprintf("crm-%d", i)
			a.putCustomer(id)
			want = append(want, id)
		}
		var got []string
		path := "/v1/customers?limit=2"
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("the cursor never ran out")
			}
			rec := a.call(models.RoleViewer, http.MethodGet, path, nil)
			wantStatus(t, rec, http.StatusOK)
			page := decodeBody[list[models.Customer]](t, rec)
			if len(page.Items) > 2 {
				t.Fatalf("page of %d items, limit 2", len(page.Items))
			}
			for _, c := range page.Items {
				got = append(got, c.ExternalID)
			}
			if page.NextCursor == nil {
				break
			}
			path = "/v1/customers?limit=2&cursor=" + *page.NextCursor
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("listed ids (-want +got):\n%s", diff)
		}
	})
}

func TestListCustomersRejectsBadPaging(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		wantField string
	}{
		{"a zero limit is rejected", "limit=0", "limit range"},
		{"a limit over 500 is rejected", "limit=501", "limit range"},
		{"a limit that is not a number is rejected", "limit=ten", "limit range"},
		{"an empty limit is rejected", "limit=", "limit range"},
		{"a forged cursor is rejected", "cursor=%21%21", "cursor cursor"},
		{"a limit sent twice is rejected, not half used", "limit=1&limit=3", "limit repeated"},
		{"a cursor sent twice is rejected", "cursor=NA&cursor=Ng", "cursor repeated"},
	}
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers?"+tt.query, nil)
				wantProblem(t, rec, http.StatusUnprocessableEntity, tt.wantField)
			})
		}
	})
}

func TestBatchReportsEachItem(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("existing")
		body := fmt.Sprintf(`{"customers":[%s,%s,{"external_id":"typo","preferred_channel":"webhook","emial":"x"},%s,42,{"external_id":"wrong-type","preferred_channel":"webhook","name":7}]}`,
			mustJSON(t, validCustomer("new-1")), mustJSON(t, validCustomer("existing")),
			mustJSON(t, map[string]any{"external_id": "bad-email", "email": "nope", "preferred_channel": "email"}))
		rec := a.call(models.RoleEditor, http.MethodPost, "/v1/customers/batch", body)
		wantStatus(t, rec, http.StatusOK)
		got := decodeBody[batchResponse](t, rec)
		type row struct {
			Index      int
			ExternalID string
			Status     int
			Fields     []string
		}
		var rows []row
		for _, r := range got.Results {
			var fields []string
			for _, f := range r.Errors {
				fields = append(fields, f.Field+" "+f.Rule)
			}
			rows = append(rows, row{r.Index, r.ExternalID, r.Status, fields})
		}
		want := []row{
			{0, "new-1", 201, nil},
			{1, "existing", 200, nil},
			{2, "typo", 422, []string{"/emial unknown_field"}},
			{3, "bad-email", 422, []string{"/email email"}},
			{4, "", 422, []string{" type"}},
			{5, "wrong-type", 422, []string{"/name type"}},
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
		if got.Created != 1 || got.Updated != 1 || got.Failed != 4 {
			t.Errorf("counts created=%d updated=%d failed=%d, want 1, 1, 4", got.Created, got.Updated, got.Failed)
		}
		wantStatus(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/new-1", nil), http.StatusOK)
		wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/bad-email", nil), http.StatusNotFound)
	})
}

func TestBatchRejectsBadEnvelopes(t *testing.T) {
	tooMany := `{"customers":[` + strings.TrimSuffix(strings.Repeat(`{},`, MaxBatchSize+1), ",") + `]}`
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantFields []string
	}{
		{"more than 1000 customers are rejected", tooMany, 422, []string{"/customers max_items"}},
		{"a missing list is rejected", `{}`, 422, []string{"/customers required"}},
		{"a list that is not an array is rejected", `{"customers":{}}`, 422, []string{"/customers type"}},
		{"an unknown envelope field is rejected", `{"customers":[],"dry_run":true}`, 422, []string{"/dry_run unknown_field"}},
		{"malformed JSON is rejected", `{"customers":[`, 400, nil},
	}
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, a.call(models.RoleEditor, http.MethodPost, "/v1/customers/batch", tt.body), tt.wantStatus, tt.wantFields...)
			})
		}
	})
}

func TestEraseCustomer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		wantStatus(t, a.call(models.RoleEditor, http.MethodDelete, "/v1/customers/crm-1", nil), http.StatusNoContent)

		t.Run("the erased customer is gone", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1", nil), http.StatusNotFound)
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1/export", nil), http.StatusNotFound)
			wantProblem(t, a.call(models.RoleEditor, http.MethodDelete, "/v1/customers/crm-1", nil), http.StatusNotFound)
		})
		t.Run("a re-import of the same address is flagged suppressed", func(t *testing.T) {
			body := validCustomer("crm-1b")
			body["email"] = "CRM-1@EXAMPLE.COM"
			rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1b", body)
			wantStatus(t, rec, http.StatusCreated)
			if c := decodeBody[models.Customer](t, rec); !c.Suppressed {
				t.Errorf("re-imported customer not suppressed: %+v", c)
			}
		})
		t.Run("a bulk source cannot opt the re-imported address in", func(t *testing.T) {
			rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1b/consents/pricing-guides",
				map[string]any{"status": "opted_in", "source": "import"})
			wantProblem(t, rec, http.StatusConflict)
		})
		t.Run("the freed external id can be used again, unsuppressed", func(t *testing.T) {
			body := validCustomer("crm-1")
			body["email"] = "someone-else@example.com"
			rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1", body)
			wantStatus(t, rec, http.StatusCreated)
			if c := decodeBody[models.Customer](t, rec); c.Suppressed {
				t.Errorf("a new address was suppressed: %+v", c)
			}
		})
	})
}

func TestExportCustomer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/product-roadmap",
			map[string]any{"status": "opted_in"}), http.StatusOK)
		rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1/export", nil)
		wantStatus(t, rec, http.StatusOK)
		got := decodeBody[models.CustomerExport](t, rec)
		if got.Customer == nil || got.Customer.Email != "crm-1@example.com" {
			t.Errorf("export customer = %+v", got.Customer)
		}
		if got.Consents == nil || len(got.Consents.History) != 1 || !got.Consents.Chain.Verified {
			t.Errorf("export consents = %+v", got.Consents)
		}
		var types []models.EventType
		for _, e := range got.Events {
			types = append(types, e.Type)
		}
		if diff := cmp.Diff([]models.EventType{models.EventCustomerCreated, models.EventConsentChanged}, types); diff != "" {
			t.Errorf("export event types (-want +got):\n%s", diff)
		}
	})
}
