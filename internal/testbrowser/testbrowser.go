// Package testbrowser drives headless Chromium for the tests of the public
// pages (chromedp): it finds and starts the browser with the flags issue
// #12 lists, opens tabs, loads pages and submits forms checking the
// status they answer, runs axe-core (vendored in testdata/axe) and saves
// screenshots in the test's artifact directory.
//
// A machine without Chromium skips these tests with a message naming the
// Debian package; CANDOR_TEST_BROWSER=1 (set by .ci/run) makes that a
// failure instead.
package testbrowser

import (
	"context"
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core (testdata/axe: version in its README, MPL 2.0
// licence beside it), the accessibility engine the browser runs on each
// page. It is vendored so the tests need no network.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axeTags are the rule sets checked: WCAG 2.2 A and AA, and axe's best
// practices (landmarks, one main, heading order, ...).
const axeTags = `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']`

// Env, when "1", makes a missing Chromium a failure instead of a skip;
// .ci/run sets it.
const Env = "CANDOR_TEST_BROWSER"

// stepTimeout bounds each browser step: generous for a loaded machine.
const stepTimeout = 30 * time.Second

// Path finds a Chromium or Chrome binary on PATH, or returns "".
func Path() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Require returns the browser's path, or skips the test when there is
// none, unless CANDOR_TEST_BROWSER=1 makes that a failure.
func Require(t testing.TB) string {
	t.Helper()
	path := Path()
	if path == "" {
		if os.Getenv(Env) == "1" {
			t.Fatalf("%s=1 but no Chromium was found on PATH: apt-get install chromium", Env)
		}
		t.Skipf("no Chromium on PATH: install the Debian package chromium to run the browser test (%s=1 makes this a failure)", Env)
	}
	return path
}

// Start starts a headless Chromium for the test (see Require when there
// is none), stopped when the test ends. Tabs of it come from Tab.
func Start(t testing.TB) context.Context {
	t.Helper()
	path := Require(t)
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

// Tab opens a tab of its own in the browser, closed when the test ends.
func Tab(t testing.TB, browser context.Context) context.Context {
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

// Run runs a browser action with a time limit and returns its value,
// failing the test (what names the step) on an error.
func Run[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Open loads url and fails the test unless it answers status.
func Open(t testing.TB, ctx context.Context, url string, status int64) {
	t.Helper()
	resp := Run(t, ctx, "open "+url, chromedp.NavigateResponse(url))
	if resp.Status != status {
		t.Fatalf("%s: status %d, want %d", url, resp.Status, status)
	}
}

// SubmitBy clicks sel, which submits a form or follows a link, and fails
// the test unless the page it leads to answers status.
func SubmitBy(t testing.TB, ctx context.Context, sel string, status int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
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

// CheckAccessibility runs axe-core on the page the tab shows and reports
// every violation, of any impact, as a test error naming page.
func CheckAccessibility(t testing.TB, ctx context.Context, page string) {
	t.Helper()
	Run(t, ctx, "load axe", chromedp.Evaluate[chromedp.Void](axeSource+"\n;undefined"))
	violations := Run(t, ctx, "run axe", chromedp.Evaluate[[]axeViolation](`axe.run(document, {
		runOnly: {type: 'tag', values: `+axeTags+`}, resultTypes: ['violations']
	}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
		nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`,
		chromedp.EvalAwaitPromise))
	for _, v := range violations {
		t.Errorf("%s: axe %s (%s): %s\n  %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// Screenshot saves the whole page the tab shows as name.png in the test's
// artifact directory (go test -artifacts keeps it under the output
// directory) and returns its path.
func Screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png := Run(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}
