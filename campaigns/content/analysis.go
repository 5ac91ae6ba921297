package content

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// analysis is one text as the language checks read it: extracted from its
// template, normalized, split into stemmed words.
type analysis struct {
	src  string     // the template source
	ext  mappedText // what a reader sees, mapped to src
	norm normText   // ext normalized, mapped to ext
	toks []token
	ll   *langLists
}

// analyze reads text in lang's lists; nil for a language without lists.
func analyze(ext mappedText, src, lang string) *analysis {
	ll, ok := compiled[lang]
	if !ok {
		return nil
	}
	n := normalize(ext.s)
	return &analysis{src: src, ext: ext, norm: n, toks: tokenize(n.s, lang), ll: ll}
}

// phraseHit is one occurrence of a listed phrase in a text.
type phraseHit struct {
	Text   string // as the author wrote it
	Offset int    // in characters (runes) of the source, for people reading the finding
}

// find returns the hits of list in the text: phrases not inside an
// allowed near miss and, except for legalese, not negated.
func (a *analysis) find(list string) []phraseHit {
	if a == nil {
		return nil
	}
	spans := a.ll.sets[list].matches(a.toks)
	if len(spans) == 0 {
		return nil
	}
	allowed := a.ll.sets[listAllow].matches(a.toks)
	var out []phraseHit
	for _, sp := range spans {
		if inside(sp, allowed) || (list != listLegalese && a.negated(sp)) {
			continue
		}
		out = append(out, a.hit(sp))
	}
	return out
}

func inside(sp span, allowed []span) bool {
	for _, al := range allowed {
		if al.from <= sp.from && sp.to <= al.to {
			return true
		}
	}
	return false
}

// negationWindow is how many words before a phrase a negation reaches:
// "there is no guarantee", "we cannot really promise".
const negationWindow = 4

// negated reports whether a negation of the language governs the span: a
// negating word up to negationWindow words before it, or one of the
// negation-after words right after it, in the same clause.
func (a *analysis) negated(sp span) bool {
	t := a.toks
	for k := sp.from; k < sp.to; k++ {
		if a.ll.negate[t[k].form] {
			return false // the phrase carries its own negation: "ne manquez pas", "not a promise"
		}
	}
	for k := sp.from - 1; k >= 0 && k >= sp.from-negationWindow; k-- {
		if t[k+1].clause || a.ll.clause[t[k].form] {
			break
		}
		if a.ll.negate[t[k].form] && !(k+1 < len(t) && a.ll.undo[t[k+1].form]) {
			return true
		}
	}
	for k := sp.to; k < len(t) && k < sp.to+2; k++ {
		if t[k].clause {
			break
		}
		if a.ll.after[t[k].form] {
			return true
		}
	}
	return false
}

// hit maps a span back to the source.
func (a *analysis) hit(sp span) phraseHit {
	from := a.srcOffset(a.toks[sp.from].start)
	to := a.srcOffset(a.toks[sp.to-1].end-1) + 1
	for to < len(a.src) && !utf8.RuneStart(a.src[to]) {
		to++
	}
	to = max(to, from)
	text := strings.TrimRightFunc(a.src[from:to], func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '%' })
	return phraseHit{Text: text, Offset: utf8.RuneCountInString(a.src[:from])}
}

// srcOffset maps byte i of the normalized text to a byte of the source.
func (a *analysis) srcOffset(i int) int {
	e := a.norm.sourceOffset(i)
	if e >= len(a.ext.orig) {
		return len(a.src)
	}
	return int(a.ext.orig[e])
}

// negatedHits counts the phrases of list that a negation governs: "no
// guarantee", "we cannot promise", "nada de esto está garantizado".
func (a *analysis) negatedHits(list string) int {
	if a == nil {
		return 0
	}
	allowed := a.ll.sets[listAllow].matches(a.toks)
	n := 0
	for _, sp := range a.ll.sets[list].matches(a.toks) {
		if !inside(sp, allowed) && a.negated(sp) {
			n++
		}
	}
	return n
}

// hasDisclaimer reports whether rendered text already says that plans
// may change, in its own language or in English: a disclaimer phrase, or
// a promise it denies ("there is no guarantee", "wir können nicht
// garantieren"), which says the same.
func hasDisclaimer(lang, text string) bool {
	ext := extractText(text, false)
	langs := []string{lang, "en"}
	if lang == "en" {
		langs = langs[:1]
	}
	for _, l := range langs {
		a := analyze(ext, text, l)
		if len(a.find(listDisclaimer)) > 0 || a.negatedHits(listPromise) > 0 {
			return true
		}
	}
	return false
}
