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
)

//go:embed templates/*.html templates/partials/*.html
var files embed.FS

// Page names, one per template file besides the layout.
const (
	PageUnsubscribe     = "unsubscribe"  // confirm: a button that POSTs the one-click form
	PageUnsubscribed    = "unsubscribed" // done: the customer is opted out of everything
	PageError           = "error"        // a link that is broken, forged or expired
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

// ErrorData fills PageError.
type ErrorData struct {
	Title   string
	Message string
}

// funcs are the helpers templates may call.
var funcs = template.FuncMap{
	"channelLabel": channelLabel,
	"longDate":     longDate,
	"statusLabel":  statusLabel,
}

// Pages are the parsed templates, each page combined with the layout.
type Pages struct {
	pages map[string]*template.Template
}

// Load parses every page with the layout. It fails only if a template is
// broken, which a test catches before release.
func Load() (*Pages, error) {
	layout, err := template.New(layoutTemplate).Funcs(funcs).ParseFS(files, "templates/"+layoutTemplate, "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	p := &Pages{pages: map[string]*template.Template{}}
	for _, name := range []string{PageUnsubscribe, PageUnsubscribed, PageError, PagePreferences, PageMessage, PageErase, PageErased, PageContent, PageRequested, PageConfirm, PageConfirmed} {
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
		p.pages[name] = t
	}
	return p, nil
}

// Render executes a page into memory, so a template error never sends half
// a page. It fails for an unknown page name or a template error.
func (p *Pages) Render(name string, data any) ([]byte, error) {
	t, ok := p.pages[name]
	if !ok {
		return nil, fmt.Errorf("web: unknown page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, layoutTemplate, data); err != nil {
		return nil, fmt.Errorf("web: render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}
