package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

func TestCampaignAndContentInputProblemsAreNamed(t *testing.T) {
	window := map[string]any{"not_before": "2030-01-01T00:00:00Z", "not_after": "2030-01-02T00:00:00Z"}
	badSource := contentBody(models.KindEducation, 0)
	badSource["sources"] = []map[string]any{{"title": "Fee table", "url": "https://example.org/fees", "accessed_at": "5 January 2026"}}
	tests := []struct {
		name   string
		path   string
		body   any
		fields []string
	}{
		{"a window bound that is not a timestamp is a format problem", "/v1/campaigns",
			map[string]any{"name": "x", "content_id": 999, "segment_id": 999, "window": map[string]any{"not_before": "2030-01-01", "not_after": "2030-01-02T00:00:00Z"}},
			[]string{"/window/not_before format"}},
		{"a source date that is not a timestamp is a format problem", "/v1/content", badSource,
			[]string{"/sources/0/accessed_at format"}},
		{"segment id 0 is below the minimum, not an unknown segment", "/v1/campaigns",
			map[string]any{"name": "x", "content_id": 999, "segment_id": 0, "window": window},
			[]string{"/segment_id min"}},
		{"a negative recipients_of is below the minimum", "/v1/campaigns",
			map[string]any{"name": "x", "content_id": 999, "audience": map[string]any{"recipients_of": -2}, "window": window},
			[]string{"/audience/recipients_of min"}},
		{"a repeated member is a duplicate key", "/v1/campaigns",
			`{"name":"x","content_id":1,"segment_id":1,"window":{"not_before":"2030-01-01T00:00:00Z","not_after":"2030-01-02T00:00:00Z","not_after":"2031-01-02T00:00:00Z"}}`,
			[]string{"/window/not_after duplicate_key"}},
	}
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			a := newCampaignAPI(t, backend)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantProblem(t, a.call(models.RoleEditor, http.MethodPost, tt.path, tt.body), http.StatusUnprocessableEntity, tt.fields...)
				})
			}
		})
	}
}

func TestCampaignActionsRefuseABody(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		content := a.approvedContent(contentBody(models.KindEducation, 0))
		a.campaignCustomer("ok", "main", true, nil)
		camp := a.createCampaign(content, a.groupSegment("main"))
		path := fmt.Sprintf("/v1/campaigns/%d", camp.ID)
		send := func(role models.Role, action, body, contentType string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, path+"/"+action, strings.NewReader(body))
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			req.Header.Set("Authorization", "Bearer "+a.apiKey[role])
			return a.serve(req)
		}

		t.Run("a preview takes no body, an empty object or white space", func(t *testing.T) {
			for _, tc := range []struct{ body, contentType string }{{"", ""}, {"{}", ""}, {"{}", "application/json"}, {"\n", "application/json"}} {
				wantStatus(t, send(models.RoleViewer, "preview", tc.body, tc.contentType), http.StatusOK)
			}
		})
		for _, action := range []string{"preview", "launch", "pause", "resume", "cancel"} {
			role := models.RoleAdmin
			t.Run(action+" refuses options it does not have", func(t *testing.T) {
				wantProblem(t, send(role, action, `{"dry_run":true}`, "application/json"), http.StatusUnprocessableEntity, "/dry_run unknown_field")
				wantProblem(t, send(role, action, `{"dry_run":true}`, ""), http.StatusUnprocessableEntity, "/dry_run unknown_field")
			})
			t.Run(action+" refuses bad JSON and non-JSON bodies", func(t *testing.T) {
				wantProblem(t, send(role, action, `{"dry_run":`, "application/json"), http.StatusBadRequest)
				wantProblem(t, send(role, action, `dry_run=1`, "application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType)
			})
		}
		rec := a.call(models.RoleViewer, http.MethodGet, path, nil)
		if got := decodeBody[models.Campaign](t, rec); got.State != models.CampaignDraft {
			t.Errorf("a refused launch changed the campaign: %+v", got)
		}
		wantStatus(t, send(models.RoleAdmin, "launch", "{}", "application/json"), http.StatusOK)
	})
}

func TestDeliveryListsFilterByStatuses(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		for i := range 3 {
			a.campaignCustomer(fmt.Sprintf("c%d", i), "main", true, nil)
		}
		kept := a.createCampaign(a.approvedContent(contentBody(models.KindEducation, 0)), a.groupSegment("main"))
		stopped := a.createCampaign(a.approvedContent(contentBody(models.KindEducation, 0)), a.groupSegment("main"))
		for _, step := range []string{fmt.Sprintf("%d/launch", kept.ID), fmt.Sprintf("%d/launch", stopped.ID), fmt.Sprintf("%d/cancel", stopped.ID)} {
			wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, "/v1/campaigns/"+step, nil), http.StatusOK)
		}
		keptPath := fmt.Sprintf("/v1/campaigns/%d/deliveries", kept.ID)
		tests := []struct {
			name string
			path string
			want []string // "campaign-id status" of every item, over all pages
		}{
			{"no filter lists every delivery", keptPath + "?limit=2",
				[]string{fmt.Sprintf("%d planned", kept.ID), fmt.Sprintf("%d planned", kept.ID), fmt.Sprintf("%d planned", kept.ID)}},
			{"a comma-separated list filters by any of its statuses", keptPath + "?status=planned,queued&limit=1",
				[]string{fmt.Sprintf("%d planned", kept.ID), fmt.Sprintf("%d planned", kept.ID), fmt.Sprintf("%d planned", kept.ID)}},
			{"a status no delivery has lists nothing", keptPath + "?status=queued&status=sent", nil},
			{"a customer's deliveries filter by one status", "/v1/customers/c1/deliveries?status=cancelled",
				[]string{fmt.Sprintf("%d cancelled", stopped.ID)}},
			{"a customer's deliveries filter by repeated statuses", "/v1/customers/c1/deliveries?status=cancelled&status=planned&limit=1",
				[]string{fmt.Sprintf("%d planned", kept.ID), fmt.Sprintf("%d cancelled", stopped.ID)}},
			{"a customer's deliveries without a filter list every one", "/v1/customers/c1/deliveries",
				[]string{fmt.Sprintf("%d planned", kept.ID), fmt.Sprintf("%d cancelled", stopped.ID)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if diff := cmp.Diff(tt.want, a.allDeliveries(tt.path)); diff != "" {
					t.Errorf("deliveries (-want +got):\n%s", diff)
				}
			})
		}
		for _, path := range []string{keptPath + "?status=planned,lost", keptPath + "?status=planned&status=Sent", "/v1/customers/c1/deliveries?status=lost"} {
			t.Run("an unknown status is refused listing the known ones: "+path, func(t *testing.T) {
				p := wantProblem(t, a.call(models.RoleViewer, http.MethodGet, path, nil), http.StatusUnprocessableEntity, "status enum")
				if !strings.Contains(p.Errors[0].Detail, "planned, queued, sending, sent") {
					t.Errorf("detail %q does not list the statuses", p.Errors[0].Detail)
				}
			})
		}
	})
}

// allDeliveries follows next_cursor from path to the last page and
// returns "campaign-id status" per delivery. Ids must grow across pages.
func (a *testAPI) allDeliveries(path string) []string {
	a.tb.Helper()
	var out []string
	var last int64
	for next := path; ; {
		rec := a.call(models.RoleViewer, http.MethodGet, next, nil)
		wantStatus(a.tb, rec, http.StatusOK)
		l := decodeBody[list[models.Delivery]](a.tb, rec)
		for _, d := range l.Items {
			if d.ID <= last {
				a.tb.Fatalf("delivery %d after %d: pages overlap or are out of order", d.ID, last)
			}
			last = d.ID
			out = append(out, fmt.Sprintf("%d %s", d.CampaignID, d.Status))
		}
		if l.NextCursor == nil {
			return out
		}
		next = path + "&cursor=" + *l.NextCursor
		if !strings.Contains(path, "?") {
			next = path + "?cursor=" + *l.NextCursor
		}
	}
}

// TestContentActionsRefuseABody: submit, check and retire take no options,
// so a body that carries some is refused before anything changes.
func TestContentActionsRefuseABody(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		item := a.createContent(models.RoleEditor, contentBody(models.KindEducation, 0))
		path := fmt.Sprintf("/v1/content/%d", item.ID)
		send := func(action, body string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, path+"/"+action, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+a.apiKey[models.RoleAdmin])
			return a.serve(req)
		}
		for _, action := range []string{"check", "submit", "retire"} {
			t.Run(action+" refuses options it does not have", func(t *testing.T) {
				wantProblem(t, send(action, `{"force":true}`), http.StatusUnprocessableEntity, "/force unknown_field")
			})
		}
		if got := decodeBody[models.Content](t, a.call(models.RoleViewer, http.MethodGet, path, nil)); got.State != models.ContentDraft {
			t.Errorf("a refused action changed the content: state %s", got.State)
		}
		wantStatus(t, send("submit", "{}"), http.StatusOK)
	})
}

// TestBodiesMustBeUTF8: invalid bytes are refused on the field (or member
// name) that holds them, not stored as U+FFFD.
func TestBodiesMustBeUTF8(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		for _, tc := range []struct {
			body string
			want []string
		}{
			{"{\"name\":\"x\xff\",\"rule\":{\"field\":\"locale\",\"op\":\"eq\",\"value\":\"en\"}}", []string{"/name text"}},
			{"{\"na\xffme\":\"x\",\"rule\":{\"field\":\"locale\",\"op\":\"eq\",\"value\":\"en\"}}", []string{"/na\ufffdme text", "/na\ufffdme unknown_field"}},
		} {
			req := httptest.NewRequest(http.MethodPost, "/v1/segments", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+a.apiKey[models.RoleEditor])
			wantProblem(t, a.serve(req), http.StatusUnprocessableEntity, tc.want...)
		}
	})
}

// TestAClientThatLeftIsNotAServerError: a preview whose client
// disconnected answers 499 (for logs and metrics), not 500.
func TestAClientThatLeftIsNotAServerError(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		content := a.approvedContent(contentBody(models.KindEducation, 0))
		a.campaignCustomer("ok", "main", true, nil)
		camp := a.createCampaign(content, a.groupSegment("main"))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("/v1/campaigns/%d/preview", camp.ID), nil)
		req.Header.Set("Authorization", "Bearer "+a.apiKey[models.RoleViewer])
		if rec := a.serve(req); rec.Code != 499 {
			t.Errorf("status %d, want 499", rec.Code)
		}
	})
}
