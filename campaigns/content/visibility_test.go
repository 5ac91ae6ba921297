package content_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

// htmlFindings returns "rule severity" of the html.* findings of a roadmap
// email whose text carries a disclaimer and whose HTML is html.
func htmlFindings(t *testing.T, html string) []string {
	t.Helper()
	in := &models.ContentInput{Kind: models.KindRoadmap, Topic: "product-roadmap", Title: "Plans", DefaultLocale: "en",
		Sources: []models.Source{{Title: "Status", URL: "https://status.example/history"}},
		Variants: []models.Variant{{Locale: "en", Channel: models.ChannelEmail, Subject: "Plans",
			Text: "We plan to ship the new API in Q1. Plans can change.", HTML: html}}}
	var out []string
	for _, f := range content.CheckContent(in, content.CheckOptions{Now: checkNow}) {
		if strings.HasPrefix(f.Rule, "html.") {
			out = append(out, f.Rule+" "+string(f.Severity))
		}
	}
	slices.Sort(out)
	return out
}

const (
	hiddenRequired = "html.hidden_required error"
	hiddenText     = "html.hidden_text warning"
	plan           = `<p>We plan to ship the new API in Q1.</p>`
	unsub          = `<a href="{{.UnsubscribeURL}}">Unsubscribe</a>`
)

func TestHiddenHTMLDoesNotCountAsPresent(t *testing.T) {
	tests := []struct {
		name string
		html string
		want []string
	}{
		{"a visible disclaimer and links pass", plan + `<p>Plans can change.</p><p>` + unsub + `</p>`, nil},
		{"display:none hides the disclaimer", plan + `<p style="display:none">Plans can change.</p>`, []string{hiddenRequired}},
		{"visibility:hidden hides the disclaimer", plan + `<p style="visibility: hidden">Plans can change.</p>`, []string{hiddenRequired}},
		{"a child made visible again is visible", plan + `<div style="visibility:hidden"><p style="visibility:visible">Plans can change.</p></div>`, nil},
		{"opacity 0 hides the disclaimer", plan + `<p style="opacity:0">Plans can change.</p>`, []string{hiddenRequired}},
		{"the hidden attribute hides the disclaimer", plan + `<p hidden>Plans can change.</p>`, []string{hiddenRequired}},
		{"a 1px font hides the disclaimer", plan + `<p style="font-size:1px">Plans can change.</p>`, []string{hiddenRequired}},
		{"a font size of 0 on a container is undone by its child", plan + `<div style="font-size:0"><span style="font-size:14px">Plans can change.</span></div>`, nil},
		{"a zero height with hidden overflow hides the disclaimer", plan + `<div style="max-height:0;overflow:hidden">Plans can change.</div>`, []string{hiddenRequired}},
		{"a zero height without hidden overflow does not", plan + `<div style="height:0">Plans can change.</div>`, nil},
		{"white on white hides the disclaimer", plan + `<p style="color:#fff">Plans can change.</p>`, []string{hiddenRequired}},
		{"near-white on white hides the disclaimer", plan + `<p style="color:rgb(250,250,250)">Plans can change.</p>`, []string{hiddenRequired}},
		{"grey on white is readable", plan + `<p style="color:#767676">Plans can change.</p>`, nil},
		{"dark text on a dark background set by bgcolor is hidden", plan + `<table bgcolor="#000000"><tr><td><font color="#111111">Plans can change.</font></td></tr></table>`, []string{hiddenRequired}},
		{"a <style> class rule hides the disclaimer", `<style>.fine { display: none }</style>` + plan + `<p class="fine">Plans can change.</p>`, []string{hiddenRequired}},
		{"a <style> rule colours text like its background", `<style>body { background: #ffffff } p.small { color: #fefefe }</style>` + plan + `<p class="small">Plans can change.</p>`, []string{hiddenRequired}},
		{"an inline style beats a <style> rule", `<style>.fine { display: none }</style>` + plan + `<p class="fine" style="display:block">Plans can change.</p>`, nil},
		{"!important in <style> beats the inline style", `<style>.fine { display: none !important }</style>` + plan + `<p class="fine" style="display:block">Plans can change.</p>`, []string{hiddenRequired}},
		{"a more specific rule wins", `<style>#d { display: block } p { display: none }</style>` + plan + `<p id="d">Plans can change.</p><p>Unrelated note.</p>`, []string{hiddenText}},
		{"text positioned off-screen is hidden", plan + `<p style="position:absolute; left:-9999px">Plans can change.</p>`, []string{hiddenRequired}},
		{"text indented off-screen is hidden", plan + `<p style="text-indent:-10000px">Plans can change.</p>`, []string{hiddenRequired}},
		{"a hidden disclaimer next to a visible one is only hidden text", plan + `<p>Plans can change.</p><p style="display:none">Plans may change.</p>`, []string{hiddenText}},
		{"a hidden unsubscribe link is an error", plan + `<p>Plans can change.</p><p style="display:none">` + unsub + `</p>`, []string{hiddenRequired}},
		{"an unsubscribe link coloured like the background is an error", plan + `<p>Plans can change.</p><p><a style="color:#ffffff" href="{{.UnsubscribeURL}}">Unsubscribe</a></p>`, []string{hiddenRequired}},
		{"an unstyled link on white is visible", plan + `<p>Plans can change.</p><p>` + unsub + `</p>`, nil},
		{"an empty unsubscribe link is an error", plan + `<p>Plans can change.</p><a href="{{.UnsubscribeURL}}"></a>`, []string{hiddenRequired}},
		{"a hidden link to a source is an error", plan + `<p>Plans can change.</p><p style="display:none"><a href="https://status.example/history">our status history</a></p>`, []string{hiddenRequired}},
		{"other hidden text is a warning", plan + `<p>Plans can change.</p><div style="display:none">Preview text for the inbox</div>`, []string{hiddenText}},
		{"mso-hide hides text in Outlook", plan + `<p>Plans can change.</p><div style="mso-hide:all">Only for other clients</div>`, []string{hiddenText}},
		{"text in a comment or a style block is not hidden text", plan + `<p>Plans can change.</p><!-- note --><style>p{margin:0}</style>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, htmlFindings(t, tt.html)); diff != "" {
				t.Errorf("html findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderShowsWhatAHiddenElementHid(t *testing.T) {
	in := &models.ContentInput{Kind: models.KindRoadmap, Topic: "product-roadmap", Title: "Plans", DefaultLocale: "en",
		Variants: []models.Variant{{Locale: "en", Channel: models.ChannelEmail, Subject: "Plans", Text: "Plans can change.",
			HTML: plan + `<p style="display:none">Plans can change. <a href="{{.UnsubscribeURL}}">Unsubscribe</a></p>`}}}
	m, err := content.Render(in, &in.Variants[0], content.RenderInput{PreferencesURL: "https://c.example/p/x", UnsubscribeURL: "https://c.example/u/x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<p>These plans may change.", `<a href="https://c.example/u/x">Unsubscribe</a></p>`} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("rendered HTML lacks the visible %q:\n%s", want, m.HTML)
		}
	}
}

func TestWordsMixingScriptsAreAWarning(t *testing.T) {
	tests := []struct {
		name, locale, text string
		want               int
	}{
		{"a Cyrillic letter in a Latin word is flagged", "en", "Our p\u0430yment page moved.", 1},
		{"a Greek word in running text is not", "en", "The word λόγος means word.", 0},
		{"Cyrillic text is not", "en", "Привет means hello.", 0},
		{"Japanese mixing kana and kanji is not", "en", "日本語のテキスト is fine.", 0},
		{"accented Latin is not", "fr", "Les paiements évoluent.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			for _, f := range found(emailContent(models.KindEducation, tt.locale, tt.text)) {
				if strings.HasPrefix(f, content.RuleLanguageMixedScript+" warning") {
					n++
				}
			}
			if n != tt.want {
				t.Errorf("%d mixed-script warnings, want %d", n, tt.want)
			}
		})
	}
}
