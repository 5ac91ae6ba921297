package api

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
	"github.com/google/go-cmp/cmp"
)

// campaignPlanning configures email and sms but not webhook.
var campaignPlanning = models.PlanSettings{Channels: []models.Channel{models.ChannelEmail, models.ChannelSMS}}

// newCampaignAPI is the API with campaignPlanning.
func newCampaignAPI(tb testing.TB, backend string) *testAPI {
	tb.Helper()
	return newTestAPI(tb, backend, func(o *Options) {
		o.Campaigns = campaigns.NewService(o.Store.(*store.Store), campaigns.NewPlanner(campaignPlanning))
	})
}

// forEachCampaignBackend is forEachBackend with campaignPlanning.
func forEachCampaignBackend(t *testing.T, fn func(t *testing.T, a *testAPI)) {
	t.Helper()
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) { fn(t, newCampaignAPI(t, backend)) })
	}
}

// approvedContent creates content from body and approves it through the
// API (editor writes, admin approves), returning its id.
func (a *testAPI) approvedContent(body map[string]any) int64 {
	a.tb.Helper()
	c := a.createContent(models.RoleEditor, body)
	path := fmt.Sprintf("/v1/content/%d", c.ID)
	warnings := a.warnings(c.ID)
	wantStatus(a.tb, a.call(models.RoleEditor, http.MethodPost, path+"/submit", nil), http.StatusOK)
	wantStatus(a.tb, a.call(models.RoleAdmin, http.MethodPost, path+"/approve", map[string]any{"acknowledged_warnings": warnings}), http.StatusCreated)
	return c.ID
}

// campaignCustomer creates a customer whose windows are always open (UTC,
// every day, all day) in group, opted in unless optIn is false.
func (a *testAPI) campaignCustomer(ext, group string, optIn bool, change func(body map[string]any)) {
	a.tb.Helper()
	body := validCustomer(ext)
	body["timezone"] = "UTC"
	body["cadence"] = nil
	body["preferred_windows"] = []map[string]any{{"days": []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "start": "00:00", "end": "24:00"}}
	body["attributes"] = map[string]any{"group": group}
	if change != nil {
		change(body)
	}
	rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/"+ext, body)
	if rec.Code != http.StatusCreated {
		a.tb.Fatalf("PUT customer %s: %d %s", ext, rec.Code, rec.Body.String())
	}
	if optIn {
		rec = a.call(models.RoleEditor, http.MethodPut, "/v1/customers/"+ext+"/consents/technology-alternatives", map[string]any{"status": "opted_in"})
		wantStatus(a.tb, rec, http.StatusOK)
	}
}

// groupSegment creates a segment of the customers in one of groups.
func (a *testAPI) groupSegment(groups ...string) int64 {
	a.tb.Helper()
	rule := map[string]any{"field": "attributes.group", "op": "in", "value": groups}
	rec := a.call(models.RoleEditor, http.MethodPost, "/v1/segments", map[string]any{"name": strings.Join(groups, "+"), "rule": rule})
	wantStatus(a.tb, rec, http.StatusCreated)
	return decodeBody[models.Segment](a.tb, rec).ID
}

// createCampaign posts a draft for content and segment, open from a
// minute ago for two days.
func (a *testAPI) createCampaign(content, segment int64) *models.Campaign {
	a.tb.Helper()
	now := time.Now().UTC()
	rec := a.call(models.RoleEditor, http.MethodPost, "/v1/campaigns", map[string]any{
		"name": "Bank transfers", "content_id": content, "segment_id": segment,
		"window": map[string]any{"not_before": now.Add(-time.Minute), "not_after": now.Add(48 * time.Hour)},
	})
	wantStatus(a.tb, rec, http.StatusCreated)
	return decodeBody[*models.Campaign](a.tb, rec)
}

func TestCampaignLifecycleThroughTheAPI(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		content := a.approvedContent(contentBody(models.KindEducation, 0))

		a.campaignCustomer("ok", "main", true, nil)
		a.campaignCustomer("gone", "erased", true, func(b map[string]any) { b["email"] = "shared@example.com"; delete(b, "phone") })
		wantStatus(t, a.call(models.RoleEditor, http.MethodDelete, "/v1/customers/gone", nil), http.StatusNoContent)
		a.campaignCustomer("suppressed", "main", false, func(b map[string]any) { b["email"] = "shared@example.com" })
		a.campaignCustomer("noconsent", "main", false, nil)
		a.campaignCustomer("webhook", "main", true, func(b map[string]any) { b["preferred_channel"] = "webhook" })
		a.campaignCustomer("novariant", "main", true, func(b map[string]any) {
			b["preferred_channel"], b["phone"], b["locale"] = "sms", "+14155550100", "fr-FR"
		})
		a.campaignCustomer("notz", "main", true, func(b map[string]any) { delete(b, "timezone") })
		a.campaignCustomer("nowin", "main", true, func(b map[string]any) { b["preferred_windows"] = []any{} })
		// A one-minute window never has room for the minute kept free
		// before its end, so no occurrence can hold the send.
		a.campaignCustomer("noslot", "main", true, func(b map[string]any) {
			b["preferred_windows"] = []map[string]any{{"days": []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "start": "10:00", "end": "10:01"}}
		})
		a.campaignCustomer("capped", "first", true, func(b map[string]any) { b["cadence"] = map[string]any{"max": 1, "per": "30d"} })
		a.campaignCustomer("dup", "first", true, nil)

		first := a.createCampaign(content, a.groupSegment("first"))
		rec := a.call(models.RoleAdmin, http.MethodPost, fmt.Sprintf("/v1/campaigns/%d/launch", first.ID), nil)
		wantStatus(t, rec, http.StatusOK)
		if got := decodeBody[models.Campaign](t, rec); got.Planned != 2 {
			t.Fatalf("first campaign planned %d, want 2: %s", got.Planned, rec.Body.String())
		}

		camp := a.createCampaign(content, a.groupSegment("main", "first"))
		path := fmt.Sprintf("/v1/campaigns/%d", camp.ID)
		wantExcluded := map[models.Reason]int64{
			models.ReasonSuppressed: 1, models.ReasonNoConsent: 1, models.ReasonChannelUnavailable: 1,
			models.ReasonNoVariant: 1, models.ReasonNoTimezone: 1, models.ReasonNoWindow: 1,
			models.ReasonCadenceCap: 1, models.ReasonAlreadyReceived: 1, models.ReasonNoSlot: 1,
		}

		t.Run("a viewer previews the plan without writing", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodPost, path+"/preview", nil)
			wantStatus(t, rec, http.StatusOK)
			p := decodeBody[models.CampaignPreview](t, rec)
			if p.Eligible != 1 || p.ByChannel[models.ChannelEmail] != 1 || len(p.PerHour) != 1 || p.FirstSend == nil {
				t.Errorf("preview = %+v", p)
			}
			if diff := cmp.Diff(wantExcluded, p.Excluded); diff != "" {
				t.Errorf("excluded (-want +got):\n%s", diff)
			}
			rec = a.call(models.RoleViewer, http.MethodGet, path+"/deliveries", nil)
			wantStatus(t, rec, http.StatusOK)
			if l := decodeBody[list[models.Delivery]](t, rec); len(l.Items) != 0 {
				t.Errorf("the preview wrote deliveries: %+v", l.Items)
			}
		})

		t.Run("explain gives every rule and the send time in UTC and local time", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, path+"/explain/nowin", nil)
			wantStatus(t, rec, http.StatusOK)
			x := decodeBody[models.CampaignExplanation](t, rec)
			if x.Eligible || x.Reason != models.ReasonNoWindow || len(x.Rules) != 1+len(models.PlanningReasons) || x.Rules[0].Rule != models.ExplainNotInAudience {
				t.Errorf("explain nowin = %+v", x)
			}
			rec = a.call(models.RoleViewer, http.MethodGet, path+"/explain/ok", nil)
			wantStatus(t, rec, http.StatusOK)
			x = decodeBody[models.CampaignExplanation](t, rec)
			if !x.Eligible || x.SendAt == nil || x.SendAtLocal == "" || x.Channel != models.ChannelEmail {
				t.Errorf("explain ok = %+v", x)
			}
			for _, r := range x.Rules {
				if r.Outcome != "pass" {
					t.Errorf("rule %s = %s for an eligible customer", r.Rule, r.Outcome)
				}
			}
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, path+"/explain/nobody", nil), http.StatusNotFound)
		})

		t.Run("only an admin launches", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleEditor, http.MethodPost, path+"/launch", nil), http.StatusForbidden)
		})
		rec = a.call(models.RoleAdmin, http.MethodPost, path+"/launch", nil)
		wantStatus(t, rec, http.StatusOK)
		launched := decodeBody[models.Campaign](t, rec)
		if launched.State != models.CampaignScheduled || launched.Planned != 1 || launched.ContentVersion != 1 {
			t.Errorf("launched = %+v", launched)
		}
		if diff := cmp.Diff(wantExcluded, launched.Excluded); diff != "" {
			t.Errorf("excluded (-want +got):\n%s", diff)
		}
		rec = a.call(models.RoleAdmin, http.MethodPost, path+"/launch", nil)
		wantStatus(t, rec, http.StatusOK)
		if again := decodeBody[models.Campaign](t, rec); again.Planned != 1 || !again.LaunchedAt.Equal(*launched.LaunchedAt) {
			t.Errorf("a retried launch changed the campaign: %+v", again)
		}

		rec = a.call(models.RoleViewer, http.MethodGet, path+"/deliveries?status=planned", nil)
		wantStatus(t, rec, http.StatusOK)
		if l := decodeBody[list[models.Delivery]](t, rec); len(l.Items) != 1 || l.Items[0].Channel != models.ChannelEmail {
			t.Errorf("planned deliveries = %+v", l.Items)
		}
		wantProblem(t, a.call(models.RoleViewer, http.MethodGet, path+"/deliveries?status=lost", nil), http.StatusUnprocessableEntity, "status enum")
		rec = a.call(models.RoleViewer, http.MethodGet, "/v1/customers/dup/deliveries", nil)
		wantStatus(t, rec, http.StatusOK)
		if l := decodeBody[list[models.Delivery]](t, rec); len(l.Items) != 1 || l.Items[0].CampaignID != first.ID || l.Items[0].ExternalID != "dup" {
			t.Errorf("dup's deliveries = %+v", l.Items)
		}

		t.Run("illegal transitions are 409 naming the current state", func(t *testing.T) {
			p := wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, path+"/resume", nil), http.StatusConflict)
			if !strings.Contains(p.Detail, "scheduled") {
				t.Errorf("detail %q does not name the state", p.Detail)
			}
			wantProblem(t, a.call(models.RoleEditor, http.MethodPut, path, map[string]any{"name": "x"}), http.StatusConflict)
			wantProblem(t, a.call(models.RoleEditor, http.MethodDelete, path, nil), http.StatusConflict)
		})
		for _, step := range []struct {
			action string
			want   models.CampaignState
		}{{"pause", models.CampaignPaused}, {"resume", models.CampaignScheduled}, {"cancel", models.CampaignCancelled}} {
			rec := a.call(models.RoleAdmin, http.MethodPost, path+"/"+step.action, nil)
			wantStatus(t, rec, http.StatusOK)
			if got := decodeBody[models.Campaign](t, rec); got.State != step.want {
				t.Errorf("%s: state %s, want %s", step.action, got.State, step.want)
			}
		}
		rec = a.call(models.RoleViewer, http.MethodGet, path+"/deliveries?status=cancelled", nil)
		if l := decodeBody[list[models.Delivery]](t, rec); len(l.Items) != 1 || l.Items[0].Reason != models.ReasonCampaignCancelled {
			t.Errorf("cancelled deliveries = %+v", l.Items)
		}
		wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, path+"/launch", nil), http.StatusConflict)
	})
}

func TestCampaignInputIsValidated(t *testing.T) {
	tests := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"malformed JSON is a 400", `{"name":`, http.StatusBadRequest, nil},
		{"unknown fields are named", map[string]any{"name": "x", "colour": "red"}, http.StatusUnprocessableEntity, []string{"/colour unknown_field"}},
		{"missing fields are named", map[string]any{}, http.StatusUnprocessableEntity,
			[]string{"/name length", "/content_id required", "/segment_id required", "/window/not_before required", "/window/not_after required"}},
		{"an unknown content is named", map[string]any{"name": "x", "content_id": 999, "segment_id": 999,
			"window": map[string]any{"not_before": "2030-01-01T00:00:00Z", "not_after": "2030-01-02T00:00:00Z"}},
			http.StatusUnprocessableEntity, []string{"/content_id unknown_content", "/segment_id unknown_segment"}},
		{"a name with a NUL character is a 422, never a database error", map[string]any{"name": "bank\x00transfers", "content_id": 999, "segment_id": 999,
			"window": map[string]any{"not_before": "2030-01-01T00:00:00Z", "not_after": "2030-01-02T00:00:00Z"}},
			http.StatusUnprocessableEntity, []string{"/name text"}},
	}
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			a := newCampaignAPI(t, backend)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantProblem(t, a.call(models.RoleEditor, http.MethodPost, "/v1/campaigns", tt.body), tt.status, tt.fields...)
				})
			}
			t.Run("ids that cannot exist are 404", func(t *testing.T) {
				for _, p := range []string{"/v1/campaigns/0", "/v1/campaigns/x", "/v1/campaigns/99"} {
					wantProblem(t, a.call(models.RoleViewer, http.MethodGet, p, nil), http.StatusNotFound)
				}
			})
		})
	}
}

func TestConcurrentAPILaunchesPlanOnce(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		content := a.approvedContent(contentBody(models.KindEducation, 0))
		for i := range 4 {
			a.campaignCustomer(fmt.Sprintf("c%d", i), "main", true, nil)
		}
		camp := a.createCampaign(content, a.groupSegment("main"))
		path := fmt.Sprintf("/v1/campaigns/%d", camp.ID)
		var wg sync.WaitGroup
		codes := make([]int, 4)
		for i := range codes {
			wg.Go(func() { codes[i] = a.call(models.RoleAdmin, http.MethodPost, path+"/launch", nil).Code })
		}
		wg.Wait()
		if diff := cmp.Diff([]int{200, 200, 200, 200}, codes); diff != "" {
			t.Errorf("launch statuses (-want +got):\n%s", diff)
		}
		rec := a.call(models.RoleViewer, http.MethodGet, path+"/deliveries", nil)
		if l := decodeBody[list[models.Delivery]](t, rec); len(l.Items) != 4 {
			t.Errorf("%d deliveries, want 4", len(l.Items))
		}
	})
}
