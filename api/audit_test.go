package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/models"
)

type auditPage struct {
	Items      []models.AuditEntry `json:"items"`
	NextCursor *string             `json:"next_cursor"`
}

// audit reads every entry of GET /v1/audit with query q, page by page.
func (a *testAPI) audit(q url.Values, limit int) []models.AuditEntry {
	a.tb.Helper()
	var out []models.AuditEntry
	cursor := ""
	for range 1000 {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("limit", fmt.Sprint(limit))
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		rec := a.call(models.RoleAdmin, http.MethodGet, "/v1/audit?"+v.Encode(), nil)
		wantStatus(a.tb, rec, http.StatusOK)
		p := decodeBody[auditPage](a.tb, rec)
		out = append(out, p.Items...)
		if p.NextCursor == nil {
			return out
		}
		cursor = *p.NextCursor
	}
	a.tb.Fatal("audit paging does not end")
	return nil
}

func actions(entries []models.AuditEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

// The finding of issue 15 item 5: an admin minted a second admin key with
// POST /v1/api-keys and approved its own content with it.
func TestASecondKeyOfTheSameOwnerCannotApprove(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		rec := a.call(models.RoleAdmin, http.MethodPost, "/v1/api-keys", map[string]any{"name": "my other key", "role": "admin"})
		wantStatus(t, rec, http.StatusCreated)
		minted := decodeBody[createdAPIKey](t, rec)
		if minted.APIKey.OwnerEmail != "test admin@example.com" || minted.APIKey.OwnerName != "test admin" {
			t.Fatalf("the minted key belongs to %q <%s>, not to the creating key's owner", minted.APIKey.OwnerName, minted.APIKey.OwnerEmail)
		}
		t.Run("the body cannot name another owner", func(t *testing.T) {
			rec := a.call(models.RoleAdmin, http.MethodPost, "/v1/api-keys",
				map[string]any{"name": "x", "role": "admin", "owner_email": "someone@example.com"})
			if rec.Code < 400 {
				t.Fatalf("a key for another owner was created: %d %s", rec.Code, rec.Body.String())
			}
		})

		c := a.createContent(models.RoleAdmin, contentBody(models.KindEducation, 0))
		path := fmt.Sprintf("/v1/content/%d", c.ID)
		warnings := a.warnings(c.ID)
		wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, path+"/submit", nil), http.StatusOK)
		ack := map[string]any{"acknowledged_warnings": warnings}
		p := wantProblem(t, a.callWithKey(minted.Key, http.MethodPost, path+"/approve", ack), http.StatusForbidden)
		if !strings.Contains(p.Detail, "Four eyes") || !strings.Contains(p.Detail, "another person") {
			t.Errorf("detail %q does not name the four-eyes rule", p.Detail)
		}
		// Another person approves.
		wantStatus(t, a.callWithKey(a.secondAdmin(), http.MethodPost, path+"/approve", ack), http.StatusCreated)
	})
}

func TestAuditRecordsWhoDidWhat(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		start := time.Now().UTC().Add(-time.Hour)
		before := len(a.audit(nil, 500)) // the keys of newTestAPI
		other := a.secondAdmin()

		// Content: created, edited, submitted, rejected, approved, retired.
		c := a.createContent(models.RoleEditor, contentBody(models.KindEducation, 0))
		path := fmt.Sprintf("/v1/content/%d", c.ID)
		edited := contentBody(models.KindEducation, 0)
		edited["title"] = "Another title"
		wantStatus(t, a.call(models.RoleEditor, http.MethodPut, path, edited), http.StatusOK)
		wantStatus(t, a.call(models.RoleEditor, http.MethodPost, path+"/submit", nil), http.StatusOK)
		wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, path+"/reject", map[string]any{"reason": "too long"}), http.StatusOK)
		wantStatus(t, a.call(models.RoleEditor, http.MethodPost, path+"/submit", nil), http.StatusOK)
		wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, path+"/approve", map[string]any{"acknowledged_warnings": a.warnings(c.ID)}), http.StatusCreated)

		// Campaign: created, launched, paused, resumed, cancelled.
		a.campaignCustomer("audit-1", "audit", true, nil)
		camp := a.createCampaign(c.ID, a.groupSegment("audit"))
		cpath := fmt.Sprintf("/v1/campaigns/%d", camp.ID)
		for _, step := range []string{"launch", "pause", "resume", "cancel"} {
			wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, cpath+"/"+step, nil), http.StatusOK)
		}
		wantStatus(t, a.callWithKey(other, http.MethodPost, path+"/retire", nil), http.StatusOK)

		// Customer: exported, erased.
		rec := a.call(models.RoleEditor, http.MethodGet, "/v1/customers/audit-1", nil)
		wantStatus(t, rec, http.StatusOK)
		customer := decodeBody[models.Customer](t, rec)
		wantStatus(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/audit-1/export", nil), http.StatusOK)
		wantStatus(t, a.call(models.RoleEditor, http.MethodDelete, "/v1/customers/audit-1", nil), http.StatusNoContent)

		// API keys: created, revoked.
		rec = a.call(models.RoleAdmin, http.MethodPost, "/v1/api-keys", map[string]any{"name": "temp", "role": "viewer"})
		wantStatus(t, rec, http.StatusCreated)
		temp := decodeBody[createdAPIKey](t, rec).APIKey
		wantStatus(t, a.call(models.RoleAdmin, http.MethodDelete, fmt.Sprintf("/v1/api-keys/%d", temp.ID), nil), http.StatusNoContent)

		all := a.audit(url.Values{"since": {start.Format(time.RFC3339)}}, 3)[before:]
		want := []string{
			models.AuditAPIKeyCreated, // the second admin, made through the store without an actor
			models.AuditContentCreated, models.AuditContentEdited, models.AuditContentSubmitted, models.AuditContentRejected,
			models.AuditContentSubmitted, models.AuditContentApproved,
			models.AuditCampaignCreated, models.AuditCampaignLaunched, models.AuditCampaignPaused, models.AuditCampaignResumed,
			models.AuditCampaignCancel, models.AuditContentRetired,
			models.AuditCustomerExported, models.AuditCustomerErased,
			models.AuditAPIKeyCreated, models.AuditAPIKeyRevoked,
		}
		if got := actions(all); !slices.Equal(got, want) {
			t.Fatalf("audit actions (paged by 3):\n got %v\nwant %v", got, want)
		}
		if all[0].ActorName != "system" || all[0].ActorKeyID != nil {
			t.Errorf("an action without a key: actor %q key %v, want system", all[0].ActorName, all[0].ActorKeyID)
		}
		for _, e := range all[1:] {
			if e.ActorKeyID == nil || e.ActorEmail == "" || e.ActorName == "" {
				t.Errorf("%s has no actor: %+v", e.Action, e)
			}
		}
		if e := all[1]; e.ActorEmail != "test editor@example.com" || e.ResourceType != "content" || e.ResourceID != fmt.Sprint(c.ID) {
			t.Errorf("content.created: %+v", e)
		}
		if e := all[12]; e.ActorEmail != "second.admin@example.com" {
			t.Errorf("the retirement by the second admin is recorded as %q", e.ActorEmail)
		}
		if e, x := all[14], all[13]; e.ResourceType != "customer" || e.ResourceID == "" || e.ResourceID == "audit-1" || x.ResourceID != e.ResourceID {
			t.Errorf("customer.erased names %s:%s and the export %s:%s, want the same internal customer id", e.ResourceType, e.ResourceID, x.ResourceType, x.ResourceID)
		}

		t.Run("the trail holds no customer PII and survives erasure", func(t *testing.T) {
			raw := a.call(models.RoleAdmin, http.MethodGet, "/v1/audit?limit=500", nil).Body.String()
			for _, pii := range []string{"audit-1", customer.Email} {
				if pii != "" && strings.Contains(raw, pii) {
					t.Errorf("the audit trail contains %q", pii)
				}
			}
		})
		t.Run("filters", func(t *testing.T) {
			for _, tt := range []struct {
				q    url.Values
				want []string
			}{
				{url.Values{"actor": {"second.admin@example.com"}}, []string{models.AuditContentRetired}},
				{url.Values{"action": {models.AuditContentSubmitted}}, []string{models.AuditContentSubmitted, models.AuditContentSubmitted}},
				{url.Values{"resource": {"campaign"}}, []string{models.AuditCampaignCreated, models.AuditCampaignLaunched,
					models.AuditCampaignPaused, models.AuditCampaignResumed, models.AuditCampaignCancel}},
				{url.Values{"resource": {fmt.Sprintf("api_key:%d", temp.ID)}}, []string{models.AuditAPIKeyCreated, models.AuditAPIKeyRevoked}},
				{url.Values{"until": {start.Format(time.RFC3339)}}, nil},
				{url.Values{"actor": {"test viewer@example.com"}, "action": {models.AuditCustomerExported}}, []string{models.AuditCustomerExported}},
				{url.Values{"since": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}}, nil},
			} {
				if got := actions(a.audit(tt.q, 2)); !slices.Equal(got, tt.want) {
					t.Errorf("%s: got %v, want %v", tt.q.Encode(), got, tt.want)
				}
			}
		})
		t.Run("bad filters are a 422 naming the parameter", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleAdmin, http.MethodGet, "/v1/audit?since=yesterday", nil), http.StatusUnprocessableEntity, "since format")
			wantProblem(t, a.call(models.RoleAdmin, http.MethodGet, "/v1/audit?until=2026-13-01", nil), http.StatusUnprocessableEntity, "until format")
			wantProblem(t, a.call(models.RoleAdmin, http.MethodGet, "/v1/audit?resource=:1", nil), http.StatusUnprocessableEntity, "resource format")
		})
		t.Run("only admins read the trail", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleEditor, http.MethodGet, "/v1/audit", nil), http.StatusForbidden)
		})
		t.Run("the trail is append-only in the database", func(t *testing.T) {
			db := a.store.DB()
			if err := db.Exec("UPDATE audit SET actor_email = 'forged@example.com'").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("UPDATE audit: %v", err)
			}
			if err := db.Exec("DELETE FROM audit").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("DELETE FROM audit: %v", err)
			}
			if got := len(a.audit(nil, 500)) - before; got != len(want) {
				t.Errorf("the trail holds %d entries after the attempts, want %d", got, len(want))
			}
		})
	})
}
