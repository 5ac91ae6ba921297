package content_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

func TestValidateTemplates(t *testing.T) {
	tests := []struct {
		name     string
		variant  models.Variant
		wantErrs []string // "field rule" and a fragment of the detail
	}{
		{"every allowed variable passes", models.Variant{Locale: "en", Channel: models.ChannelEmail, Subject: "Hi {{.Customer.Name}}",
			Text: "Plan: {{.Customer.Attributes.plan}}. {{if .Customer.Name}}Dear {{.Customer.Name}}{{else}}Hello{{end}}. {{.PreferencesURL}} {{.UnsubscribeURL}}",
			HTML: `<p>Hi {{.Customer.Name}}</p><a href="{{.UnsubscribeURL}}">Unsubscribe</a>`}, nil},
		{"an unknown variable is rejected with its line and column", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: "Hello\nyour mail: {{.Customer.Email}}"},
			[]string{"/variants/0/text template", `line 2:12: unknown variable ".Customer.Email"`}},
		{"a template that does not parse is rejected with its line and column", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: "Hi {{.Customer.Name"},
			[]string{"/variants/0/text template", "line 1:4: unclosed action"}},
		{"a syntax error names the action it is in, not the first one on the line", models.Variant{Locale: "en", Channel: models.ChannelSMS,
			Text: "Hi\n{{if .Customer.Name}}{{.Customer.Name)}}{{end}}"},
			[]string{"/variants/0/text template", "line 2:22: unexpected right paren"}},
		{"a stray end names its column", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: "Hi {{.Customer.Name}}.\nBye {{end}}"},
			[]string{"/variants/0/text template", "line 2:5: unexpected {{end}}"}},
		{"functions are rejected", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: `{{printf "%s" .Customer.Name}}`},
			[]string{"/variants/0/text template", "pipelines, functions and assignments are not allowed"}},
		{"pipelines are rejected", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: `{{.Customer.Name | html}}`},
			[]string{"/variants/0/text template", "pipelines"}},
		{"range over attributes is rejected", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: `{{range .Customer.Attributes}}x{{end}}`},
			[]string{"/variants/0/text template", "line 1:1: only {{.Variable}}"}},
		{"a define beside the text is rejected", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: `Hi{{define "x"}}{{range .Customer.Attributes}}a{{end}}{{end}}`},
			[]string{"/variants/0/text template", "{{define}} and {{template}} are not allowed"}},
		{"a define alone is rejected", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: `{{define "x"}}hello{{end}}`},
			[]string{"/variants/0/text template", "{{define}} and {{template}} are not allowed"}},
		{"a define that replaces the field's own template is rejected", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: `{{define "/variants/0/text"}}hello{{end}}`},
			[]string{"/variants/0/text template", "{{define}} and {{template}} are not allowed"}},
		{"a block is rejected", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: `{{block "x" .}}hello{{end}}`},
			[]string{"/variants/0/text template", "{{define}} and {{template}} are not allowed"}},
		{"a template call is rejected", models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: `Hi {{template "x"}}`},
			[]string{"/variants/0/text template", "{{define}} and {{template}} are not allowed"}},
		{"a define in the html body is rejected", models.Variant{Locale: "en", Channel: models.ChannelEmail, Subject: "S", Text: "t", HTML: `<p>Hi</p>{{define "x"}}<b>{{end}}`},
			[]string{"/variants/0/html template", "{{define}} and {{template}} are not allowed"}},
		{"an action html/template cannot escape is rejected at save time", models.Variant{Locale: "en", Channel: models.ChannelEmail, Subject: "S", Text: "t", HTML: `<a href="{{.UnsubscribeURL}}`},
			[]string{"/variants/0/html template", "/variants/0/html: the HTML ends inside an unclosed tag"}},
		{"if branches that leave the HTML in different states are explained plainly", models.Variant{Locale: "en", Channel: models.ChannelEmail, Subject: "S", Text: "t",
			HTML: `{{if .Customer.Name}}<a href="{{else}}<b>{{end}}`},
			[]string{"/variants/0/html template", "/variants/0/html: the branches of an {{if}} leave the HTML in different states"}},
		{"an unknown variable in the html body names the html field", models.Variant{Locale: "en", Channel: models.ChannelEmail, Subject: "S", Text: "t", HTML: "<p>{{.Secret}}</p>"},
			[]string{"/variants/0/html template", `unknown variable ".Secret"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := content.ValidateTemplates(&models.ContentInput{Variants: []models.Variant{tt.variant}})
			if tt.wantErrs == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			fields := models.ErrorFields(err)
			if models.ErrorCode(err) != models.EINVALID || len(fields) != 1 {
				t.Fatalf("err = %v, want one EINVALID field error", err)
			}
			if got := fields[0].Field + " " + fields[0].Rule; got != tt.wantErrs[0] {
				t.Errorf("field rule = %q, want %q", got, tt.wantErrs[0])
			}
			if !strings.Contains(fields[0].Detail, tt.wantErrs[1]) {
				t.Errorf("detail %q does not contain %q", fields[0].Detail, tt.wantErrs[1])
			}
			if strings.Contains(fields[0].Detail, "{state") || strings.Contains(fields[0].Detail, "html/template") {
				t.Errorf("detail %q exposes the escaper's internals", fields[0].Detail)
			}
		})
	}
}

func TestPickVariantFollowsTheFallbackChain(t *testing.T) {
	in := &models.ContentInput{DefaultLocale: "en", Variants: []models.Variant{
		{Locale: "en", Channel: models.ChannelEmail}, {Locale: "de", Channel: models.ChannelEmail},
		{Locale: "de-AT", Channel: models.ChannelSMS}, {Locale: "fr", Channel: models.ChannelSMS},
	}}
	tests := []struct {
		name    string
		channel models.Channel
		locale  string
		want    string // locale of the variant, "" for none
	}{
		{"an Austrian customer gets German email when there is no de-AT email", models.ChannelEmail, "de-AT", "de"},
		{"an Austrian customer gets the de-AT SMS", models.ChannelSMS, "de-AT", "de-AT"},
		{"a Swiss customer falls back to German", models.ChannelEmail, "de-CH", "de"},
		{"a Spanish customer falls back to the default locale", models.ChannelEmail, "es-MX", "en"},
		{"a customer without a locale gets the default", models.ChannelEmail, "", "en"},
		{"no variant for the channel in the chain is reported", models.ChannelSMS, "es", ""},
		{"no variant for the channel at all is reported", models.ChannelWebhook, "en", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := content.PickVariant(in, tt.channel, tt.locale)
			got := ""
			if ok {
				got = v.Locale
			}
			if got != tt.want {
				t.Errorf("variant locale = %q, want %q", got, tt.want)
			}
		})
	}
}

var links = content.RenderInput{PreferencesURL: "https://candor.example/p/tok-p", UnsubscribeURL: "https://candor.example/u/tok-u"}

func render(t *testing.T, in *models.ContentInput, d content.RenderInput) *content.Message {
	t.Helper()
	m, err := content.Render(in, &in.Variants[0], d)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return m
}

func TestRender(t *testing.T) {
	t.Run("an email is personalised, escaped in HTML, and gets both links and one-click headers", func(t *testing.T) {
		in := &models.ContentInput{Kind: models.KindEducation, DefaultLocale: "en", Variants: []models.Variant{{
			Locale: "en", Channel: models.ChannelEmail, Subject: "Hi\r\nBcc: x {{.Customer.Name}}",
			Text: "Dear {{.Customer.Name}}, your plan is {{.Customer.Attributes.plan}} with {{.Customer.Attributes.seats}} seats{{.Customer.Attributes.missing}}.",
			HTML: "<html><body><p>Dear {{.Customer.Name}}</p></body></html>",
		}}}
		d := links
		d.Name, d.Attributes = "<b>Ada</b>", map[string]any{"plan": "pro", "seats": float64(12)}
		got := render(t, in, d)
		want := &content.Message{
			Channel: models.ChannelEmail, Locale: "en",
			Subject: "Hi Bcc: x <b>Ada</b>",
			Text: "Dear <b>Ada</b>, your plan is pro with 12 seats.\n\n" +
				"Manage your preferences: https://candor.example/p/tok-p\nUnsubscribe: https://candor.example/u/tok-u",
			HTML: "<html><body><p>Dear &lt;b&gt;Ada&lt;/b&gt;</p>" +
				`<p><a href="https://candor.example/p/tok-p">Manage your preferences</a> · <a href="https://candor.example/u/tok-u">Unsubscribe</a></p></body></html>`,
			PreferencesURL: links.PreferencesURL, UnsubscribeURL: links.UnsubscribeURL,
			Headers: map[string]string{"List-Unsubscribe": "<https://candor.example/u/tok-u>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a variant that places a link does not get it twice", func(t *testing.T) {
		in := &models.ContentInput{Kind: models.KindEducation, DefaultLocale: "de", Variants: []models.Variant{{
			Locale: "de", Channel: models.ChannelWebhook, Title: "Neu", Text: "Abmelden: {{.UnsubscribeURL}}"}}}
		got := render(t, in, links).Text
		want := "Abmelden: https://candor.example/u/tok-u\n\nEinstellungen verwalten: https://candor.example/p/tok-p"
		if got != want {
			t.Errorf("text = %q, want %q", got, want)
		}
	})
	t.Run("a roadmap without a disclaimer gets the locale's disclaimer before the links", func(t *testing.T) {
		in := &models.ContentInput{Kind: models.KindRoadmap, DefaultLocale: "fr", Variants: []models.Variant{{
			Locale: "fr", Channel: models.ChannelSMS, Text: "Paiements SEPA en juin, ça arrive."}}}
		got := render(t, in, links)
		if !strings.HasPrefix(got.Text, "Paiements SEPA en juin, ça arrive.\n\nCes projets peuvent changer.") || !strings.HasSuffix(got.Text, "Se désabonner: https://candor.example/u/tok-u") {
			t.Errorf("text = %q", got.Text)
		}
		if got.SMS == nil || got.SMS.Encoding != content.EncodingUCS2 || got.SMS.Segments < 2 {
			t.Errorf("sms = %+v, want UCS-2 (ç) in several segments", got.SMS)
		}
	})
	t.Run("a roadmap that has a disclaimer is left as written", func(t *testing.T) {
		in := &models.ContentInput{Kind: models.KindRoadmap, DefaultLocale: "es", Variants: []models.Variant{{
			Locale: "es", Channel: models.ChannelSMS, Text: "Pagos SEPA en junio; los planes pueden cambiar. {{.PreferencesURL}} {{.UnsubscribeURL}}"}}}
		want := "Pagos SEPA en junio; los planes pueden cambiar. https://candor.example/p/tok-p https://candor.example/u/tok-u"
		if got := render(t, in, links).Text; got != want {
			t.Errorf("text = %q, want %q", got, want)
		}
	})
}

// TestRenderDecidesOnTheOutputWhetherTheLinksArePresent uses templates that
// mention the links without showing them: every rendered message must
// still carry both, as text and, in HTML, as a link one can click.
func TestRenderDecidesOnTheOutputWhetherTheLinksArePresent(t *testing.T) {
	prefsAnchor := `<a href="https://candor.example/p/tok-p">Manage your preferences</a>`
	unsubAnchor := `<a href="https://candor.example/u/tok-u">Unsubscribe</a>`
	tests := []struct {
		name    string
		variant models.Variant
		name2   string // the customer's name
	}{
		{"links only named in empty if blocks are appended to text",
			models.Variant{Channel: models.ChannelEmail, Subject: "Hi", Text: "Hi.{{if .UnsubscribeURL}}{{end}}{{if .PreferencesURL}}{{end}}"}, ""},
		{"links inside an HTML comment are appended to html",
			models.Variant{Channel: models.ChannelEmail, Subject: "Hi", Text: "Hi.", HTML: "<p>Hi</p><!-- {{.UnsubscribeURL}} {{.PreferencesURL}} -->"}, ""},
		{"links in a branch that is never taken are appended to an sms",
			models.Variant{Channel: models.ChannelSMS, Text: "Hi{{if .Customer.Attributes.never}} {{.UnsubscribeURL}} {{.PreferencesURL}}{{end}}"}, ""},
		{"links shown only to customers with a name are appended for a customer without one",
			models.Variant{Channel: models.ChannelWebhook, Title: "Hi", Text: "Hi{{if .Customer.Name}} {{.UnsubscribeURL}} {{.PreferencesURL}}{{end}}"}, ""},
		{"links in a title attribute are appended as real links",
			models.Variant{Channel: models.ChannelEmail, Subject: "Hi", Text: "x {{.UnsubscribeURL}} {{.PreferencesURL}}",
				HTML: `<p title="{{.UnsubscribeURL}}">x</p><p title="{{.PreferencesURL}}">y</p>`}, ""},
		{"links inside a script are appended as real links",
			models.Variant{Channel: models.ChannelEmail, Subject: "Hi", Text: "x",
				HTML: `<script>var u = "{{.UnsubscribeURL}}", p = "{{.PreferencesURL}}";</script><p>Hi</p>`}, ""},
		{"a link in the subject does not count for the body",
			models.Variant{Channel: models.ChannelEmail, Subject: "{{.UnsubscribeURL}} {{.PreferencesURL}}", Text: "Hi."}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.variant.Locale = "en"
			in := &models.ContentInput{Kind: models.KindEducation, DefaultLocale: "en", Variants: []models.Variant{tt.variant}}
			d := links
			d.Name = tt.name2
			got := render(t, in, d)
			for _, url := range []string{links.PreferencesURL, links.UnsubscribeURL} {
				if !strings.Contains(got.Text, url) {
					t.Errorf("text lacks %s:\n%s", url, got.Text)
				}
			}
			if tt.variant.HTML != "" && (!strings.Contains(got.HTML, prefsAnchor) || !strings.Contains(got.HTML, unsubAnchor)) {
				t.Errorf("html lacks a link:\n%s", got.HTML)
			}
		})
	}
	t.Run("links the html places as anchors are not appended twice", func(t *testing.T) {
		in := &models.ContentInput{Kind: models.KindEducation, DefaultLocale: "en", Variants: []models.Variant{{
			Locale: "en", Channel: models.ChannelEmail, Subject: "Hi", Text: "{{.PreferencesURL}} {{.UnsubscribeURL}}",
			HTML: `<p><a href="{{.UnsubscribeURL}}">Leave</a> <a class="x" href='{{.PreferencesURL}}'>Choose</a></p>`}}}
		got := render(t, in, links)
		want := `<p><a href="https://candor.example/u/tok-u">Leave</a> <a class="x" href='https://candor.example/p/tok-p'>Choose</a></p>`
		if got.HTML != want || got.Text != links.PreferencesURL+" "+links.UnsubscribeURL {
			t.Errorf("html = %q, text = %q", got.HTML, got.Text)
		}
	})
}

// TestRenderJudgesTheRoadmapDisclaimerOnEachRenderedPart: a disclaimer in
// one part, or in a branch not taken, does not reach the other reader.
func TestRenderJudgesTheRoadmapDisclaimerOnEachRenderedPart(t *testing.T) {
	const en = "These plans may change."
	t.Run("text without a disclaimer gets one even when the html has one", func(t *testing.T) {
		in := &models.ContentInput{Kind: models.KindRoadmap, DefaultLocale: "en", Variants: []models.Variant{{
			Locale: "en", Channel: models.ChannelEmail, Subject: "Plans", Text: "SEPA in June.",
			HTML: "<p>SEPA in June. Plans may change.</p>"}}}
		got := render(t, in, links)
		if !strings.Contains(got.Text, en) {
			t.Errorf("text lacks the disclaimer:\n%s", got.Text)
		}
		if strings.Contains(got.HTML, en) {
			t.Errorf("html had a disclaimer and got a second one:\n%s", got.HTML)
		}
	})
	t.Run("a German disclaimer only inside a false if is appended", func(t *testing.T) {
		in := &models.ContentInput{Kind: models.KindRoadmap, DefaultLocale: "de", Variants: []models.Variant{{
			Locale: "de", Channel: models.ChannelSMS, Text: "SEPA im Juni.{{if .Customer.Attributes.never}} Pläne können sich ändern.{{end}}"}}}
		got := render(t, in, links)
		if !strings.Contains(got.Text, "Diese Pläne können sich ändern.") {
			t.Errorf("text lacks the disclaimer:\n%s", got.Text)
		}
	})
	t.Run("a disclaimer inside an HTML comment is appended to the html", func(t *testing.T) {
		in := &models.ContentInput{Kind: models.KindRoadmap, DefaultLocale: "en", Variants: []models.Variant{{
			Locale: "en", Channel: models.ChannelEmail, Subject: "Plans", Text: "SEPA in June. Plans may change.",
			HTML: "<p>SEPA in June.</p><!-- Plans may change. -->"}}}
		got := render(t, in, links)
		if !strings.Contains(got.HTML, en) || strings.Contains(got.Text, en) {
			t.Errorf("text = %q, html = %q", got.Text, got.HTML)
		}
	})
}

// TestRenderManyCustomersAtOnceKeepsEachOnesData renders one variant for
// many customers concurrently, as a send batch does with the parsed
// templates cached: each message holds its own customer's name only.
func TestRenderManyCustomersAtOnceKeepsEachOnesData(t *testing.T) {
	in := &models.ContentInput{Kind: models.KindEducation, DefaultLocale: "en", Variants: []models.Variant{{
		Locale: "en", Channel: models.ChannelEmail, Subject: "For {{.Customer.Name}}",
		Text: "Dear {{.Customer.Name}}.", HTML: "<p>Dear {{.Customer.Name}}</p>",
	}}}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 64 {
		wg.Go(func() {
			d := links
			d.Name = fmt.Sprintf("Customer %d", i)
			m, err := content.Render(in, &in.Variants[0], d)
			switch {
			case err != nil:
				errs <- err.Error()
			case m.Subject != "For "+d.Name || !strings.HasPrefix(m.Text, "Dear "+d.Name+".") || !strings.Contains(m.HTML, "Dear "+d.Name+"<"):
				errs <- fmt.Sprintf("customer %d got %q / %q", i, m.Subject, m.Text)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestRenderAppendsBeforeTheBodyEndWhateverTheNameLowercasesTo: the links
// go right before </body> even when text before it changes length when
// lower-cased (İ, the Kelvin sign K): a search in a lower-cased copy put
// them that many bytes too early, inside the name or a tag.
func TestRenderAppendsBeforeTheBodyEndWhateverTheNameLowercasesTo(t *testing.T) {
	for _, name := range []string{"İİİİİİİİ", "\u212a\u212a\u212a", "Ⱥda"} {
		t.Run(name, func(t *testing.T) {
			in := &models.ContentInput{Kind: models.KindEducation, DefaultLocale: "en", Variants: []models.Variant{{
				Locale: "en", Channel: models.ChannelEmail, Subject: "Hi", Text: "Hi.",
				HTML: "<html><body><p>Hi {{.Customer.Name}}</p></BODY></html>"}}}
			d := links
			d.Name = name
			want := "<html><body><p>Hi " + name + "</p>" + `<p><a href="https://candor.example/p/tok-p">Manage your preferences</a> · ` +
				`<a href="https://candor.example/u/tok-u">Unsubscribe</a></p></BODY></html>`
			if got := render(t, in, d).HTML; got != want {
				t.Errorf("html = %q, want %q", got, want)
			}
		})
	}
}
