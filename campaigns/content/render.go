package content

import (
	"bytes"
	"encoding/json"
	htmltemplate "html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/candor/candor/models"
)

// RenderInput is the data a variant is rendered with.
type RenderInput struct {
	Name           string
	Attributes     map[string]any
	PreferencesURL string
	UnsubscribeURL string
}

// Message is a variant rendered exactly as it is sent.
type Message struct {
	ContentID      int64             `json:"content_id,omitempty"`
	Version        int               `json:"version,omitempty"`
	Channel        models.Channel    `json:"channel"`
	Locale         string            `json:"locale"`
	Subject        string            `json:"subject,omitempty"`
	Title          string            `json:"title,omitempty"`
	Text           string            `json:"text"`
	HTML           string            `json:"html,omitempty"`
	PreferencesURL string            `json:"preferences_url"`
	UnsubscribeURL string            `json:"unsubscribe_url"`
	Headers        map[string]string `json:"headers,omitempty"`
	SMS            *SMSSegments      `json:"sms,omitempty"`
}

// templateData is what templates see. Attributes are strings so a missing
// key renders as "" rather than "<no value>".
type templateData struct {
	Customer struct {
		Name       string
		Attributes map[string]string
	}
	PreferencesURL string
	UnsubscribeURL string
}

// PickVariant returns the variant for channel in the best locale for a
// customer: the exact locale, then its parents (de-AT -> de), then the
// content's default locale. ok is false when none exists for the channel.
func PickVariant(in *models.ContentInput, channel models.Channel, locale string) (v *models.Variant, ok bool) {
	var buf [8]string // the chain on the stack: this runs for every message sent
	for _, candidate := range appendLocaleChain(buf[:0], locale, in.DefaultLocale) {
		for i := range in.Variants {
			if in.Variants[i].Channel == channel && strings.EqualFold(in.Variants[i].Locale, candidate) {
				return &in.Variants[i], true
			}
		}
	}
	return nil, false
}

// LocaleChain lists the locales tried for a customer's locale, most
// specific first, ending with the default: "de-AT-x" -> de-AT-x, de-AT, de,
// then the default unless the chain already holds it (each locale is
// tried once, so explain never lists one twice).
func LocaleChain(locale, defaultLocale string) []string {
	return appendLocaleChain(nil, locale, defaultLocale)
}

// appendLocaleChain appends LocaleChain(locale, defaultLocale) to chain,
// which must be empty.
func appendLocaleChain(chain []string, locale, defaultLocale string) []string {
	for l := locale; l != ""; {
		chain = append(chain, l)
		i := strings.LastIndexByte(l, '-')
		if i < 0 {
			break
		}
		l = l[:i]
	}
	if slices.Contains(chain, defaultLocale) {
		return chain
	}
	return append(chain, defaultLocale)
}

// Render renders variant v of content in exactly as it is sent: the
// templates executed (HTML escaped in html bodies), the preference and
// unsubscribe links appended to each body part whose output does not show
// them, and for a roadmap the locale's disclaimer appended to each body
// part whose output does not carry one. Both are judged on the output,
// because a template may mention a link or a disclaimer in a branch this
// customer does not get, a comment, an attribute or a script. The
// judgement is taken from the template's plan when the customer's values
// cannot change it (renderplan.go), else from the message itself; both
// give the same message.
// EINVALID if a template does not parse or execute.
func Render(in *models.ContentInput, v *models.Variant, d RenderInput) (*Message, error) {
	return render(in, v, d, true)
}

// renderFull is Render judging every message on its own output, never by
// a plan: the reference the plans are tested against.
func renderFull(in *models.ContentInput, v *models.Variant, d RenderInput) (*Message, error) {
	return render(in, v, d, false)
}

func render(in *models.ContentInput, v *models.Variant, d RenderInput, planned bool) (*Message, error) {
	m, r, err := renderTemplates(in, v, d)
	if err != nil {
		return nil, err
	}
	lang := languageOf(v.Locale)
	roadmap := in.Kind == models.KindRoadmap
	var seen htmlSeen
	if m.HTML != "" {
		ok := false
		if planned {
			seen, ok = r.html.judgePlanned(&r.data, lang, roadmap)
		}
		if !ok {
			// Only what a reader sees counts: a hidden disclaimer or link is
			// appended again, visibly.
			view := viewHTML(m.HTML)
			seen = htmlSeen{disclaimer: roadmap && hasDisclaimer(lang, view.visibleText()),
				prefs: htmlHasLink(view, d.PreferencesURL), unsub: htmlHasLink(view, d.UnsubscribeURL)}
		}
	}
	if roadmap {
		// A text with "{{" reads differently to hasDisclaimer than its
		// template's static text did.
		certain := planned && r.text != nil && r.text.certainIn(lang) && !strings.Contains(m.Text, "{{")
		if !certain && !hasDisclaimer(lang, m.Text) {
			m.Text = appendParagraph(m.Text, disclaimerText(lang))
		}
		if m.HTML != "" && !seen.disclaimer {
			m.HTML = appendHTML(m.HTML, "<p>"+htmltemplate.HTMLEscapeString(disclaimerText(lang))+"</p>")
		}
	}
	m.Text = appendLinks(m.Text, lang, d, !textHasURL(m.Text, d.PreferencesURL), !textHasURL(m.Text, d.UnsubscribeURL))
	if m.HTML != "" {
		m.HTML = appendHTMLLinks(m.HTML, lang, d, !seen.prefs, !seen.unsub)
	}
	spec, _ := models.ChannelSpecFor(v.Channel)
	if spec.ListUnsubscribe {
		// RFC 8058 one-click unsubscribe for mail clients.
		m.Headers = map[string]string{
			"List-Unsubscribe":      "<" + d.UnsubscribeURL + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		}
	}
	if spec.Limits.Segmented() {
		seg := CountSMS(m.Text)
		m.SMS = &seg
	}
	return m, nil
}

// renderedParts are the data a variant was rendered with and its parsed
// text and html templates (nil when it has none).
type renderedParts struct {
	data       templateData
	text, html *parsedTemplate
}

// renderTemplates executes the templates of v, adding nothing. EINVALID
// naming the variant field of a template that does not parse or execute.
func renderTemplates(in *models.ContentInput, v *models.Variant, d RenderInput) (*Message, *renderedParts, error) {
	r := &renderedParts{data: templateData{PreferencesURL: d.PreferencesURL, UnsubscribeURL: d.UnsubscribeURL}}
	r.data.Customer.Name = d.Name
	r.data.Customer.Attributes = stringAttributes(d.Attributes)
	m := &Message{Channel: v.Channel, Locale: v.Locale, PreferencesURL: d.PreferencesURL, UnsubscribeURL: d.UnsubscribeURL}
	for _, f := range variantFields(variantIndex(in, v), v) {
		pt, err := parseTemplateCached(f)
		if err != nil {
			return nil, nil, &models.Error{Code: models.EINVALID, Message: "A template of the variant is not valid.",
				Fields: []models.FieldError{{Field: f.at, Rule: "template", Detail: err.Error()}}}
		}
		out, err := pt.execute(r.data, f.at)
		if err != nil {
			return nil, nil, &models.Error{Code: models.EINVALID, Message: "A template of the variant could not be rendered.",
				Fields: []models.FieldError{{Field: f.at, Rule: "template", Detail: err.Error()}}}
		}
		switch {
		case strings.HasSuffix(f.at, "/subject"):
			m.Subject = strings.Join(strings.Fields(out), " ") // no header injection
		case strings.HasSuffix(f.at, "/title"):
			m.Title = out
		case strings.HasSuffix(f.at, "/text"):
			m.Text, r.text = out, pt
		case strings.HasSuffix(f.at, "/html"):
			m.HTML, r.html = out, pt
		}
	}
	return m, r, nil
}

// htmlHasLink reports whether a reader of rendered HTML sees an <a> whose
// href is exactly url: a link they can follow, not a URL in an attribute,
// a comment, a script or hidden markup.
func htmlHasLink(view *htmlView, url string) bool {
	return url != "" && view.hasVisibleLink(url)
}

// textHasURL reports whether a plain-text body shows url. An empty url is
// never shown, so its label is still appended and the gap stays visible.
func textHasURL(text, url string) bool {
	return url != "" && strings.Contains(text, url)
}

// execute runs the template; at names its variant field in errors.
func (pt *parsedTemplate) execute(data templateData, at string) (string, error) {
	var buf bytes.Buffer
	var err error
	if pt.html != nil {
		err = pt.html.Execute(&buf, data)
	} else {
		err = pt.text.Execute(&buf, data)
	}
	if err != nil {
		return "", cleanTemplateError(err, "", at)
	}
	return buf.String(), nil
}

func variantIndex(in *models.ContentInput, v *models.Variant) int {
	for i := range in.Variants {
		if &in.Variants[i] == v || (in.Variants[i].Locale == v.Locale && in.Variants[i].Channel == v.Channel) {
			return i
		}
	}
	return 0
}

// stringAttributes renders attribute values as text: numbers without
// exponent noise, nested values as JSON.
func stringAttributes(attrs map[string]any) map[string]string {
	out := make(map[string]string, len(attrs))
	for k, v := range attrs {
		switch v := v.(type) {
		case nil:
			out[k] = ""
		case string:
			out[k] = v
		case float64:
			out[k] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			out[k] = strconv.FormatBool(v)
		case json.Number:
			out[k] = v.String()
		default:
			raw, _ := json.Marshal(v)
			out[k] = string(raw)
		}
	}
	return out
}

func appendParagraph(text, para string) string {
	text = strings.TrimRight(text, " \t\r\n")
	if text == "" {
		return para
	}
	return text + "\n\n" + para
}

// appendHTML inserts fragment before the last </body> (in any case) when
// there is one, else at the end. It searches html itself: an offset found
// in a lower-cased copy is wrong when a character before it changes
// length in lower case (İ, the Kelvin sign).
func appendHTML(html, fragment string) string {
	const end = "</body>"
	for i := len(html) - len(end); i >= 0; i-- {
		if html[i] == '<' && strings.EqualFold(html[i:i+len(end)], end) {
			return html[:i] + fragment + html[i:]
		}
	}
	return html + fragment
}

func appendLinks(text, lang string, d RenderInput, prefs, unsub bool) string {
	l := linkLabels(lang)
	var lines []string
	if prefs {
		lines = append(lines, l.preferences+": "+d.PreferencesURL)
	}
	if unsub {
		lines = append(lines, l.unsubscribe+": "+d.UnsubscribeURL)
	}
	if len(lines) == 0 {
		return text
	}
	return appendParagraph(text, strings.Join(lines, "\n"))
}

func appendHTMLLinks(html, lang string, d RenderInput, prefs, unsub bool) string {
	l := linkLabels(lang)
	var links []string
	if prefs {
		links = append(links, `<a href="`+htmltemplate.HTMLEscapeString(d.PreferencesURL)+`">`+htmltemplate.HTMLEscapeString(l.preferences)+`</a>`)
	}
	if unsub {
		links = append(links, `<a href="`+htmltemplate.HTMLEscapeString(d.UnsubscribeURL)+`">`+htmltemplate.HTMLEscapeString(l.unsubscribe)+`</a>`)
	}
	if len(links) == 0 {
		return html
	}
	return appendHTML(html, "<p>"+strings.Join(links, " · ")+"</p>")
}
