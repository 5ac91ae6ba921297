package api

import (
	"context"
	_ "embed"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// axeSource is axe-core (testdata/axe: version in its first line, MPL 2.0
// licence beside it), the accessibility engine the browser runs on each
// page. It is vendored so the test needs no network.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axeTags are the rule sets checked: WCAG 2.2 A and AA, and axe's best
// practices (landmarks, one main, heading order, ...).
const axeTags = `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']`

// browserEnv, when "1", makes a missing Chromium a failure instead of a
// skip; .ci/run sets it.
const browserEnv = "CANDOR_TEST_BROWSER"

// chromium finds a Chromium or Chrome binary, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium for the test, or skips the test
// when there is none, unless CANDOR_TEST_BROWSER=1 makes that a failure.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromium()
	if path == "" {
		if os.Getenv(browserEnv) == "1" {
			t.Fatalf("%s=1 but no Chromium was found on PATH: apt-get install chromium", browserEnv)
		}
		t.Skipf("no Chromium on PATH: install the Debian package chromium to run the browser test (%s=1 makes this a failure)", browserEnv)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1024, 900))
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// The first Run starts the browser, and lives as long as ctx: no
	// timeout on it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// newTab opens a tab of its own in the browser, closed when the test ends.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	// The first Run creates the tab, which lives as long as the context
	// of that call: no timeout on it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// browse runs steps with a time limit, failing the test on an error.
func browse[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// open loads url and fails unless it answers status.
func open(t *testing.T, ctx context.Context, url string, status int64) {
	t.Helper()
	resp := browse(t, ctx, "open "+url, chromedp.NavigateResponse(url))
	if resp.Status != status {
		t.Fatalf("%s: status %d, want %d", url, resp.Status, status)
	}
}

// submitBy clicks sel, which submits a form, and fails unless the page it
// leads to answers status.
func submitBy(t *testing.T, ctx context.Context, sel string, status int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	if resp.Status != status {
		t.Fatalf("click %s: status %d, want %d", sel, resp.Status, status)
	}
}

// axeViolation is one rule axe found broken, with where.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAccessibility runs axe-core on the page the browser shows and fails
// on every violation, of any impact.
func checkAccessibility(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	browse(t, ctx, "load axe", chromedp.Evaluate[chromedp.Void](axeSource+"\n;undefined"))
	violations := browse(t, ctx, "run axe", chromedp.Evaluate[[]axeViolation](`axe.run(document, {
		runOnly: {type: 'tag', values: `+axeTags+`}, resultTypes: ['violations']
	}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
		nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`,
		chromedp.EvalAwaitPromise))
	for _, v := range violations {
		t.Errorf("%s: axe %s (%s): %s\n  %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// screenshot saves the whole page as name.png in the test's artifact
// directory (go test -artifacts keeps it under the output directory).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := browse(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

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
	browser := newBrowser(t)
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
				ctx := newTab(t, browser)
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
					open(t, ctx, srv.URL+a.confirmLink(id, doi), http.StatusOK)
					if got := browse(t, ctx, "lang", chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
						t.Errorf("<html lang> = %q, want %q", got, lang)
					}
					checkAccessibility(t, ctx, "confirmation page")
					submitBy(t, ctx, "button[type=submit]", http.StatusOK)
					if h1 := browse(t, ctx, "h1", chromedp.Text(chromedp.CSS("h1"))); h1 != want.thanks {
						t.Errorf("heading after confirming = %q, want %q", h1, want.thanks)
					}
					checkAccessibility(t, ctx, "confirmed page")
				})

				open(t, ctx, srv.URL+prefs, http.StatusOK)
				if got := browse(t, ctx, "lang", chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
					t.Errorf("<html lang> = %q, want %q", got, lang)
				}
				if h1 := browse(t, ctx, "h1", chromedp.Text(chromedp.CSS("h1"))); h1 != want.heading {
					t.Errorf("heading = %q, want %q", h1, want.heading)
				}
				checkAccessibility(t, ctx, "preference center")
				if lang == "de" || lang == "fr" {
					screenshot(t, ctx, "preferences-"+lang)
				}
				checkKeyboardOrder(t, ctx)

				t.Run("a rejected form marks its fields, accessibly", func(t *testing.T) {
					browse(t, ctx, "fill", chromedp.Steps(chromedp.SetValue(chromedp.ID("f-windows"), "someday 25:00"),
						chromedp.SetValue(chromedp.ID("f-cadence_max"), "500")))
					submitBy(t, ctx, "form:first-of-type button[type=submit]", http.StatusUnprocessableEntity)
					checkAccessibility(t, ctx, "preference center with errors")
					invalid := browse(t, ctx, "invalid fields", chromedp.Evaluate[[]string](
						`[...document.querySelectorAll('[aria-invalid=true]')].map(e => e.id)`))
					if strings.Join(invalid, ",") != "f-windows,f-cadence_max" {
						t.Errorf("fields marked invalid: %v, want f-windows and f-cadence_max", invalid)
					}
				})

				t.Run("a saved form changes the profile and the ledger", func(t *testing.T) {
					open(t, ctx, srv.URL+prefs, http.StatusOK)
					browse(t, ctx, "fill", chromedp.Steps(
						chromedp.Click(chromedp.ID("topic-product-roadmap")), // untick
						chromedp.Click(chromedp.ID("topic-pricing-guides")),  // tick
						chromedp.Click(chromedp.ID("channel-webhook")),
						chromedp.SetValue(chromedp.ID("f-timezone"), "Europe/Berlin"),
						chromedp.SetValue(chromedp.ID("f-windows"), "mon-fri 18:00-21:00"),
						chromedp.SetValue(chromedp.ID("f-cadence_max"), "3"),
						chromedp.SetValue(chromedp.ID("f-cadence_per"), "30d")))
					submitBy(t, ctx, "form:first-of-type button[type=submit]", http.StatusOK)
					if notice := browse(t, ctx, "notice", chromedp.Text(chromedp.CSS("[role=status]"))); notice != want.saved {
						t.Errorf("notice = %q, want %q", notice, want.saved)
					}
					checkAccessibility(t, ctx, "preference center after saving")
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
					open(t, ctx, srv.URL+prefs+"/erase", http.StatusOK)
					checkAccessibility(t, ctx, "erase confirmation")
				})

				t.Run("one-click unsubscribe works in the browser", func(t *testing.T) {
					open(t, ctx, srv.URL+unsub, http.StatusOK)
					checkAccessibility(t, ctx, "unsubscribe page")
					submitBy(t, ctx, "button[type=submit]", http.StatusOK)
					checkAccessibility(t, ctx, "unsubscribed page")
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
			ctx := newTab(t, browser)
			open(t, ctx, srv.URL+"/p/not-a-token", http.StatusNotFound)
			checkAccessibility(t, ctx, "link not valid")
		})
		t.Run("the too-many-requests page is accessible", func(t *testing.T) {
			limited := newTestAPI(t, backend, func(o *Options) {
				o.PageRateLimit = &PageRateLimit{Redis: redisClient(t), PerClient: Rate{Requests: 1, Period: time.Minute}}
			})
			srv := httptest.NewServer(limited.engine)
			defer srv.Close()
			ctx := newTab(t, browser)
			open(t, ctx, srv.URL+"/p/not-a-token", http.StatusNotFound)
			open(t, ctx, srv.URL+"/p/not-a-token", http.StatusTooManyRequests)
			checkAccessibility(t, ctx, "too many requests")
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
	browse(t, ctx, "blur", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`))
	last := -1
	for range 400 {
		browse(t, ctx, "tab", chromedp.KeyEvent(kb.Tab))
		s := browse(t, ctx, "focus", chromedp.Evaluate[stop](`(() => {
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
