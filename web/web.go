// Package web holds Candor's server-rendered public pages: one-click
// unsubscribe and the preference center. Pages work without
// JavaScript and without CSS: they are the customer's way out, so they must
// work in every mail client's browser.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed templates/*.html templates/partials/*.html
var files embed.FS

// Page names, one per template file besides the layout.
const (
	PageUnsubscribe     = "unsubscribe"  // confirm: a button that POSTs the one-click form
	PageUnsubscribed    = "unsubscribed" // done: the customer is opted out of everything
	PageError           = "error"        // a link that is broken, forged or expired
	PageTooMany         = "toomany"      // 429: the link or address made too many requests
	layoutTemplate      = "layout.html"  // the frame every page fills in
	contentTemplateName = "content"      // the block each page defines
)

// UnsubscribeData fills PageUnsubscribe.
type UnsubscribeData struct {
	Action string // URL the form posts to, relative to the page
}

// UnsubscribedData fills PageUnsubscribed.
type UnsubscribedData struct {
	Changed        int    // topics that were opted out by this request
	PreferencesURL string // the customer's preference center
}

// ErrorData fills PageError. Title and Message are message ids (Msg*),
// translated by the page.
type ErrorData struct {
	Title   string
	Message string
}

// TooManyData fills PageTooMany.
type TooManyData struct {
	RetryAfter string // whole seconds, as in the Retry-After header
}

// Pages are the parsed templates, each page combined with the layout, once
// per language.
type Pages struct {
	pages map[language.Tag]map[string]*template.Template
}

// pageNames lists every page besides the layout.
var pageNames = []string{PageUnsubscribe, PageUnsubscribed, PageError, PagePreferences, PageMessage, PageErase, PageErased, PageContent,
	PageTooMany, PageRequested, PageConfirm, PageConfirmed}

// Load parses every page with the layout in every language of Languages
// and registers the messages the templates print. It fails if a template
// or a catalogue is broken, which a test catches before release.
func Load() (*Pages, error) {
	cat, err := newCatalog()
	if err != nil {
		return nil, err
	}
	p := &Pages{pages: map[language.Tag]map[string]*template.Template{}}
	for _, tag := range Languages {
		l := localizer{tag: tag, printer: message.NewPrinter(tag, message.Catalog(cat))}
		if p.pages[tag], err = parsePages(l.funcs()); err != nil {
			return nil, err
		}
	}
	for _, id := range templateMessages(p.pages[language.English]) {
		msg(id)
	}
	return p, nil
}

// parsePages parses the layout and every page with funcs.
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	layout, err := template.New(layoutTemplate).Funcs(funcs).ParseFS(files, "templates/"+layoutTemplate, "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := layout.Clone()
		if err == nil {
			t, err = t.ParseFS(files, "templates/"+name+".html")
		}
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		if t.Lookup(contentTemplateName) == nil {
			return nil, fmt.Errorf("web: %s defines no %q block", name, contentTemplateName)
		}
		pages[name] = t
	}
	return pages, nil
}

// Render executes a page in lang (one of Languages; any other renders in
// English) into memory, so a template error never sends half a page. It
// fails for an unknown page name or a template error.
func (p *Pages) Render(name string, lang language.Tag, data any) ([]byte, error) {
	set, ok := p.pages[lang]
	if !ok {
		set = p.pages[language.English]
	}
	t, ok := set[name]
	if !ok {
		return nil, fmt.Errorf("web: unknown page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, layoutTemplate, data); err != nil {
		return nil, fmt.Errorf("web: render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}
