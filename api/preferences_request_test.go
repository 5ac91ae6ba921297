package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// requestForm opens the content page of ext for content and returns its
// "send it to me" form.
func (a *testAPI) requestForm(ext string, content int64) *htmlForm {
	a.tb.Helper()
	_, prefs := a.linkPaths(ext)
	return a.getPage(fmt.Sprintf("%s/content/%d", prefs, content), http.StatusOK).form("/request")
}

// contentDeliveries counts ext's deliveries of content by status.
func (a *testAPI) contentDeliveries(ext string, content int64) map[string]int {
	a.tb.Helper()
	var rows []struct {
		Status string
		N      int
	}
	err := a.store.DB().Raw("SELECT d.status, COUNT(*) AS n FROM deliveries d JOIN customers c ON c.id = d.customer_id "+
		"WHERE c.external_id = ? AND d.content_id = ? GROUP BY d.status", ext, content).Scan(&rows).Error
	if err != nil {
		a.tb.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}

func TestContentOnRequest(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		content := a.approvedContent(contentBody(models.KindEducation, 0))
		a.campaignCustomer("asker", "main", true, nil)
		form := a.requestForm("asker", content)

		t.Run("asking plans one delivery through the preferred channel", func(t *testing.T) {
			rec := a.submit(form)
			wantStatus(t, rec, http.StatusOK)
			if body := text(parsePage(t, form.action, rec).doc); !strings.Contains(body, "We will send it by Email on") {
				t.Errorf("the answer does not say when:\n%s", body)
			}
			if got := a.contentDeliveries("asker", content); got["planned"] != 1 || len(got) != 1 {
				t.Errorf("deliveries = %v, want one planned", got)
			}
		})
		t.Run("the same form submitted again plans nothing more", func(t *testing.T) {
			rec := a.submit(form)
			wantStatus(t, rec, http.StatusOK)
			if body := text(parsePage(t, form.action, rec).doc); !strings.Contains(body, "You already asked for this") {
				t.Errorf("the second answer does not say it was asked already:\n%s", body)
			}
			if got := a.contentDeliveries("asker", content); got["planned"] != 1 || len(got) != 1 {
				t.Errorf("deliveries = %v, want still one planned", got)
			}
		})
		t.Run("the page then says it is on its way and offers no second request", func(t *testing.T) {
			_, prefs := a.linkPaths("asker")
			p := a.getPage(fmt.Sprintf("%s/content/%d", prefs, content), http.StatusOK)
			if !strings.Contains(text(p.doc), "It is on its way") {
				t.Errorf("the page does not say it is on its way:\n%s", text(p.doc))
			}
			if strings.Contains(p.body, `/request"`) {
				t.Error("the page still offers to send it")
			}
		})
		t.Run("the request is not an operators' campaign and writes its event", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, "/v1/campaigns", nil)
			wantStatus(t, rec, http.StatusOK)
			if strings.Contains(rec.Body.String(), "request: content") {
				t.Errorf("the campaign list shows the request: %s", rec.Body.String())
			}
			var n int64
			if err := a.store.DB().Raw("SELECT COUNT(*) FROM events WHERE type = ?", string(models.EventContentRequested)).Scan(&n).Error; err != nil || n != 1 {
				t.Errorf("%d content.requested events (%v), want 1", n, err)
			}
		})
		t.Run("a form for content received meanwhile sends no second copy", func(t *testing.T) {
			a.campaignCustomer("reader", "readers", true, nil)
			stale := a.requestForm("reader", content)
			camp := a.createCampaign(content, a.groupSegment("readers"))
			wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, fmt.Sprintf("/v1/campaigns/%d/launch", camp.ID), nil), http.StatusOK)
			sentAt := time.Date(2026, 3, 12, 10, 0, 0, 0, time.UTC)
			if err := a.store.DB().Exec("UPDATE deliveries SET status = 'sent', sent_at = ? WHERE campaign_id = ?", sentAt, camp.ID).Error; err != nil {
				t.Fatal(err)
			}
			rec := a.submit(stale)
			wantStatus(t, rec, http.StatusOK)
			if body := text(parsePage(t, stale.action, rec).doc); !strings.Contains(body, "You already received this on 12 March 2026 by Email") {
				t.Errorf("the answer does not warn:\n%s", body)
			}
			if got := a.contentDeliveries("reader", content); got["sent"] != 1 || len(got) != 1 {
				t.Errorf("deliveries = %v, want only the one sent", got)
			}
		})
		t.Run("a customer without windows is told why and nothing is planned", func(t *testing.T) {
			a.campaignCustomer("nowindow", "main", true, func(body map[string]any) { body["preferred_windows"] = []any{} })
			rec := a.submit(a.requestForm("nowindow", content))
			wantStatus(t, rec, http.StatusConflict)
			if body := text(parsePage(t, "", rec).doc); !strings.Contains(body, "you have not chosen days and times") {
				t.Errorf("the refusal does not say why:\n%s", body)
			}
			if got := a.contentDeliveries("nowindow", content); len(got) != 0 {
				t.Errorf("deliveries = %v, want none", got)
			}
		})
		t.Run("a forged form token is refused", func(t *testing.T) {
			a.campaignCustomer("forger", "main", true, nil)
			f := a.requestForm("forger", content)
			f.values.Set("csrf", "AAAA"+f.values.Get("csrf")[4:])
			wantStatus(t, a.submit(f), http.StatusForbidden)
			if got := a.contentDeliveries("forger", content); len(got) != 0 {
				t.Errorf("deliveries = %v, want none", got)
			}
		})
		t.Run("content the page does not offer cannot be asked for", func(t *testing.T) {
			f := a.requestForm("forger", content)
			wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/forger/consents/technology-alternatives",
				map[string]any{"status": "opted_out"}), http.StatusOK)
			wantStatus(t, a.submit(f), http.StatusNotFound)
			if got := a.contentDeliveries("forger", content); len(got) != 0 {
				t.Errorf("deliveries = %v, want none", got)
			}
		})
	})
}

func TestContentRequestsAreBounded(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		a.campaignCustomer("eager", "main", true, nil)
		var forms []*htmlForm
		for range models.MaxOpenRequests + 1 {
			forms = append(forms, a.requestForm("eager", a.approvedContent(contentBody(models.KindEducation, 0))))
		}
		for i, f := range forms[:models.MaxOpenRequests] {
			if rec := a.submit(f); rec.Code != http.StatusOK {
				t.Fatalf("request %d: %d %s", i+1, rec.Code, rec.Body.String())
			}
		}
		rec := a.submit(forms[models.MaxOpenRequests])
		wantStatus(t, rec, http.StatusConflict)
		if body := text(parsePage(t, "", rec).doc); !strings.Contains(body, "are still waiting to be sent") {
			t.Errorf("the refusal does not say why:\n%s", body)
		}
	})
}
