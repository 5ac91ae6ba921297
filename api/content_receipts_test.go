package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/candor/candor/models"
)

func TestYouAlreadyHaveThis(t *testing.T) {
	forEachCampaignBackend(t, func(t *testing.T, a *testAPI) {
		content := a.approvedContent(contentBody(models.KindEducation, 0))
		a.campaignCustomer("reader", "main", true, nil)
		a.campaignCustomer("newcomer", "other", true, nil)
		camp := a.createCampaign(content, a.groupSegment("main"))
		wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, fmt.Sprintf("/v1/campaigns/%d/launch", camp.ID), nil), http.StatusOK)
		sentAt := time.Date(2026, 3, 12, 10, 0, 0, 0, time.UTC)
		if err := a.store.DB().Exec("UPDATE deliveries SET status = 'sent', sent_at = ?", sentAt).Error; err != nil {
			t.Fatal(err)
		}
		receiptPath := fmt.Sprintf("/v1/customers/%%s/content/%d", content)

		t.Run("the CRM learns when and how the customer received it", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, fmt.Sprintf(receiptPath, "reader"), nil)
			wantStatus(t, rec, http.StatusOK)
			r := decodeBody[models.ContentReceipt](t, rec)
			if r.ReceivedAt == nil || !r.ReceivedAt.Equal(sentAt) || r.Channel != models.ChannelEmail || r.Version != 1 {
				t.Errorf("receipt = %+v, want received %v by email, version 1", r, sentAt)
			}
		})
		t.Run("a customer who did not receive it gets the version only", func(t *testing.T) {
			rec := a.call(models.RoleViewer, http.MethodGet, fmt.Sprintf(receiptPath, "newcomer"), nil)
			wantStatus(t, rec, http.StatusOK)
			if r := decodeBody[models.ContentReceipt](t, rec); r.ReceivedAt != nil || r.Version != 1 {
				t.Errorf("receipt = %+v", r)
			}
		})
		t.Run("unknown content is not found", func(t *testing.T) {
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/reader/content/999999", nil), http.StatusNotFound)
		})

		// offer finds the page's link to the content and its list item text.
		offer := func(t *testing.T, ext string) (string, string) {
			t.Helper()
			p := a.getPage(a.preferencesPath(ext), http.StatusOK)
			for _, l := range all(p.doc, tag("a")) {
				if h, _ := attr(l, "href"); strings.HasSuffix(h, fmt.Sprintf("/content/%d", content)) {
					u, err := url.Parse(h)
					if err != nil {
						t.Fatal(err)
					}
					return u.Path, text(l.Parent)
				}
			}
			t.Fatalf("the page of %s does not offer content %d:\n%s", ext, content, text(p.doc))
			return "", ""
		}
		t.Run("the page warns before the customer asks", func(t *testing.T) {
			_, item := offer(t, "reader")
			if want := "You already received this on 12 March 2026 by Email."; !strings.Contains(item, want) {
				t.Errorf("offer %q lacks %q", item, want)
			}
			if _, item := offer(t, "newcomer"); strings.Contains(item, "already received") {
				t.Errorf("newcomer's offer says %q", item)
			}
		})
		t.Run("reading it in the browser says so first and shows it", func(t *testing.T) {
			path, _ := offer(t, "reader")
			p := a.getPage(path, http.StatusOK)
			notes := all(p.doc, func(n *html.Node) bool { r, _ := attr(n, "role"); return r == "note" })
			if len(notes) == 0 || !strings.Contains(text(notes[0]), "You already received this on 12 March 2026 by Email.") {
				t.Errorf("no receipt note:\n%s", text(p.doc))
			}
			if !strings.Contains(text(p.doc), "Dear Ada Lovelace") {
				t.Errorf("the content is not shown:\n%s", text(p.doc))
			}
		})
		t.Run("content on a topic the customer did not choose is not offered", func(t *testing.T) {
			wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/newcomer/consents/technology-alternatives",
				map[string]any{"status": "opted_out"}), http.StatusOK)
			_, prefs := a.linkPaths("newcomer")
			a.getPage(fmt.Sprintf("%s/content/%d", prefs, content), http.StatusNotFound)
		})
	})
}
