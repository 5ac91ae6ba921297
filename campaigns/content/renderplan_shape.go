package content

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// rawTextElements hold text the parser does not read as markup, or that
// style sheets and scripts read: a value there could change them.
var rawTextElements = map[atom.Atom]bool{
	atom.Style: true, atom.Script: true, atom.Title: true, atom.Textarea: true, atom.Xmp: true,
	atom.Iframe: true, atom.Noembed: true, atom.Noframes: true, atom.Noscript: true, atom.Plaintext: true,
}

// buildShape renders the template with holes (none where mask has a bit)
// and judges the result; a shape whose why is not "" is not used. Its
// holes may only be where the base shape found them (allowText,
// allowHref), because the per-message checks are chosen by those.
func buildShape(pt *parsedTemplate, p *htmlPlan, mask, allowText, allowHref uint64) *htmlShape {
	sh := &htmlShape{}
	src, err := pt.execute(p.skeleton(mask), "")
	if err != nil {
		sh.why = "it does not render"
		return sh
	}
	if afterReference(src) {
		sh.why = "a variable follows an unfinished character reference"
		return sh
	}
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		sh.why = "it does not parse"
		return sh
	}
	var sheets []string
	found := 0
	var walk func(n *html.Node) string
	walk = func(n *html.Node) string {
		switch n.Type {
		case html.TextNode:
			fields, ok := holesIn(n.Data)
			if !ok {
				return "the parser split a variable"
			}
			if len(fields) > 0 && (n.Parent == nil || n.Parent.Type != html.ElementNode || rawTextElements[n.Parent.DataAtom]) {
				return "a variable in raw text"
			}
			for _, f := range fields {
				sh.textVars |= 1 << f
			}
			found += len(fields)
		case html.ElementNode:
			if strings.Contains(n.Data, holeOpen) {
				return "a variable in a tag name"
			}
			for _, a := range n.Attr {
				if strings.Contains(a.Key, holeOpen) || strings.Contains(a.Namespace, holeOpen) {
					return "a variable in an attribute name"
				}
				if !strings.Contains(a.Val, holeOpen) {
					continue
				}
				f, ok := wholeHole(a.Val)
				if !ok || n.DataAtom != atom.A || a.Namespace != "" || a.Key != "href" {
					return "a variable in the " + a.Key + " attribute of <" + n.Data + ">"
				}
				sh.hrefVars |= 1 << f
				found++
			}
			if n.DataAtom == atom.Style {
				var b strings.Builder
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					b.WriteString(c.Data)
				}
				sheets = append(sheets, b.String())
			}
		default:
			if strings.Contains(n.Data, holeOpen) {
				return "a variable in a comment or doctype"
			}
			for _, a := range n.Attr {
				if strings.Contains(a.Val, holeOpen) {
					return "a variable in a doctype"
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if why := walk(c); why != "" {
				return why
			}
		}
		return ""
	}
	why := walk(doc)
	sheet := selectorsOf(sheets)
	switch {
	case why != "":
		sh.why = why
	case found != strings.Count(src, holeOpen):
		sh.why = "the parser moved, copied or dropped a variable"
	case sh.textVars&^allowText != 0 || sh.hrefVars&^allowHref != 0:
		sh.why = "a variable changes place when another is empty"
	case (sh.textVars|sh.hrefVars) != 0 && strings.Contains(sheet, `\`):
		sh.why = "a style sheet with escaped selectors"
	case sh.textVars != 0 && (strings.Contains(sheet, "contains") || strings.Contains(sheet, "matches")):
		sh.why = "a style sheet that selects on text"
	case sh.hrefVars != 0 && strings.Contains(sheet, "href"):
		sh.why = "a style sheet that selects on href"
	}
	if sh.why != "" {
		return sh
	}
	styled := mayHide(src)
	view := viewHTMLAs(src, styled)
	if !styled && !sameView(view, viewHTMLAs(src, true)) {
		sh.why = "the cascade changes what a reader sees"
		return sh
	}
	for _, l := range view.links {
		if !l.visible {
			continue
		}
		if f, ok := wholeHole(l.href); ok {
			sh.links = append(sh.links, shapeLink{field: f})
		} else {
			sh.links = append(sh.links, shapeLink{href: l.href, field: -1})
		}
	}
	var ok bool
	if sh.text, sh.holes, ok = splitHoles(view.visibleText()); !ok {
		sh.why = "the visible text splits a variable"
	}
	return sh
}

// selectorsOf returns the selectors of the rules of sheets as cascadia
// reads them (comments gone), lower-cased, one a line.
func selectorsOf(sheets []string) string {
	var b strings.Builder
	for _, s := range sheets {
		order := 0
		for _, r := range styleSheet(s, &order) {
			b.WriteString(strings.ToLower(r.group))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// afterReference reports whether a hole follows "&" and letters, digits
// or "#": a value starting "amp;" would finish the reference.
func afterReference(src string) bool {
	for at := 0; ; {
		i := strings.Index(src[at:], holeOpen)
		if i < 0 {
			return false
		}
		j := at + i - 1
		for j >= 0 && (isASCIIWordByte(src[j]) || src[j] == '#') {
			j--
		}
		if j >= 0 && src[j] == '&' {
			return true
		}
		at += i + len(holeOpen)
	}
}

// splitHoles splits s at its holes: s is segs[0] hole(fields[0]) segs[1] ...
func splitHoles(s string) (segs []string, fields []int, ok bool) {
	for {
		i := strings.Index(s, holeOpen)
		if i < 0 {
			return append(segs, s), fields, true
		}
		j := strings.Index(s[i:], holeClose)
		if j < 0 {
			return nil, nil, false
		}
		f, ok := wholeHole(s[i : i+j+len(holeClose)])
		if !ok {
			return nil, nil, false
		}
		segs, fields = append(segs, s[:i]), append(fields, f)
		s = s[i+j+len(holeClose):]
	}
}

// sameView reports whether two views show a reader the same text and links.
func sameView(a, b *htmlView) bool {
	if a.visibleText() != b.visibleText() || len(a.links) != len(b.links) {
		return false
	}
	for i := range a.links {
		if a.links[i].href != b.links[i].href || a.links[i].visible != b.links[i].visible {
			return false
		}
	}
	return true
}

// htmlSeen is what a reader sees in a rendered HTML body.
type htmlSeen struct{ disclaimer, prefs, unsub bool }

// judgePlanned judges the HTML body rendered from pt with d by its plan,
// without reading it; ok is false when the plan does not hold for d's
// values, and the message must be judged in full.
func (pt *parsedTemplate) judgePlanned(d *templateData, lang string, roadmap bool) (seen htmlSeen, ok bool) {
	p := pt.planHTML()
	if p.why != "" {
		return seen, false
	}
	var buf [maxPlanVars]string
	vals := buf[:len(p.fields)]
	var mask uint64
	for i, f := range p.fields {
		v := fieldValue(d, f)
		vals[i] = v
		bit := uint64(1) << i
		if p.textVars&bit != 0 {
			if v == "" {
				mask |= bit
			} else if !textSafe(v) {
				return seen, false
			}
		}
		if p.hrefVars&bit != 0 && !urlInert(v) {
			return seen, false
		}
	}
	sh := p.shape(pt, mask)
	if sh == nil || sh.why != "" {
		return seen, false
	}
	for _, l := range sh.links {
		href := l.href
		if l.field >= 0 {
			href = vals[l.field]
		}
		seen.prefs = seen.prefs || (d.PreferencesURL != "" && href == d.PreferencesURL)
		seen.unsub = seen.unsub || (d.UnsubscribeURL != "" && href == d.UnsubscribeURL)
	}
	if roadmap {
		seen.disclaimer = sh.showsDisclaimer(lang, vals)
	}
	return seen, true
}

// showsDisclaimer is hasDisclaimer of the visible text with vals in its
// holes, read only when the static text does not settle it.
func (sh *htmlShape) showsDisclaimer(lang string, vals []string) bool {
	if sh.certain.get(lang, func() bool { return certainDisclaimer(lang, sh.text) }) {
		return true
	}
	var b strings.Builder
	for i, s := range sh.text {
		b.WriteString(s)
		if i < len(sh.holes) {
			b.WriteString(vals[sh.holes[i]])
		}
	}
	return hasDisclaimer(lang, b.String())
}

// certainIn reports whether a text template's static text shows a
// disclaimer in lang whatever its values (certainDisclaimer).
func (pt *parsedTemplate) certainIn(lang string) bool {
	return pt.certain.get(lang, func() bool { return certainDisclaimer(lang, pt.form.segs) })
}
