package content

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// mappedText is text derived from a template source with, for each byte,
// the byte offset in the source it came from, so findings point to what
// the author wrote.
type mappedText struct {
	s    string
	orig []int32
}

type mappedBuilder struct {
	b    []byte
	orig []int32
}

func (m *mappedBuilder) add(s string, at int) {
	m.b = append(m.b, s...)
	for range len(s) {
		m.orig = append(m.orig, int32(at))
	}
}

// addSource copies src[from:to] byte for byte, each at its own offset.
func (m *mappedBuilder) addSource(src string, from, to int) {
	m.b = append(m.b, src[from:to]...)
	for i := from; i < to; i++ {
		m.orig = append(m.orig, int32(i))
	}
}

func (m *mappedBuilder) text() mappedText { return mappedText{s: string(m.b), orig: m.orig} }

// plainText returns the words a reader sees in a template: actions read
// as one word ("x"), HTML tags and comments removed, entities decoded.
func plainText(src string, isHTML bool) string { return extractText(src, isHTML).s }

// extractText is plainText with the way back to the source.
func extractText(src string, isHTML bool) mappedText {
	m := &mappedBuilder{b: make([]byte, 0, len(src)), orig: make([]int32, 0, len(src))}
	if !isHTML {
		addTemplateText(m, src, 0, len(src), false)
		return m.text()
	}
	z := html.NewTokenizer(strings.NewReader(src))
	pos, hidden := 0, 0
	for {
		tt := z.Next()
		raw := len(z.Raw())
		switch tt {
		case html.ErrorToken:
			return m.text()
		case html.TextToken:
			if hidden == 0 {
				addTemplateText(m, src, pos, pos+raw, true)
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case hiddenElements[a] && tt == html.StartTagToken:
				hidden++
			case hiddenElements[a] && tt == html.EndTagToken:
				hidden = max(hidden-1, 0)
			case hidden > 0 || inlineElements[a]:
				// Inline markup does not split a word: "guar<b></b>antee"
				// reads as one.
			case blockElements[a]:
				m.add("\n\n", pos) // a block ends a sentence for readability
			default:
				m.add(" ", pos)
			}
		}
		pos += raw
	}
}

// addTemplateText copies src[from:to], template actions as "x" (a
// variable reads as one word) and, in HTML, entities decoded.
func addTemplateText(m *mappedBuilder, src string, from, to int, entities bool) {
	for i := from; i < to; {
		switch {
		case strings.HasPrefix(src[i:to], "{{"):
			j := strings.Index(src[i:to], "}}")
			if j < 0 {
				return
			}
			m.add("x", i)
			i += j + 2
		case entities && src[i] == '&':
			j := strings.IndexByte(src[i:min(to, i+40)], ';')
			if j > 0 {
				if dec := html.UnescapeString(src[i : i+j+1]); dec != src[i:i+j+1] {
					m.add(dec, i)
					i += j + 1
					continue
				}
			}
			m.addSource(src, i, i+1)
			i++
		default:
			j := i + 1
			for j < to && src[j] != '{' && !(entities && src[j] == '&') {
				j++
			}
			m.addSource(src, i, j)
			i = j
		}
	}
}

// inlineElements do not separate the text around them.
var inlineElements = map[atom.Atom]bool{
	atom.A: true, atom.Abbr: true, atom.B: true, atom.Bdi: true, atom.Bdo: true, atom.Cite: true, atom.Code: true,
	atom.Data: true, atom.Dfn: true, atom.Em: true, atom.Font: true, atom.I: true, atom.Kbd: true, atom.Mark: true,
	atom.Q: true, atom.S: true, atom.Samp: true, atom.Small: true, atom.Span: true, atom.Strike: true, atom.Strong: true,
	atom.Sub: true, atom.Sup: true, atom.Time: true, atom.U: true, atom.Var: true, atom.Wbr: true, atom.Del: true, atom.Ins: true,
}

// blockElements end a sentence.
var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Li: true, atom.Ul: true, atom.Ol: true, atom.Br: true, atom.Tr: true, atom.Table: true, atom.Blockquote: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true, atom.Hr: true, atom.Dd: true, atom.Dt: true,
	atom.Pre: true, atom.Center: true,
}
