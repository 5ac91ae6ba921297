package content

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// hiddenElements hold markup a reader of the email never sees as body
// text or as a link: a URL or a disclaimer inside them does not count.
var hiddenElements = map[atom.Atom]bool{
	atom.Head: true, atom.Title: true, atom.Script: true, atom.Style: true,
	atom.Template: true, atom.Noscript: true,
}

// walkHTML tokenizes rendered HTML and calls fn with each token a reader
// can see: comments and everything inside hiddenElements are skipped. An
// unclosed hidden element hides the rest, so a doubt always ends with
// Candor appending what is missing.
func walkHTML(src string, fn func(t html.Token)) {
	z := html.NewTokenizer(strings.NewReader(src))
	hidden := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken:
			t := z.Token()
			if hiddenElements[t.DataAtom] {
				hidden++
			} else if hidden == 0 {
				fn(t)
			}
		case html.EndTagToken:
			if t := z.Token(); hiddenElements[t.DataAtom] && hidden > 0 {
				hidden--
			}
		case html.SelfClosingTagToken, html.TextToken:
			if t := z.Token(); hidden == 0 {
				fn(t)
			}
		}
	}
}

// htmlHasLink reports whether rendered HTML holds a visible <a> whose href
// is exactly url: a link the reader can follow, not a URL in an attribute,
// a comment or a script.
func htmlHasLink(src, url string) bool {
	if url == "" {
		return false
	}
	found := false
	walkHTML(src, func(t html.Token) {
		if t.DataAtom != atom.A || t.Type == html.TextToken {
			return
		}
		for _, a := range t.Attr {
			if a.Namespace == "" && a.Key == "href" && strings.TrimSpace(a.Val) == url {
				found = true
			}
		}
	})
	return found
}

// htmlVisibleText returns the text of rendered HTML that a reader sees,
// entities decoded, with a space between elements so words of adjacent
// blocks do not run together.
func htmlVisibleText(src string) string {
	var b strings.Builder
	walkHTML(src, func(t html.Token) {
		if t.Type == html.TextToken {
			b.WriteString(t.Data)
		}
		b.WriteByte(' ')
	})
	return b.String()
}
