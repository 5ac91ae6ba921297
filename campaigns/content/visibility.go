package content

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Thresholds of what a reader cannot see.
const (
	// minContrast: text whose contrast ratio with its background (WCAG
	// 2) is below this is taken as invisible; 1 is the same colour.
	minContrast = 1.5
	// minFontPx and minBoxPx: text this small, or a box this low or
	// narrow with its overflow hidden, is not readable.
	minFontPx = 4.0
	minBoxPx  = 2.0
	// offScreenPx: a box moved this far out (left: -9999px, text-indent:
	// -500px) is off-screen.
	offScreenPx = 500.0
	// minOpacity: at or below it, content is not visible.
	minOpacity = 0.05
)

// htmlView is rendered HTML as a reader sees it.
type htmlView struct {
	visible strings.Builder // the text a reader sees
	hidden  []hiddenPart    // text a reader does not see
	links   []viewLink
	// seen counts the text nodes and images a reader sees, lastWhy is why
	// the last hidden one was hidden: a link is visible when something
	// inside it is.
	seen    int
	lastWhy string
}

// hiddenPart is hidden text and why it is hidden.
type hiddenPart struct{ text, why string }

// viewLink is an <a href> and whether a reader can see and follow it.
type viewLink struct {
	href    string
	visible bool
	why     string
	// hidden[from:to] is the hidden text inside the link.
	from, to int
}

// style is what a reader sees of an element, inherited down the tree.
type style struct {
	hidden     string // why the element is hidden, "" when it is not
	visibility bool   // visibility: hidden (a child may set it visible)
	color      rgba
	backdrop   rgba // the background the text is drawn on
	unknownBg  bool // a background image: contrast cannot be judged
	fontPx     float64
	opacity    float64
}

// viewHTML renders src as a reader sees it: text and links hidden by the
// hidden attribute, inline styles and <style> rules (docs/content.md lists
// the properties understood) are set apart. HTML without any style,
// colour or hidden attribute skips the cascade.
func viewHTML(src string) *htmlView {
	return viewHTMLAs(src, mayHide(src))
}

// viewHTMLAs is viewHTML with the cascade on (styled) or skipped; the
// render plans compare both to know that the choice does not matter.
func viewHTMLAs(src string, styled bool) *htmlView {
	v := &htmlView{}
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil { // html.Parse recovers from any markup; only a reader error ends here
		return v
	}
	var rules []cssRule
	if styled {
		order := 0
		var collect func(n *html.Node)
		collect = func(n *html.Node) {
			if n.Type == html.ElementNode && n.DataAtom == atom.Style {
				var b strings.Builder
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					b.WriteString(c.Data)
				}
				rules = append(rules, styleSheet(b.String(), &order)...)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				collect(c)
			}
		}
		collect(doc)
		v.walk(doc, style{color: black, backdrop: white, fontPx: 16, opacity: 1}, rules, true)
		return v
	}
	v.walk(doc, style{color: black, backdrop: white, fontPx: 16, opacity: 1}, nil, false)
	return v
}

// mayHide reports whether src has anything that can hide content; most
// messages have none and are judged by their markup alone.
func mayHide(src string) bool {
	for _, w := range []string{"style", "hidden", "color"} {
		if containsFold(src, w) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case ASCII word w in
// any case, without copying s.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

func (v *htmlView) walk(n *html.Node, st style, rules []cssRule, styled bool) {
	switch n.Type {
	case html.TextNode:
		if strings.TrimSpace(n.Data) == "" {
			v.visible.WriteString(n.Data)
			return
		}
		if why := st.textHidden(); why != "" {
			v.addHidden(n.Data, why)
			return
		}
		v.seen++
		v.visible.WriteString(n.Data)
		return
	case html.CommentNode:
		return
	case html.ElementNode:
		if hiddenElements[n.DataAtom] {
			return
		}
		if styled {
			st = st.child(n, cascade(n, rules))
		} else if attr(n, "hidden") != nil {
			st.hidden = "the hidden attribute"
		}
		if n.DataAtom == atom.Img {
			if why := st.boxHidden(); why != "" {
				v.lastWhy = why
			} else if w, h := attr(n, "width"), attr(n, "height"); (w == nil || !tiny(w.Val)) && (h == nil || !tiny(h.Val)) {
				v.seen++
			}
		}
		if href := attr(n, "href"); n.DataAtom == atom.A && href != nil {
			seen, from := v.seen, len(v.hidden)
			v.lastWhy = ""
			defer func() {
				l := viewLink{href: strings.TrimSpace(href.Val), visible: v.seen > seen, why: v.lastWhy, from: from, to: len(v.hidden)}
				if !l.visible && l.why == "" {
					l.why = "a link without text or image"
				}
				v.links = append(v.links, l)
			}()
		}
		if blockElements[n.DataAtom] {
			v.visible.WriteString("\n")
		}
		defer func() {
			if blockElements[n.DataAtom] {
				v.visible.WriteString("\n")
			}
		}()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		v.walk(c, st, rules, styled)
	}
}

func (v *htmlView) addHidden(text, why string) {
	v.lastWhy = why
	v.hidden = append(v.hidden, hiddenPart{text: strings.Join(strings.Fields(text), " "), why: why})
}

// boxHidden says why an element with this style is not shown, or "".
func (st style) boxHidden() string {
	switch {
	case st.hidden != "":
		return st.hidden
	case st.visibility:
		return "visibility: hidden"
	case st.opacity <= minOpacity:
		return "opacity near 0"
	}
	return ""
}

// textHidden says why text with this style cannot be read, or "".
func (st style) textHidden() string {
	if why := st.boxHidden(); why != "" {
		return why
	}
	switch {
	case st.fontPx < minFontPx:
		return "a font size near 0"
	case !st.unknownBg && contrast(st.color.over(st.backdrop), st.backdrop) < minContrast:
		return "text the colour of its background"
	}
	return ""
}

func attr(n *html.Node, key string) *html.Attribute {
	for i := range n.Attr {
		if n.Attr[i].Namespace == "" && n.Attr[i].Key == key {
			return &n.Attr[i]
		}
	}
	return nil
}

// visibleText is the text a reader sees.
func (v *htmlView) visibleText() string { return v.visible.String() }

// hasVisibleLink reports whether a reader sees a link to url.
func (v *htmlView) hasVisibleLink(url string) bool {
	for _, l := range v.links {
		if l.visible && l.href == url {
			return true
		}
	}
	return false
}
