package content_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

// TestPlansRefuseTemplatesAValueCanChange: each template lets some
// customer's values change what a reader sees (hide the links, change a
// link's target, negate the disclaimer), so its messages must not be
// judged by a plan made with placeholder values. Each case names such a
// customer and what the message must then carry: without the guard, the
// plan would wrongly find the links or the disclaimer present.
func TestPlansRefuseTemplatesAValueCanChange(t *testing.T) {
	const bothLinks = `<a href="{{.UnsubscribeURL}}">Unsubscribe</a> <a href="{{.PreferencesURL}}">Preferences</a>`
	tests := []struct {
		name  string
		html  string
		d     func(d *content.RenderInput)
		why   string // in the reason the plan gives
		wants string // the rendered HTML must contain it ("=": be it)
	}{
		{"a class from an attribute can hide the links",
			`<style>.h{display:none}</style><p class="{{.Customer.Attributes.c}}">` + bothLinks + `</p>`,
			func(d *content.RenderInput) { d.Attributes = map[string]any{"c": "h"} }, "class", appendedUnsubscribe},
		{"a branch can drop the links",
			`{{if .Customer.Attributes.c}}<p>Hi</p>{{else}}` + bothLinks + `{{end}}`,
			func(d *content.RenderInput) { d.Attributes = map[string]any{"c": "1"} }, "{{if}}", appendedUnsubscribe},
		{"a style value can hide the links",
			`<p style="display: {{.Customer.Attributes.c}}">` + bothLinks + `</p>`,
			func(d *content.RenderInput) { d.Attributes = map[string]any{"c": "none"} }, "style", appendedUnsubscribe},
		{"a style sheet value can hide the links",
			`<style>.x { display: {{.Customer.Attributes.c}} }</style><p class="x">` + bothLinks + `</p>`,
			func(d *content.RenderInput) { d.Attributes = map[string]any{"c": "none"} }, "raw text", appendedUnsubscribe},
		{"part of an href can make the link the customer's own",
			`<p>Plans may change.</p><a href="https://candor.example/u/{{.Customer.Attributes.c}}">Unsubscribe</a> <a href="{{.PreferencesURL}}">Preferences</a>`,
			func(d *content.RenderInput) { d.Attributes = map[string]any{"c": "tok-u"} }, "href",
			`=<p>Plans may change.</p><a href="https://candor.example/u/tok-u">Unsubscribe</a> <a href="https://candor.example/p/tok-p">Preferences</a>`},
		{"a style sheet can hide a link by its href",
			`<style>a[href$="tok-u"]{display:none}</style><p>` + bothLinks + `</p>`,
			func(*content.RenderInput) {}, "href", appendedUnsubscribe},
		{"a style sheet can hide a name by its text",
			`<style>p:contains("Hide") {display:none}</style><p>{{.Customer.Name}} ` + bothLinks + `</p>`,
			func(d *content.RenderInput) { d.Name = "Hide me" }, "text", appendedUnsubscribe},
		{"a value can finish a character reference and undo the disclaimer",
			`<p>This roadmap is &{{.Customer.Attributes.c}} a promise.</p><p>` + bothLinks + `</p>`,
			func(d *content.RenderInput) { d.Attributes = map[string]any{"c": "not"} }, "character reference", "<p>These plans may change."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &models.ContentInput{Kind: models.KindRoadmap, DefaultLocale: "en", Variants: []models.Variant{{
				Locale: "en", Channel: models.ChannelEmail, Subject: "Plans", Text: "Plans may change.", HTML: tt.html}}}
			d := links
			tt.d(&d)
			ok, why := content.PlanApplies(in, &in.Variants[0], d)
			if ok || !strings.Contains(why, tt.why) {
				t.Errorf("plan applies = %v (%q), want refused for %q", ok, why, tt.why)
			}
			got := render(t, in, d)
			want, err := content.RenderFull(in, &in.Variants[0], d)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-full +planned):\n%s", diff)
			}
			if wants, exact := strings.CutPrefix(tt.wants, "="); !strings.Contains(got.HTML, wants) || exact && got.HTML != wants {
				t.Errorf("html = %q, want it to hold %q", got.HTML, tt.wants)
			}
		})
	}
}

const appendedUnsubscribe = `<a href="https://candor.example/u/tok-u">Unsubscribe</a></p>`

// TestPlansJudgeValuesTheParserTreatsDifferently: a plan that holds for a
// template still refuses values the parser would not read like its
// placeholder, and the emptiness of a value picks its own plan.
func TestPlansJudgeValuesTheParserTreatsDifferently(t *testing.T) {
	tests := []struct {
		name    string
		html    string
		d       func(d *content.RenderInput)
		planned bool
		wants   string
	}{
		{"a link whose only text is an empty value is invisible and appended",
			`<a href="{{.UnsubscribeURL}}">{{.Customer.Name}}</a> <a href="{{.PreferencesURL}}">Preferences</a>`,
			func(d *content.RenderInput) { d.Name = "" }, true, appendedUnsubscribe},
		{"a link whose only text is a blank value is appended",
			`<a href="{{.UnsubscribeURL}}">{{.Customer.Name}}</a> <a href="{{.PreferencesURL}}">Preferences</a>`,
			func(d *content.RenderInput) { d.Name = " \u00a0 " }, false, appendedUnsubscribe},
		{"a link whose text is a name is seen",
			`<a href="{{.UnsubscribeURL}}">{{.Customer.Name}}</a> <a href="{{.PreferencesURL}}">Preferences</a>`,
			func(d *content.RenderInput) { d.Name = "Ada" }, true, `<a href="https://candor.example/u/tok-u">Ada</a> <a`},
		{"an unsubscribe URL html/template rewrites is appended as written",
			`<a href="{{.UnsubscribeURL}}">Unsubscribe</a> <a href="{{.PreferencesURL}}">Preferences</a>`,
			func(d *content.RenderInput) { d.UnsubscribeURL = "https://candor.example/u/a b" }, false,
			`<a href="https://candor.example/u/a%20b">Unsubscribe</a> <a href="https://candor.example/p/tok-p">Preferences</a><p>`},
		{"a link to an attribute that is the unsubscribe URL counts",
			`<a href="{{.Customer.Attributes.link}}">Leave</a> <a href="{{.PreferencesURL}}">Preferences</a>`,
			func(d *content.RenderInput) { d.Attributes = map[string]any{"link": links.UnsubscribeURL} }, true,
			`<a href="https://candor.example/u/tok-u">Leave</a> <a href="https://candor.example/p/tok-p">Preferences</a>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &models.ContentInput{Kind: models.KindEducation, DefaultLocale: "en", Variants: []models.Variant{{
				Locale: "en", Channel: models.ChannelEmail, Subject: "Hi", Text: "Hi.", HTML: tt.html}}}
			d := links
			tt.d(&d)
			if ok, why := content.PlanApplies(in, &in.Variants[0], d); ok != tt.planned {
				t.Errorf("plan applies = %v (%s), want %v", ok, why, tt.planned)
			}
			got := render(t, in, d)
			want, err := content.RenderFull(in, &in.Variants[0], d)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-full +planned):\n%s", diff)
			}
			if !strings.Contains(got.HTML, tt.wants) {
				t.Errorf("html lacks %q:\n%s", tt.wants, got.HTML)
			}
		})
	}
}

// TestTextDisclaimerIsTakenFromStaticTextOnlyWhereNoValueReachesIt: a
// disclaimer in a clause no value can reach is in every message; one a
// value can negate, or inside a branch, is judged per message.
func TestTextDisclaimerIsTakenFromStaticTextOnlyWhereNoValueReachesIt(t *testing.T) {
	tests := []struct {
		name, src, lang string
		certain         bool
	}{
		{"a disclaimer sentence after the greeting", "Hello {{.Customer.Name}}. We plan exports. Plans can change, and we will tell you.", "en", true},
		{"a disclaimer on its own line before a value", "Plans may change.\n{{.Customer.Name}}", "en", true},
		{"a template without values", "SEPA in June. Plans may change.", "en", true},
		{"a German disclaimer between values", "Hallo {{.Customer.Name}}, wir planen Exporte. Pläne können sich ändern.\n\n{{.UnsubscribeURL}}", "de", true},
		{"a value in the disclaimer's clause", "{{.Customer.Name}} these plans may change.", "en", false},
		{"a value right after the disclaimer", "These plans may change {{.Customer.Name}}", "en", false},
		{"a disclaimer inside a branch", "SEPA in June.{{if .Customer.Name}} Plans may change.{{end}}", "en", false},
		{"no disclaimer at all", "Hello {{.Customer.Name}}. SEPA in June.", "en", false},
		{"a full stop after a single letter is no barrier", "{{.Customer.Name}} a. Plans may change", "en", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := content.TextCertain(tt.src, tt.lang); got != tt.certain {
				t.Errorf("certain = %v, want %v", got, tt.certain)
			}
		})
	}
	t.Run("a name that negates a disclaimer its clause shares gets the locale's disclaimer", func(t *testing.T) {
		in := &models.ContentInput{Kind: models.KindRoadmap, DefaultLocale: "en", Variants: []models.Variant{{
			Locale: "en", Channel: models.ChannelSMS, Text: "{{.Customer.Name}} these plans may change."}}}
		d := links
		d.Name = "We do not think"
		if got := render(t, in, d).Text; !strings.Contains(got, "These plans may change. We share them") {
			t.Errorf("text lacks the appended disclaimer:\n%s", got)
		}
	})
}
