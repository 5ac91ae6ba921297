package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/candor/candor/internal/testbrowser"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// pageTexts are texts each language's preference center must show.
var pageTexts = map[string]struct{ heading, saved, thanks string }{
	"en": {"Your preferences", "Your preferences are saved.", "Thank you"},
	"de": {"Ihre Einstellungen", "Ihre Einstellungen sind gespeichert.", "Vielen Dank"},
	"fr": {"Vos préférences", "Vos préférences sont enregistrées.", "Merci"},
	"es": {"Sus preferencias", "Sus preferencias se han guardado.", "Gracias"},
}

// TestPreferenceCenterInABrowser runs on the last backend of the run
// only: PostgreSQL when CANDOR_TEST_DATABASE_URL is set, else SQLite, so
// CI's two passes cover both while each pays for the browser once (the
// store paths it drives are tested on both backends elsewhere).
func TestPreferenceCenterInABrowser(t *testing.T) {
	browser := testbrowser.Start(t)
	backends := testenv.Backends()
	backend := backends[len(backends)-1]
	t.Run(backend, func(t *testing.T) {
		a := newTestAPI(t, backend, nil)
		srv := httptest.NewServer(a.engine)
		defer srv.Close()
		const doi = "technology-alternatives"
		a.doubleOptIn(doi)
		for _, lang := range []string{"en", "de", "fr", "es"} {
			t.Run("in "+lang, func(t *testing.T) {
				ctx := testbrowser.Tab(t, browser)
				id := "crm-" + lang
				cust := validCustomer(id)
				cust["locale"] = map[string]string{"en": "en-GB", "de": "de-AT", "fr": "fr-FR", "es": "es-419"}[lang]
				if rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/"+id, cust); rec.Code != http.StatusCreated {
					t.Fatalf("PUT customer: %d %s", rec.Code, rec.Body.String())
				}
				wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/"+id+"/consents/product-roadmap",
					map[string]any{"status": "opted_in"}), http.StatusOK)
				unsub, prefs := a.linkPaths(id)
				want := pageTexts[lang]

				t.Run("the double opt-in confirmation is accessible", func(t *testing.T) {
					wantStatus(t, a.call(models.RoleEditor, http.MethodPut, "/v1/customers/"+id+"/consents/"+doi,
						map[string]any{"status": "opted_in"}), http.StatusOK)
					testbrowser.Open(t, ctx, srv.URL+a.confirmLink(id, doi), http.StatusOK)
					if got := testbrowser.Run(t, ctx, "lang", chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
						t.Errorf("<html lang> = %q, want %q", got, lang)
					}
					testbrowser.CheckAccessibility(t, ctx, "confirmation page")
					testbrowser.SubmitBy(t, ctx, "button[type=submit]", http.StatusOK)
					if h1 := testbrowser.Run(t, ctx, "h1", chromedp.Text(chromedp.CSS("h1"))); h1 != want.thanks {
						t.Errorf("heading after confirming = %q, want %q", h1, want.thanks)
					}
					testbrowser.CheckAccessibility(t, ctx, "confirmed page")
				})

				testbrowser.Open(t, ctx, srv.URL+prefs, http.StatusOK)
				if got := testbrowser.Run(t, ctx, "lang", chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
					t.Errorf("<html lang> = %q, want %q", got, lang)
				}
				if h1 := testbrowser.Run(t, ctx, "h1", chromedp.Text(chromedp.CSS("h1"))); h1 != want.heading {
					t.Errorf("heading = %q, want %q", h1, want.heading)
				}
				testbrowser.CheckAccessibility(t, ctx, "preference center")
				if lang == "de" || lang == "fr" {
					testbrowser.Screenshot(t, ctx, "preferences-"+lang)
				}
				checkKeyboardOrder(t, ctx)

				t.Run("a rejected form marks its fields, accessibly", func(t *testing.T) {
					testbrowser.Run(t, ctx, "fill", chromedp.Steps(chromedp.SetValue(chromedp.ID("f-windows"), "someday 25:00"),
						chromedp.SetValue(chromedp.ID("f-cadence_max"), "500")))
					testbrowser.SubmitBy(t, ctx, "form:first-of-type button[type=submit]", http.StatusUnprocessableEntity)
					testbrowser.CheckAccessibility(t, ctx, "preference center with errors")
					invalid := testbrowser.Run(t, ctx, "invalid fields", chromedp.Evaluate[[]string](
						`[...document.querySelectorAll('[aria-invalid=true]')].map(e => e.id)`))
					if strings.Join(invalid, ",") != "f-windows,f-cadence_max" {
						t.Errorf("fields marked invalid: %v, want f-windows and f-cadence_max", invalid)
					}
				})

				t.Run("a saved form changes the profile and the ledger", func(t *testing.T) {
					testbrowser.Open(t, ctx, srv.URL+prefs, http.StatusOK)
					testbrowser.Run(t, ctx, "fill", chromedp.Steps(
						chromedp.Click(chromedp.ID("topic-product-roadmap")), // untick
						chromedp.Click(chromedp.ID("topic-pricing-guides")),  // tick
						chromedp.Click(chromedp.ID("channel-webhook")),
						chromedp.SetValue(chromedp.ID("f-timezone"), "Europe/Berlin"),
						chromedp.SetValue(chromedp.ID("f-windows"), "mon-fri 18:00-21:00"),
						chromedp.SetValue(chromedp.ID("f-cadence_max"), "3"),
						chromedp.SetValue(chromedp.ID("f-cadence_per"), "30d")))
					testbrowser.SubmitBy(t, ctx, "form:first-of-type button[type=submit]", http.StatusOK)
					if notice := testbrowser.Run(t, ctx, "notice", chromedp.Text(chromedp.CSS("[role=status]"))); notice != want.saved {
						t.Errorf("notice = %q, want %q", notice, want.saved)
					}
					testbrowser.CheckAccessibility(t, ctx, "preference center after saving")
					got := a.profile(id)
					if got.PreferredChannel != models.ChannelWebhook || got.Timezone != "Europe/Berlin" ||
						models.FormatWindowsSpec(got.PreferredWindows) != "mon,tue,wed,thu,fri 18:00-21:00" || got.Cadence == nil || got.Cadence.Max != 3 || got.Cadence.Per != "30d" {
						t.Errorf("profile after saving: channel %s, zone %s, windows %q, cadence %+v", got.PreferredChannel, got.Timezone,
							models.FormatWindowsSpec(got.PreferredWindows), got.Cadence)
					}
					ledger, err := a.store.Consents(t.Context(), id)
					if err != nil {
						t.Fatal(err)
					}
					changed := map[string]models.ConsentStatus{}
					for _, e := range ledger.History {
						if e.Source == models.SourcePreferenceCenter && e.Evidence.FormVersion == preferencesPageVersion {
							changed[e.Topic] = e.Status
						}
					}
					if changed["product-roadmap"] != models.ConsentOptedOut || changed["pricing-guides"] != models.ConsentOptedIn {
						t.Errorf("ledger entries from the preference center: %v, want product-roadmap opted out and pricing-guides opted in", changed)
					}
				})

				t.Run("the erase confirmation is accessible", func(t *testing.T) {
					testbrowser.Open(t, ctx, srv.URL+prefs+"/erase", http.StatusOK)
					testbrowser.CheckAccessibility(t, ctx, "erase confirmation")
				})

				t.Run("one-click unsubscribe works in the browser", func(t *testing.T) {
					testbrowser.Open(t, ctx, srv.URL+unsub, http.StatusOK)
					testbrowser.CheckAccessibility(t, ctx, "unsubscribe page")
					testbrowser.SubmitBy(t, ctx, "button[type=submit]", http.StatusOK)
					testbrowser.CheckAccessibility(t, ctx, "unsubscribed page")
					ledger, err := a.store.Consents(t.Context(), id)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range ledger.Current {
						if c.Status == models.ConsentOptedIn {
							t.Errorf("topic %s still opted in after unsubscribing", c.Topic)
						}
					}
				})
			})
		}
		t.Run("the page of a broken link is accessible", func(t *testing.T) {
			ctx := testbrowser.Tab(t, browser)
			testbrowser.Open(t, ctx, srv.URL+"/p/not-a-token", http.StatusNotFound)
			testbrowser.CheckAccessibility(t, ctx, "link not valid")
		})
		t.Run("the too-many-requests page is accessible", func(t *testing.T) {
			limited := newTestAPI(t, backend, func(o *Options) {
				o.PageRateLimit = &PageRateLimit{Redis: redisClient(t), PerClient: Rate{Requests: 1, Period: time.Minute}}
			})
			srv := httptest.NewServer(limited.engine)
			defer srv.Close()
			ctx := testbrowser.Tab(t, browser)
			testbrowser.Open(t, ctx, srv.URL+"/p/not-a-token", http.StatusNotFound)
			testbrowser.Open(t, ctx, srv.URL+"/p/not-a-token", http.StatusTooManyRequests)
			testbrowser.CheckAccessibility(t, ctx, "too many requests")
		})
	})
}

// checkKeyboardOrder tabs through the preference center from the top and
// checks that the keyboard reaches the save button, in document order,
// with a visible focus indicator on every stop.
func checkKeyboardOrder(t *testing.T, ctx context.Context) {
	t.Helper()
	type stop struct {
		Index   int    `json:"index"`
		What    string `json:"what"`
		Outline string `json:"outline"`
	}
	testbrowser.Run(t, ctx, "blur", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`))
	last := -1
	for range 400 {
		testbrowser.Run(t, ctx, "tab", chromedp.KeyEvent(kb.Tab))
		s := testbrowser.Run(t, ctx, "focus", chromedp.Evaluate[stop](`(() => {
			const e = document.activeElement;
			const all = [...document.querySelectorAll('*')];
			const st = getComputedStyle(e);
			return {index: all.indexOf(e), what: e.tagName + '#' + e.id + ' ' + (e.textContent || '').trim().slice(0, 40),
				outline: st.outlineStyle === 'none' || st.outlineWidth === '0px' ? '' : st.outlineStyle + ' ' + st.outlineWidth};
		})()`))
		if s.Index <= last {
			t.Errorf("keyboard focus moved backwards to %s", s.What)
			return
		}
		last = s.Index
		if s.Outline == "" {
			t.Errorf("%s shows no focus outline", s.What)
		}
		if strings.HasPrefix(s.What, "BUTTON") {
			return // the save button: every field before it was reached
		}
	}
	t.Error("tabbing never reached the save button")
}
