package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/candor/candor/models"
)

// preferencesPath returns the path of the customer's preference link.
func (a *testAPI) preferencesPath(externalID string) string {
	a.tb.Helper()
	_, prefs := a.linkPaths(externalID)
	return prefs
}

// profile reads a customer through the API.
func (a *testAPI) profile(externalID string) *models.Customer {
	a.tb.Helper()
	rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/"+externalID, nil)
	wantStatus(a.tb, rec, http.StatusOK)
	return decodeBody[*models.Customer](a.tb, rec)
}

func TestPreferenceCenterPageIsAccessible(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		p := a.getPage(a.preferencesPath("crm-1"), http.StatusOK)

		t.Run("the document states its language", func(t *testing.T) {
			if lang, _ := attr(all(p.doc, tag("html"))[0], "lang"); lang == "" {
				t.Error("<html> has no lang attribute")
			}
		})
		t.Run("every form control has a label", func(t *testing.T) {
			labels := map[string]bool{}
			for _, l := range all(p.doc, tag("label")) {
				if f, ok := attr(l, "for"); ok {
					labels[f] = true
				}
			}
			controls := all(p.doc, func(n *html.Node) bool {
				typ, _ := attr(n, "type")
				return (n.Data == "input" && typ != "hidden") || n.Data == "select" || n.Data == "textarea"
			})
			if len(controls) == 0 {
				t.Fatal("the page has no form controls")
			}
			for _, c := range controls {
				id, _ := attr(c, "id")
				if !labels[id] {
					name, _ := attr(c, "name")
					t.Errorf("control %s (id %q) has no <label for>", name, id)
				}
			}
		})
		t.Run("every fieldset has a legend", func(t *testing.T) {
			for _, fs := range all(p.doc, tag("fieldset")) {
				if len(all(fs, tag("legend"))) == 0 {
					t.Errorf("fieldset without legend: %s", text(fs))
				}
			}
		})
		t.Run("it needs no JavaScript", func(t *testing.T) {
			if n := len(all(p.doc, tag("script"))); n > 0 {
				t.Errorf("%d script elements", n)
			}
		})
		t.Run("each topic shows its plain-language description", func(t *testing.T) {
			body := text(p.doc)
			topics, _, err := a.store.Topics(t.Context(), models.Page{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, tp := range topics {
				if !strings.Contains(body, tp.Name) || !strings.Contains(body, tp.Description) {
					t.Errorf("topic %s: name or description missing", tp.Key)
				}
			}
		})
		t.Run("only channels with a known address are offered", func(t *testing.T) {
			var got []string
			for _, r := range all(p.doc, func(n *html.Node) bool { name, _ := attr(n, "name"); return name == "channel" }) {
				v, _ := attr(r, "value")
				got = append(got, v)
			}
			// crm-1 has an email address and no phone; the webhook
			// channel addresses customers by external id.
			if diff := cmp.Diff([]string{"email", "webhook"}, got); diff != "" {
				t.Errorf("channels (-want +got):\n%s", diff)
			}
		})
		t.Run("the form shows the current settings", func(t *testing.T) {
			v := p.form("").values
			want := map[string]string{"channel": "email", "timezone": "Europe/London", "windows": "mon,tue 09:00-12:00", "cadence_max": "2", "cadence_per": "7d"}
			for k, w := range want {
				if got := v.Get(k); got != w {
					t.Errorf("%s = %q, want %q", k, got, w)
				}
			}
		})
		t.Run("the page is kept out of caches and referrers", func(t *testing.T) {
			rec := a.serve(httptest.NewRequest(http.MethodGet, p.path, nil))
			for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
				if got := rec.Header().Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	})
}

func TestPreferenceCenterSavesThroughTheLedger(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/product-roadmap",
			map[string]any{"status": "opted_in"}), http.StatusOK)
		before := a.profile("crm-1")
		path := a.preferencesPath("crm-1")
		f := a.getPage(path, http.StatusOK).form("")
		f.values["topic"] = []string{"pricing-guides"} // roadmap unticked, pricing ticked
		f.values.Set("channel", "webhook")
		f.values.Set("timezone", "Europe/Berlin")
		f.values.Set("windows", "mon-fri 18:00-21:00; sat 10:00-12:00")
		f.values.Set("cadence_max", "1")
		f.values.Set("cadence_per", "30d")
		rec := a.submit(f)
		wantStatus(t, rec, http.StatusSeeOther)
		loc, err := url.Parse(rec.Header().Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		next := (&url.URL{Path: path}).ResolveReference(loc)

		t.Run("the answer leads back to the page, which says it saved", func(t *testing.T) {
			page := a.getPage(next.String(), http.StatusOK)
			if !strings.Contains(text(page.doc), "Your preferences are saved.") {
				t.Errorf("no notice on %s", next)
			}
		})
		t.Run("the profile changed and its preference version moved on", func(t *testing.T) {
			after := a.profile("crm-1")
			got := []any{after.PreferredChannel, after.Timezone, models.FormatWindowsSpec(after.PreferredWindows), *after.Cadence}
			want := []any{models.ChannelWebhook, "Europe/Berlin", "mon,tue,wed,thu,fri 18:00-21:00; sat 10:00-12:00", models.Cadence{Max: 1, Per: "30d"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("profile (-want +got):\n%s", diff)
			}
			if after.PreferenceVersion <= before.PreferenceVersion {
				t.Errorf("preference version %d, was %d", after.PreferenceVersion, before.PreferenceVersion)
			}
			if after.Email != before.Email || after.Name != before.Name {
				t.Error("fields the form does not show were changed")
			}
		})
		t.Run("each consent change is in the ledger with the page as evidence", func(t *testing.T) {
			h := a.history("crm-1")
			type change struct {
				Topic  string
				Status models.ConsentStatus
				Source models.ConsentSource
				Form   string
				UA     string
			}
			var got []change
			for _, e := range h[1:] {
				got = append(got, change{e.Topic, e.Status, e.Source, e.Evidence.FormVersion, e.Evidence.UserAgent})
			}
			want := []change{
				{"pricing-guides", models.ConsentOptedIn, models.SourcePreferenceCenter, preferencesPageVersion, "candor-test-browser/1.0"},
				{"product-roadmap", models.ConsentOptedOut, models.SourcePreferenceCenter, preferencesPageVersion, "candor-test-browser/1.0"},
			}
			slices.SortFunc(got, func(a, b change) int { return strings.Compare(a.Topic, b.Topic) })
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ledger (-want +got):\n%s", diff)
			}
		})
		t.Run("the same form replayed changes nothing", func(t *testing.T) {
			n := len(a.history("crm-1"))
			wantStatus(t, a.submit(f), http.StatusConflict)
			if got := len(a.history("crm-1")); got != n {
				t.Errorf("replay wrote %d events", got-n)
			}
		})
	})
}

func TestPreferenceCenterRejectsBadForms(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		a.putCustomer("crm-2")
		path := a.preferencesPath("crm-1")
		otherForm := a.getPage(a.preferencesPath("crm-2"), http.StatusOK).form("")
		before := a.profile("crm-1")

		tests := []struct {
			name    string
			change  func(v url.Values)
			status  int
			field   string // the field the page marks
			display string // text the page must show (escaped)
		}{
			{"a script in the windows field is rejected and shown as text", func(v url.Values) { v.Set("windows", "<script>alert(1)</script>") },
				http.StatusUnprocessableEntity, "windows", "<script>alert(1)</script>"},
			{"an oversized windows value is rejected", func(v url.Values) { v.Set("windows", strings.Repeat("mon 09:00-10:00;", 100)) },
				http.StatusUnprocessableEntity, "windows", ""},
			{"overlapping windows are rejected", func(v url.Values) { v.Set("windows", "mon 09:00-12:00; mon 11:00-13:00") },
				http.StatusUnprocessableEntity, "windows", ""},
			{"an unknown time zone is rejected", func(v url.Values) { v.Set("timezone", "Mars/Olympus") },
				http.StatusUnprocessableEntity, "timezone", ""},
			{"a channel without an address is rejected", func(v url.Values) { v.Set("channel", "sms") },
				http.StatusUnprocessableEntity, "channel", ""},
			{"a channel that does not exist is rejected", func(v url.Values) { v.Set("channel", "pigeon") },
				http.StatusUnprocessableEntity, "channel", ""},
			{"a cadence that is not a number is rejected", func(v url.Values) { v.Set("cadence_max", "lots") },
				http.StatusUnprocessableEntity, "cadence_max", "lots"},
			{"a cadence above 100 is rejected", func(v url.Values) { v.Set("cadence_max", "1000") },
				http.StatusUnprocessableEntity, "cadence_max", ""},
			{"a cadence period the form does not offer is rejected", func(v url.Values) { v.Set("cadence_per", "1h") },
				http.StatusUnprocessableEntity, "cadence_per", ""},
			{"a topic that does not exist is rejected", func(v url.Values) { v.Add("topic", "no-such-topic") },
				http.StatusUnprocessableEntity, "topics", ""},
			{"a form without its token is refused", func(v url.Values) { v.Del("csrf") }, http.StatusForbidden, "", ""},
			{"a form with a forged token is refused", func(v url.Values) { v.Set("csrf", "AAAAAAAAAAAAAAAAAAAAAA") }, http.StatusForbidden, "", ""},
			{"another customer's form token is refused", func(v url.Values) { v.Set("csrf", otherForm.values.Get("csrf")) }, http.StatusForbidden, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := a.getPage(path, http.StatusOK).form("")
				tt.change(f.values)
				rec := a.submit(f)
				wantStatus(t, rec, tt.status)
				p := parsePage(t, path, rec)
				if strings.Contains(rec.Body.String(), "<script>") {
					t.Error("the answer contains raw input as markup")
				}
				if tt.field != "" {
					if !slices.ContainsFunc(all(p.doc, tag("a")), func(n *html.Node) bool { h, _ := attr(n, "href"); return h == "#f-"+tt.field }) {
						t.Errorf("the error summary does not link to field %s:\n%s", tt.field, text(p.doc))
					}
				}
				if tt.display != "" && !strings.Contains(p.form("").values.Get(tt.field), tt.display) && !strings.Contains(text(p.doc), tt.display) {
					t.Errorf("the submitted %q is not shown back", tt.display)
				}
			})
		}
		t.Run("nothing was changed by any of them", func(t *testing.T) {
			after := a.profile("crm-1")
			if after.PreferenceVersion != before.PreferenceVersion || len(a.history("crm-1")) != 0 {
				t.Errorf("profile version %d (was %d), %d consent events", after.PreferenceVersion, before.PreferenceVersion, len(a.history("crm-1")))
			}
		})
		t.Run("a preference token of another customer with the first customer's form is refused", func(t *testing.T) {
			f := a.getPage(path, http.StatusOK).form("")
			f.action = otherForm.action
			wantStatus(t, a.submit(f), http.StatusForbidden)
		})
		t.Run("an unsubscribe token does not open the preference center", func(t *testing.T) {
			unsub, _ := a.linkPaths("crm-1")
			a.getPage("/p/"+strings.TrimPrefix(unsub, "/u/"), http.StatusNotFound)
		})
	})
}

func TestPreferenceCenterUnsubscribeFromEverything(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/product-roadmap",
			map[string]any{"status": "opted_in"}), http.StatusOK)
		f := a.getPage(a.preferencesPath("crm-1"), http.StatusOK).form("/unsubscribe")
		rec := a.submit(f)
		wantStatus(t, rec, http.StatusOK)
		rec = a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1/consents", nil)
		for _, c := range decodeBody[models.ConsentLedger](t, rec).Current {
			if c.Status != models.ConsentOptedOut || c.Source != models.SourcePreferenceCenter {
				t.Errorf("topic %s: %s from %s, want opted_out from preference_center", c.Topic, c.Status, c.Source)
			}
		}
	})
}

func TestPreferenceCenterExportAndErasure(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		path := a.preferencesPath("crm-1")
		p := a.getPage(path, http.StatusOK)
		var exportURL, eraseURL string
		for _, l := range all(p.doc, tag("a")) {
			h, _ := attr(l, "href")
			switch {
			case strings.HasSuffix(h, "/export"):
				exportURL = h
			case strings.HasSuffix(h, "/erase"):
				eraseURL = h
			}
		}
		t.Run("the export downloads as a JSON file", func(t *testing.T) {
			u, err := url.Parse(exportURL)
			if err != nil || u.Host != "candor.example" {
				t.Fatalf("export link %q", exportURL)
			}
			rec := a.serve(httptest.NewRequest(http.MethodGet, u.Path, nil))
			wantStatus(t, rec, http.StatusOK)
			if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
				t.Errorf("Content-Disposition = %q", cd)
			}
			var export models.CustomerExport
			if err := json.Unmarshal(rec.Body.Bytes(), &export); err != nil || export.Customer.ExternalID != "crm-1" {
				t.Errorf("export %v, %v", export.Customer, err)
			}
		})
		u, err := url.Parse(eraseURL)
		if err != nil {
			t.Fatalf("erase link %q", eraseURL)
		}
		confirm := a.getPage(u.Path, http.StatusOK)
		t.Run("erasure without the confirmation asks again", func(t *testing.T) {
			f := confirm.form("")
			f.values.Del("confirm")
			wantStatus(t, a.submit(f), http.StatusUnprocessableEntity)
			a.profile("crm-1")
		})
		t.Run("confirmed erasure erases the customer and its links", func(t *testing.T) {
			f := confirm.form("")
			f.values.Set("confirm", "yes")
			wantStatus(t, a.submit(f), http.StatusOK)
			wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1", nil), http.StatusNotFound)
			a.getPage(path, http.StatusNotFound)
		})
	})
}
