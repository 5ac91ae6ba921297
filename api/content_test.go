package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

const plainText = "We changed how invoices work. You can now pay by bank transfer. The fee is the same as before. If you have questions, reply to this email and a person will answer. We read every reply."

// contentBody returns a valid body of the given kind; corrects is used by
// kind correction.
func contentBody(kind models.ContentKind, corrects int64) map[string]any {
	body := map[string]any{
		"kind": kind, "topic": "technology-alternatives", "title": "Paying by bank transfer",
		"summary": "How it works.", "default_locale": "en",
		"variants": []map[string]any{
			{"locale": "en", "channel": "email", "subject": "Hi {{.Customer.Name}}", "text": "Dear {{.Customer.Name}}, " + plainText,
				"html": "<p>Dear {{.Customer.Name}},</p><p>" + plainText + "</p>"},
			{"locale": "de", "channel": "sms", "text": "Sie können jetzt per Überweisung zahlen."},
		},
		"sources": []map[string]any{{"title": "Fee table", "url": "https://example.org/fees", "accessed_at": "2026-01-05T10:00:00Z"}},
	}
	switch kind {
	case models.KindCompetitorComparison:
		body["topic"] = "competitor-comparisons"
		body["competitors"] = []string{"Acme Mail"}
		body["points"] = []map[string]any{
			{"aspect": "Price", "ours": "9 EUR", "theirs": "7 EUR", "verdict": "theirs_better", "source": "https://acme.example/pricing"},
			{"aspect": "Export", "ours": "CSV, JSON", "theirs": "CSV", "verdict": "ours_better", "source": "https://acme.example/docs"},
		}
	case models.KindPricingGuide:
		body["topic"] = "pricing-guides"
		body["as_of"] = time.Now().UTC().AddDate(0, 0, -7).Format(time.DateOnly)
		body["prices"] = []map[string]any{{"vendor": "Acme", "plan": "Team", "amount": "29.00", "currency": "EUR", "period": "month",
			"includes": []string{"5 seats"}, "source": "https://acme.example/pricing"}}
	case models.KindRoadmap:
		body["topic"] = "product-roadmap"
	case models.KindCorrection:
		body["corrects"] = corrects
	}
	return body
}

// createContent posts a body with role's key and returns the content.
func (a *testAPI) createContent(role models.Role, body any) *models.Content {
	a.tb.Helper()
	rec := a.call(role, http.MethodPost, "/v1/content", body)
	wantStatus(a.tb, rec, http.StatusCreated)
	return decodeBody[*models.Content](a.tb, rec)
}

// warnings returns the rule ids of the current warnings of content id.
func (a *testAPI) warnings(id int64) []string {
	a.tb.Helper()
	rec := a.call(models.RoleEditor, http.MethodPost, fmt.Sprintf("/v1/content/%d/check", id), nil)
	wantStatus(a.tb, rec, http.StatusOK)
	var rules []string
	for _, f := range decodeBody[findingsResponse](a.tb, rec).Findings {
		if f.Severity == models.SeverityError {
			a.tb.Fatalf("content %d has an error finding: %+v", id, f)
		}
		rules = append(rules, f.Rule)
	}
	return rules
}

// secondAdmin creates another admin key, for four-eyes approvals.
func (a *testAPI) secondAdmin() string {
	a.tb.Helper()
	_, plain, err := a.store.CreateAPIKey(context.Background(), &models.APIKeyInput{Name: "second admin", Role: models.RoleAdmin, OwnerName: "second admin", OwnerEmail: "second.admin@example.com"})
	if err != nil {
		a.tb.Fatal(err)
	}
	return plain
}

func TestContentOfEveryKindGoesThroughTheWorkflow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		first := a.createContent(models.RoleEditor, contentBody(models.KindEducation, 0))
		for _, kind := range models.ContentKinds {
			t.Run(string(kind)+" content is created, checked, rendered, approved by another admin and retired", func(t *testing.T) {
				c := a.createContent(models.RoleEditor, contentBody(kind, first.ID))
				path := fmt.Sprintf("/v1/content/%d", c.ID)
				if c.State != models.ContentDraft || c.Version != 1 || c.Kind != kind {
					t.Fatalf("created: %+v", c)
				}
				warnings := a.warnings(c.ID)

				rec := a.call(models.RoleEditor, http.MethodPost, path+"/render",
					map[string]any{"sample": map[string]any{"name": "Ada"}, "channel": "email", "locale": "en-GB"})
				wantStatus(t, rec, http.StatusOK)
				msg := decodeBody[content.Message](t, rec)
				if msg.Subject != "Hi Ada" || !strings.Contains(msg.Text, "/u/") || !strings.Contains(msg.HTML, "/p/") {
					t.Errorf("rendered: %+v", msg)
				}

				wantStatus(t, a.call(models.RoleEditor, http.MethodPost, path+"/submit", nil), http.StatusOK)
				rec = a.call(models.RoleAdmin, http.MethodPost, path+"/approve", map[string]any{"acknowledged_warnings": warnings})
				wantStatus(t, rec, http.StatusCreated)
				v := decodeBody[models.ContentVersion](t, rec)
				if v.Version != 1 || v.Kind != kind {
					t.Errorf("approved version: %+v", v)
				}
				if len(warnings) > 0 && len(v.AcknowledgedWarnings) == 0 {
					t.Errorf("acknowledged warnings %v were not recorded", warnings)
				}

				rec = a.call(models.RoleViewer, http.MethodGet, path+"/versions", nil)
				wantStatus(t, rec, http.StatusOK)
				if list := decodeBody[list[models.ContentVersion]](t, rec); len(list.Items) != 1 {
					t.Errorf("versions: %+v", list)
				}
				rec = a.call(models.RoleAdmin, http.MethodPost, path+"/retire", nil)
				wantStatus(t, rec, http.StatusOK)
				if got := decodeBody[models.Content](t, rec); got.State != models.ContentRetired {
					t.Errorf("after retire: %+v", got)
				}
			})
		}
	})
}

func TestContentIsValidatedAtSaveTime(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		tests := []struct {
			name   string
			change func(body map[string]any)
			want   []string
		}{
			{"a template with an unknown variable names the variant field", func(b map[string]any) {
				b["variants"].([]map[string]any)[0]["text"] = "Your email is {{.Customer.Email}}"
			}, []string{"/variants/0/text template"}},
			{"a template that does not parse names the variant field", func(b map[string]any) {
				b["variants"].([]map[string]any)[1]["text"] = "Hallo {{.Customer.Name"
			}, []string{"/variants/1/text template"}},
			{"an unknown kind and topic are refused together", func(b map[string]any) {
				b["kind"], b["topic"] = "advert", "Not A Key"
			}, []string{"/kind enum", "/topic format"}},
			{"a topic that does not exist is refused", func(b map[string]any) { b["topic"] = "no-such-topic" }, []string{"/topic exists"}},
			{"an unknown field is refused", func(b map[string]any) { b["priority"] = "high" }, []string{"/priority unknown_field"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				body := contentBody(models.KindEducation, 0)
				tt.change(body)
				wantProblem(t, a.call(models.RoleEditor, http.MethodPost, "/v1/content", body), http.StatusUnprocessableEntity, tt.want...)
			})
		}
	})
}

func TestApprovalNeedsFourEyesNoErrorsAndEveryWarning(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		other := a.secondAdmin()
		hype := contentBody(models.KindEducation, 0)
		hype["variants"].([]map[string]any)[0]["text"] = "Our revolutionary transfer feature. " + plainText
		c := a.createContent(models.RoleAdmin, hype)
		path := fmt.Sprintf("/v1/content/%d", c.ID)
		wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, path+"/submit", nil), http.StatusOK)
		warnings := a.warnings(c.ID)
		if !slices.Contains(warnings, "language.hype") {
			t.Fatalf("warnings %v lack language.hype", warnings)
		}
		ack := map[string]any{"acknowledged_warnings": warnings}
		allButHype := slices.DeleteFunc(slices.Clone(warnings), func(r string) bool { return r == "language.hype" })

		t.Run("the admin who last edited the content cannot approve it", func(t *testing.T) {
			p := wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, path+"/approve", ack), http.StatusForbidden)
			if !strings.Contains(p.Detail, "Four eyes") {
				t.Errorf("detail %q does not explain the four-eyes rule", p.Detail)
			}
		})
		t.Run("an approval that misses a warning is refused naming it", func(t *testing.T) {
			p := wantProblem(t, a.callWithKey(other, http.MethodPost, path+"/approve", map[string]any{"acknowledged_warnings": allButHype}),
				http.StatusUnprocessableEntity, "/acknowledged_warnings unacknowledged_warning")
			if !strings.Contains(p.Detail, "language.hype") {
				t.Errorf("detail %q does not name the warning", p.Detail)
			}
		})
		t.Run("a second admin who acknowledges every warning approves it", func(t *testing.T) {
			rec := a.callWithKey(other, http.MethodPost, path+"/approve", ack)
			wantStatus(t, rec, http.StatusCreated)
			if v := decodeBody[models.ContentVersion](t, rec); !cmp.Equal(v.AcknowledgedWarnings, slices.Compact(slices.Sorted(slices.Values(warnings)))) {
				t.Errorf("acknowledged = %v", v.AcknowledgedWarnings)
			}
		})
		t.Run("an approval of content with error findings is refused with the findings", func(t *testing.T) {
			body := contentBody(models.KindCompetitorComparison, 0)
			body["points"] = []map[string]any{{"aspect": "Price", "verdict": "ours_better"}}
			c := a.createContent(models.RoleEditor, body)
			path := fmt.Sprintf("/v1/content/%d", c.ID)
			wantStatus(t, a.call(models.RoleEditor, http.MethodPost, path+"/submit", nil), http.StatusOK)
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, path+"/approve", map[string]any{}), http.StatusUnprocessableEntity,
				"/points comparison.one_sided", "/points/0/source comparison.point_without_source")
		})
		t.Run("content that is not in review cannot be approved", func(t *testing.T) {
			c := a.createContent(models.RoleEditor, contentBody(models.KindEducation, 0))
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, fmt.Sprintf("/v1/content/%d/approve", c.ID), map[string]any{}), http.StatusConflict)
		})
	})
}

func TestEditingApprovedContentOpensANewVersion(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		c := a.createContent(models.RoleEditor, contentBody(models.KindEducation, 0))
		path := fmt.Sprintf("/v1/content/%d", c.ID)
		wantStatus(t, a.call(models.RoleEditor, http.MethodPost, path+"/submit", nil), http.StatusOK)
		wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, path+"/approve", map[string]any{"acknowledged_warnings": a.warnings(c.ID)}), http.StatusCreated)

		body := contentBody(models.KindEducation, 0)
		body["title"] = "Paying by SEPA transfer"
		rec := a.call(models.RoleEditor, http.MethodPut, path, body)
		wantStatus(t, rec, http.StatusOK)
		if got := decodeBody[models.Content](t, rec); got.State != models.ContentDraft || got.Version != 2 || got.ApprovedVersion != 1 {
			t.Fatalf("after edit: %+v", got)
		}
		rec = a.call(models.RoleViewer, http.MethodGet, path+"/versions/1", nil)
		wantStatus(t, rec, http.StatusOK)
		if v := decodeBody[models.ContentVersion](t, rec); v.Title != "Paying by bank transfer" {
			t.Errorf("version 1 title = %q, want the approved one", v.Title)
		}
		wantProblem(t, a.call(models.RoleViewer, http.MethodGet, path+"/versions/2", nil), http.StatusNotFound)

		t.Run("a rejection returns it to draft with the reason", func(t *testing.T) {
			wantStatus(t, a.call(models.RoleEditor, http.MethodPost, path+"/submit", nil), http.StatusOK)
			wantProblem(t, a.call(models.RoleAdmin, http.MethodPost, path+"/reject", map[string]any{"reason": ""}), http.StatusUnprocessableEntity, "/reason length")
			rec := a.call(models.RoleAdmin, http.MethodPost, path+"/reject", map[string]any{"reason": "Cite the fee table."})
			wantStatus(t, rec, http.StatusOK)
			if got := decodeBody[models.Content](t, rec); got.State != models.ContentDraft || got.RejectReason != "Cite the fee table." {
				t.Errorf("after reject: %+v", got)
			}
		})
	})
}

func TestRenderForACustomer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-render") // en-GB, email, "Ada Lovelace"
		cust, err := a.store.Customer(context.Background(), "crm-render")
		if err != nil {
			t.Fatal(err)
		}
		c := a.createContent(models.RoleEditor, contentBody(models.KindEducation, 0))
		path := fmt.Sprintf("/v1/content/%d/render", c.ID)
		prefs := "https://candor.example/p/" + a.keys.CustomerToken(secrets.PurposePreferences, cust.ID, 0)
		unsub := "https://candor.example/u/" + a.keys.CustomerToken(secrets.PurposeUnsubscribe, cust.ID, 0)

		t.Run("the customer's channel and locale pick the variant and the links are theirs", func(t *testing.T) {
			rec := a.call(models.RoleEditor, http.MethodPost, path, map[string]any{"external_id": "crm-render"})
			wantStatus(t, rec, http.StatusOK)
			msg := decodeBody[content.Message](t, rec)
			if msg.Channel != models.ChannelEmail || msg.Locale != "en" || msg.Subject != "Hi Ada Lovelace" {
				t.Errorf("message: %+v", msg)
			}
			if msg.PreferencesURL != prefs || msg.UnsubscribeURL != unsub || !strings.HasSuffix(msg.Text, "Unsubscribe: "+unsub) {
				t.Errorf("links: %q %q; text %q", msg.PreferencesURL, msg.UnsubscribeURL, msg.Text)
			}
			if msg.Headers["List-Unsubscribe"] != "<"+unsub+">" {
				t.Errorf("headers: %v", msg.Headers)
			}
		})
		t.Run("an Austrian SMS falls back to the German variant", func(t *testing.T) {
			rec := a.call(models.RoleEditor, http.MethodPost, path, map[string]any{"external_id": "crm-render", "channel": "sms", "locale": "de-AT"})
			wantStatus(t, rec, http.StatusOK)
			if msg := decodeBody[content.Message](t, rec); msg.Locale != "de" || msg.SMS == nil || !strings.Contains(msg.Text, "Abmelden: "+unsub) {
				t.Errorf("message: %+v", msg)
			}
		})
		tests := []struct {
			name   string
			body   map[string]any
			status int
			fields []string
		}{
			{"an unknown customer is not found", map[string]any{"external_id": "crm-nobody"}, http.StatusNotFound, nil},
			{"a customer and sample data together are refused", map[string]any{"external_id": "crm-render", "sample": map[string]any{}}, http.StatusUnprocessableEntity, []string{"/sample exclusive"}},
			{"neither customer nor sample is refused", map[string]any{"channel": "email"}, http.StatusUnprocessableEntity, []string{"/external_id required"}},
			{"a channel without a variant is refused", map[string]any{"sample": map[string]any{}, "channel": "webhook"}, http.StatusUnprocessableEntity, []string{"/channel no_variant"}},
			{"an approved version that does not exist is not found", map[string]any{"sample": map[string]any{}, "channel": "email", "version": 3}, http.StatusNotFound, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, a.call(models.RoleEditor, http.MethodPost, path, tt.body), tt.status, tt.fields...)
			})
		}
		wantProblem(t, a.call(models.RoleEditor, http.MethodPost, "/v1/content/999999/render", map[string]any{"sample": map[string]any{}, "channel": "email"}), http.StatusNotFound)
	})
}
