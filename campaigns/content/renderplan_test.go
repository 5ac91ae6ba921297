package content_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

// planPieces are the parts customer values are made of: what a name or an
// attribute may hold, and what could trip a plan: HTML-special
// characters, disclaimer phrases and negations in the four languages,
// spelled-out letters and lookalikes of l, marks and format characters,
// spaces at the ends, control characters, braces, character references,
// the hole marker, the words that turn the cascade on, markup, URLs.
var planPieces = []string{
	"", "Ada", "Ada Lovelace", "José García", "Zoë O'Brien", "<b>Ada</b>", "Tom & Jerry", `"Bob"`, "a+b", "1 < 2 > 0",
	"These plans may change", "plans may change", "Plans can change.", "not", "we do not think", "no guarantee",
	"guaranteed", "we promise", "will definitely ship", "not a promise", "is",
	"Pläne können sich ändern", "nicht", "kein Versprechen", "garantiert", "sous réserve de modifications", "ne", "pas",
	"no es una promesa", "los planes pueden cambiar", "garantizado",
	"g u a r a n t e e", "a b c", "x", "1", "|", "l1fe", "e\u0301", "\u0301", "\u200b", "\u00ad", "\u00a0", " Ada", "Ada ",
	"\tAda", "A\r\nB", "A\x00B", "{{", "}}", "{", "}", "&amp", "amp;", "#65;", "&#65;", "not;", "zqxj", "zqxjajxqz", "jxqz",
	"display:none", "color", "style", "hidden", "</p><p>", "<a href=x>y</a>", "javascript:alert(1)",
	"https://candor.example/p/tok-p", "https://candor.example/u/tok-u",
	"İstanbul", "\u212a", "Ⱥ", "…", "—", ".", ",", ":", "\n", "\n\n", "Q1.", "U.S.A.", "e.g.", "!", "\xff", "日本語",
	"Привет", "Ｆｕｌｌ",
}

var planSeparators = []string{"", " ", ". ", ", ", "\n", "-", "."}

// planURLs are link and attribute URLs, most of them signed links,
// some of them rewritten by html/template or refused by it.
var planURLs = []string{
	"https://candor.example/p/tok-p", "https://candor.example/u/tok-u", "", "https://x.example/a b", "https://x.example/%zz",
	"https://x.example/%41", "javascript:alert(1)", "HTTPS://X.EXAMPLE/Y", "/relative/path", "mailto:a@b.example",
	"https://x.example/'()", "https://x.example/ä", "https://x.example/?a=1&b=2", "https://x.example/+~", " https://x.example/ ",
	`https://x.example/"`, "data:text/html,x", "https://x.example/zqxjajxqz", "https://x.example/%4",
}

func planValue(rng *rand.Rand) string {
	var b strings.Builder
	for i := range 1 + rng.IntN(3) {
		if i > 0 {
			b.WriteString(planSeparators[rng.IntN(len(planSeparators))])
		}
		b.WriteString(planPieces[rng.IntN(len(planPieces))])
	}
	return b.String()
}

func planURL(rng *rand.Rand, kind string) string {
	if rng.IntN(2) == 0 {
		return fmt.Sprintf("https://candor.example/%s/%x-%d", kind, rng.Uint64(), rng.IntN(100))
	}
	return planURLs[rng.IntN(len(planURLs))]
}

// planCustomer draws a customer: most values plain, many of them odd.
func planCustomer(rng *rand.Rand) content.RenderInput {
	d := content.RenderInput{Name: planValue(rng), PreferencesURL: planURL(rng, "p"), UnsubscribeURL: planURL(rng, "u"),
		Attributes: map[string]any{}}
	if rng.IntN(3) == 0 {
		d.Name = []string{"Ada", "José", "Zoë", "Ada Lovelace"}[rng.IntN(4)]
	}
	for _, k := range []string{"plan", "city", "label", "c", "x"} {
		switch rng.IntN(6) {
		case 0: // missing
		case 1:
			d.Attributes[k] = float64(rng.IntN(1000)) / 10
		case 2:
			d.Attributes[k] = []string{"", "pro", "Berlin", "tok-u"}[rng.IntN(4)]
		default:
			d.Attributes[k] = planValue(rng)
		}
	}
	switch rng.IntN(4) {
	case 0:
		d.Attributes["link"] = d.UnsubscribeURL
	case 1:
		d.Attributes["link"] = d.PreferencesURL
	case 2:
		d.Attributes["link"] = planURL(rng, "l")
	}
	return d
}

// planSample is a content whose every variant is rendered for many
// customers; planned says whether its html body should be judged by its
// plan for most of them (nil: not said).
type planSample struct {
	name    string
	in      *models.ContentInput
	planned *bool
}

var yes, no = new(true), new(false)

func htmlSample(name string, kind models.ContentKind, locale, html string, planned *bool) planSample {
	return planSample{name: name, planned: planned, in: &models.ContentInput{Kind: kind, DefaultLocale: locale, Variants: []models.Variant{{
		Locale: locale, Channel: models.ChannelEmail, Subject: "Hi {{.Customer.Name}}", Text: "Hi {{.Customer.Name}}.", HTML: html}}}}
}

const planLinks = `<p><a href="{{.PreferencesURL}}">Preferences</a> · <a href="{{.UnsubscribeURL}}">Unsubscribe</a></p>`

// planSamples are the hand-written samples, the demo's content and a
// template around every corpus sentence.
func planSamples(t *testing.T) []planSample {
	t.Helper()
	out := handSamples()
	for _, s := range demoTexts(t) {
		for _, kind := range []models.ContentKind{models.KindRoadmap, models.KindEducation} {
			in := &models.ContentInput{Kind: kind, DefaultLocale: "en", Variants: []models.Variant{
				{Locale: "en", Channel: models.ChannelEmail, Subject: s[0], Text: s[1],
					HTML: "<html><body><p>" + s[1] + "</p>" + planLinks + "</body></html>"},
				{Locale: "en", Channel: models.ChannelWebhook, Title: s[0], Text: s[1]},
				{Locale: "en", Channel: models.ChannelSMS, Text: s[1]},
			}}
			out = append(out, planSample{name: "demo " + string(kind) + " " + s[0], in: in, planned: yes})
		}
	}
	return append(out, corpusSamples(t)...)
}

// handSamples are the templates of the tests and the benchmark, written
// to probe the plan's conditions.
func handSamples() []planSample {
	r := models.KindRoadmap
	return []planSample{
		{name: "the typical roadmap email", in: typicalRoadmap(), planned: yes},
		htmlSample("a name, a disclaimer and both links", r, "en", `<p>Hello {{.Customer.Name}},</p><p>Plans may change.</p>`+planLinks, yes),
		htmlSample("a link whose only text is a value", r, "en", `<p><a href="{{.UnsubscribeURL}}">{{.Customer.Attributes.label}}</a> <a href="{{.PreferencesURL}}">{{.Customer.Name}}</a></p>`, yes),
		htmlSample("a link to an attribute", models.KindEducation, "en", `<p><a href="{{.Customer.Attributes.link}}">Your link</a> {{.Customer.Attributes.plan}}</p>`, yes),
		htmlSample("a value next to the disclaimer", r, "en", `<p>{{.Customer.Name}} these plans may change.</p>`+planLinks, yes),
		htmlSample("values inside the disclaimer's sentence", r, "de", `<p>Diese Pläne {{.Customer.Attributes.c}} können sich ändern, {{.Customer.Name}}.</p>`+planLinks, yes),
		htmlSample("a French roadmap with a value", r, "fr", `<div>Bonjour {{.Customer.Name}}.</div><div>Ces projets peuvent changer. Ce n'est pas une promesse.</div>`+planLinks, yes),
		htmlSample("a Spanish roadmap without a disclaimer", r, "es", `<p>Hola {{.Customer.Name}}: lanzamos pagos SEPA en junio.</p>`, yes),
		htmlSample("a static link to the signed URL", models.KindEducation, "en", `<p><a href="https://candor.example/p/tok-p">Manage</a> {{.Customer.Name}}</p>`, yes),
		htmlSample("an upper-case body", r, "en", `<HTML><BODY><p>Hi {{.Customer.Name}}</p></BODY></HTML>`, yes),
		htmlSample("a hidden link and a visible name", r, "en", `<p style="display:none"><a href="{{.UnsubscribeURL}}">Unsubscribe</a></p><p>{{.Customer.Name}}</p>`, yes),
		htmlSample("dark on dark with a value", r, "en", `<table bgcolor="#000000"><tr><td><font color="#111111">Plans can change. {{.Customer.Name}}</font></td></tr></table>`, yes),
		htmlSample("a value in a comment", r, "en", `<p>x</p><!-- {{.Customer.Name}} -->`, yes),
		htmlSample("a value after an ampersand", r, "en", `<p>This roadmap is &{{.Customer.Attributes.c}} a promise.</p>`, no),
		htmlSample("a value in a title attribute", r, "en", `<p title="{{.Customer.Name}}">x</p>`, no),
		htmlSample("a value in a class", r, "en", `<style>.h{display:none}</style><p class="{{.Customer.Attributes.c}}">Plans may change. <a href="{{.UnsubscribeURL}}">Unsubscribe</a></p>`, no),
		htmlSample("a value in a style attribute", r, "en", `<p style="display: {{.Customer.Attributes.c}}">Plans may change. <a href="{{.UnsubscribeURL}}">u</a></p>`, no),
		htmlSample("a value in a style sheet", r, "en", `<style>p { display: {{.Customer.Attributes.c}} }</style><p>x</p>`, no),
		htmlSample("a value in a script", r, "en", `<script>var x = "{{.Customer.Name}}";</script><p>x</p>`, no),
		htmlSample("a value in the title", r, "en", `<title>{{.Customer.Name}}</title><p>x</p>`, no),
		htmlSample("a value in part of an href", r, "en", `<a href="https://candor.example/u/{{.Customer.Attributes.x}}">Unsubscribe</a>`, no),
		htmlSample("a sheet that selects on href", r, "en", `<style>a[href*="tok"]{display:none}</style><p>`+planLinks+`</p>`, no),
		htmlSample("a sheet that selects on text", r, "en", `<style>p:contains("Ada"){display:none}</style><p>{{.Customer.Name}} <a href="{{.UnsubscribeURL}}">u</a></p>`, no),
		htmlSample("a branch", r, "en", `{{if .Customer.Attributes.c}}<p hidden>{{end}}<a href="{{.UnsubscribeURL}}">u</a>`, no),
		htmlSample("a value in a table", r, "en", `<table>{{.Customer.Name}}<tr><td><a href="{{.UnsubscribeURL}}">x</a></td></tr></table>`, nil),
		htmlSample("a value in the head", r, "en", `<html><head>{{.Customer.Name}}</head><body><p>Plans may change.</p></body></html>`, nil),
		htmlSample("a value before the html element", r, "en", `{{.Customer.Name}}<html><body><a href="{{.UnsubscribeURL}}">u</a></body></html>`, nil),
		htmlSample("a value in pre", r, "en", `<pre>{{.Customer.Name}}</pre>`+planLinks, nil),
		htmlSample("a value in svg", r, "en", `<svg><a href="{{.UnsubscribeURL}}"><text>{{.Customer.Name}}</text></a></svg>`, nil),
		htmlSample("a misnested link", r, "en", `<a href="{{.UnsubscribeURL}}"><p>Unsubscribe</a> {{.Customer.Name}}`, nil),
		htmlSample("a value in a frameset", r, "en", `<frameset>{{.Customer.Name}}</frameset>`, nil),
		htmlSample("a value in a select", r, "en", `<select><option>{{.Customer.Name}}</option></select><a href="{{.UnsubscribeURL}}">u</a>`, nil),
		htmlSample("a value in a textarea", r, "en", `<textarea>{{.Customer.Name}}</textarea>`+planLinks, nil),
		htmlSample("values side by side", r, "en", `<p>{{.Customer.Name}}{{.Customer.Attributes.c}}</p><p>{{.Customer.Attributes.x}}. Plans may change.</p>`+planLinks, nil),
		htmlSample("a value in an unquoted href", r, "en", `<a href={{.UnsubscribeURL}}>Unsubscribe</a> <a href='{{.PreferencesURL}}'>Preferences</a>`, nil),
	}
}

// TestPlannedRenderMatchesTheFullJudgement renders every sample for many
// random customers by plan (Render) and in full (the judgement of each
// message on its own output) and wants the same message byte for byte.
func TestPlannedRenderMatchesTheFullJudgement(t *testing.T) {
	seed := uint64(20261201)
	rng := rand.New(rand.NewPCG(seed, 6))
	for _, s := range planSamples(t) {
		customers := 300
		if strings.HasPrefix(s.name, "corpus") {
			customers = 6
		}
		planned := 0
		for c := range customers {
			d := planCustomer(rng)
			for i := range s.in.Variants {
				v := &s.in.Variants[i]
				want, werr := content.RenderFull(s.in, v, d)
				got, gerr := content.Render(s.in, v, d)
				if (werr != nil) != (gerr != nil) {
					t.Fatalf("%s, customer %d: errors differ: full %v, planned %v", s.name, c, werr, gerr)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s, customer %d (%q, %v, %q, %q), variant %d: (-full +planned):\n%s",
						s.name, c, d.Name, d.Attributes, d.PreferencesURL, d.UnsubscribeURL, i, diff)
				}
				if ok, _ := content.PlanApplies(s.in, v, d); ok {
					planned++
				}
			}
		}
		switch {
		case s.planned == nil:
		case *s.planned && planned < customers/4:
			_, why := content.PlanApplies(s.in, &s.in.Variants[0], content.RenderInput{Name: "Ada"})
			t.Errorf("%s: judged by its plan for %d of %d customers, want most (%s)", s.name, planned, customers, why)
		case !*s.planned && planned > 0:
			t.Errorf("%s: judged by its plan for %d customers, want none", s.name, planned)
		}
	}
}

// FuzzPlannedRender: any customer values give the same message by plan as
// in full, for every hand-written sample.
func FuzzPlannedRender(f *testing.F) {
	f.Add(uint8(0), "Ada", "pro", "https://candor.example/u/tok-u")
	f.Add(uint8(4), "we do not think", "h", "https://x.example/a b")
	f.Add(uint8(13), "x", "not", "")
	f.Fuzz(func(t *testing.T, which uint8, name, attr, url string) {
		samples := handSamples()
		s := samples[int(which)%len(samples)]
		d := content.RenderInput{Name: name, PreferencesURL: "https://candor.example/p/tok-p", UnsubscribeURL: url,
			Attributes: map[string]any{"c": attr, "label": name, "x": attr, "link": url, "plan": attr}}
		for i := range s.in.Variants {
			want, werr := content.RenderFull(s.in, &s.in.Variants[i], d)
			got, gerr := content.Render(s.in, &s.in.Variants[i], d)
			if (werr != nil) != (gerr != nil) {
				t.Fatalf("errors differ: full %v, planned %v", werr, gerr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: (-full +planned):\n%s", s.name, diff)
			}
		}
	})
}
