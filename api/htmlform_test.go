package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// page is a parsed HTML answer and the path it was served at.
type page struct {
	tb   testing.TB
	path string
	doc  *html.Node
	body string
}

// htmlForm is a form as a browser would submit it: its action resolved
// against the page and the values of its successful controls.
type htmlForm struct {
	action string
	values url.Values
}

// getPage GETs path and parses the HTML, failing unless the status is want.
func (a *testAPI) getPage(path string, want int) *page {
	a.tb.Helper()
	rec := a.serve(httptest.NewRequest(http.MethodGet, path, nil))
	wantStatus(a.tb, rec, want)
	return parsePage(a.tb, path, rec)
}

func parsePage(tb testing.TB, path string, rec *httptest.ResponseRecorder) *page {
	tb.Helper()
	doc, err := html.Parse(strings.NewReader(rec.Body.String()))
	if err != nil {
		tb.Fatalf("parse %s: %v", path, err)
	}
	return &page{tb: tb, path: path, doc: doc, body: rec.Body.String()}
}

// submit posts a form urlencoded, as a browser does.
func (a *testAPI) submit(f *htmlForm) *httptest.ResponseRecorder {
	a.tb.Helper()
	req := httptest.NewRequest(http.MethodPost, f.action, strings.NewReader(f.values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "candor-test-browser/1.0")
	return a.serve(req)
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// all returns the element nodes below n for which match is true.
func all(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

// text returns the text content of n in document order, spaces collapsed
// (style and script contents left out).
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data + " ")
		case n.Type == html.ElementNode && (n.Data == "style" || n.Data == "script"):
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// form returns the form whose action ends with suffix ("" for the
// page's own), with the values a browser would send unchanged.
func (p *page) form(suffix string) *htmlForm {
	p.tb.Helper()
	for _, f := range all(p.doc, tag("form")) {
		action, _ := attr(f, "action")
		if suffix != "" && !strings.HasSuffix(action, suffix) {
			continue
		}
		if suffix == "" && strings.Contains(action, "/") {
			continue
		}
		return &htmlForm{action: path.Join(path.Dir(p.path), action), values: controlValues(f)}
	}
	p.tb.Fatalf("page %s has no form with action ending %q:\n%s", p.path, suffix, p.body)
	return nil
}

// controlValues are the values a browser submits for a form's controls.
func controlValues(f *html.Node) url.Values {
	v := url.Values{}
	for _, in := range all(f, tag("input")) {
		name, _ := attr(in, "name")
		value, _ := attr(in, "value")
		typ, _ := attr(in, "type")
		_, checked := attr(in, "checked")
		if name == "" || ((typ == "checkbox" || typ == "radio") && !checked) {
			continue
		}
		v.Add(name, value)
	}
	for _, sel := range all(f, tag("select")) {
		name, _ := attr(sel, "name")
		opts := all(sel, tag("option"))
		chosen := ""
		for i, o := range opts {
			value, ok := attr(o, "value")
			if !ok {
				value = text(o)
			}
			if _, sel := attr(o, "selected"); sel || i == 0 {
				chosen = value
			}
		}
		v.Set(name, chosen)
	}
	return v
}
