package api

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/candor/candor/internal/testbrowser"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// barPixels counts the pixels of the charts' bar colour (#1f5fa8) in a
// PNG screenshot.
func barPixels(t *testing.T, shot []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r>>8, 0x1f) && near(g>>8, 0x5f) && near(bl>>8, 0xa8) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, want int) bool { return int(v) >= want-6 && int(v) <= want+6 }

// TestReportPagesRenderInAHeadlessBrowser opens the campaign page through
// a signed link in headless Chromium, without JavaScript, and checks that
// the funnel chart is drawn (its bars' colour is on the screenshot). The
// full-page screenshot is kept in CANDOR_SCREENSHOT_DIR when set.
func TestReportPagesRenderInAHeadlessBrowser(t *testing.T) {
	chrome := testbrowser.Require(t)
	a := newTestAPI(t, testenv.Backends()[0], nil)
	content := a.approvedContent(contentBody(models.KindEducation, 0))
	a.campaignCustomer("in", "main", true, nil)
	a.campaignCustomer("out", "main", false, nil)
	camp := a.createCampaign(content, a.groupSegment("main"))
	wantStatus(t, a.call(models.RoleAdmin, http.MethodPost, fmt.Sprintf("/v1/campaigns/%d/launch", camp.ID), nil), http.StatusOK)
	rec := a.call(models.RoleViewer, http.MethodPost, "/v1/report-links", map[string]any{"path": fmt.Sprintf("/reports/campaigns/%d", camp.ID)})
	wantStatus(t, rec, http.StatusCreated)
	link, err := url.Parse(decodeBody[models.ReportLink](t, rec).URL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.engine)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.WindowSize(1000, 1400), chromedp.Flag("blink-settings", "scriptEnabled=false"))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute) // a loaded CI machine starts Chromium slowly
	defer cancelTimeout()

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+link.RequestURI()), chromedp.WaitVisible(chromedp.CSS("#funnel svg"))); err != nil {
		t.Fatalf("open the page: %v", err)
	}
	funnel, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#funnel svg")))
	if err != nil {
		t.Fatalf("screenshot the funnel: %v", err)
	}
	if n := barPixels(t, funnel); n < 100 {
		t.Errorf("the funnel's screenshot has %d pixels of the bar colour: the chart is not drawn", n)
	}
	page, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot the page: %v", err)
	}
	dir := os.Getenv("CANDOR_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "campaign-report.png")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	if _, _, err := image.Decode(bytes.NewReader(page)); err != nil {
		t.Errorf("the page screenshot is no image: %v", err)
	}
}
