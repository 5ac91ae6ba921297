package content

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/german"
	"github.com/blevesearch/snowballstem/spanish"
)

// stemmers are the Snowball stemmers of the supported languages: a list
// line names a lemma and matches its regular inflections.
var stemmers = map[string]func(*snowballstem.Env) bool{
	"en": english.Stem, "de": german.Stem, "fr": french.Stem, "es": spanish.Stem,
}

// stemCaches remember the stems of words already seen, per language: the
// same templates are rendered for every customer, so almost every word of
// a send was stemmed before. maxCachedStems bounds the memory (a word and
// its stem, some 50 bytes each, so about 10 MB per language at most).
var stemCaches = func() map[string]*stemCache {
	m := map[string]*stemCache{}
	for lang := range stemmers {
		m[lang] = &stemCache{}
	}
	return m
}()

const maxCachedStems = 200_000

type stemCache struct {
	m sync.Map // normalized form -> stem
	n atomic.Int64
}

// token is one word (or one of the symbols % and #) of normalized text.
type token struct {
	form string // normalized: folded, no marks, confusables mapped
	stem string
	// start and end are byte offsets in the normalized text.
	start, end int
	// clause is true when punctuation ends a clause before this token:
	// phrases and negation do not reach across it.
	clause bool
}

// tokenize splits normalized text into words, hyphens and apostrophes
// splitting too ("game-changing", "don't", "l'offre"), and stems each word
// with lang's stemmer (none for an unsupported language).
func tokenize(s, lang string) []token {
	stem := stemmers[lang]
	var env *snowballstem.Env
	out := make([]token, 0, len(s)/6+1)
	clause := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isWordRune(r):
			j := i + size
			for j < len(s) {
				r2, s2 := utf8.DecodeRuneInString(s[j:])
				if !isWordRune(r2) {
					break
				}
				j += s2
			}
			t := token{form: s[i:j], start: i, end: j, clause: clause}
			t.stem = t.form
			if stem != nil && !isDigits(t.form) {
				cache := stemCaches[lang]
				if v, ok := cache.m.Load(t.form); ok {
					t.stem = v.(string)
				} else {
					if env == nil {
						env = snowballstem.NewEnv("")
					}
					env.SetCurrent(foldAgreement(lang, t.form))
					stem(env)
					t.stem = env.Current()
					if cache.n.Add(1) <= maxCachedStems {
						cache.m.Store(strings.Clone(t.form), t.stem)
					}
				}
			}
			out = append(out, t)
			clause = false
			i = j
			continue
		case r == '%' || r == '#':
			out = append(out, token{form: s[i : i+size], stem: s[i : i+size], start: i, end: i + size, clause: clause})
			clause = false
		case strings.ContainsRune(",;:.!?()[]{}\"«»“”„—–…\n¡¿", r):
			clause = true
		case unicode.IsSpace(r) || r == '\'' || (unicode.Is(unicode.Pd, r) && r != '—' && r != '–'):
			// Hyphens join words as spaces do ("game-changing").
		default:
			if unicode.IsPunct(r) || unicode.IsSymbol(r) {
				clause = true
			}
		}
		i += size
	}
	return out
}

// foldAgreement undoes what dropping accents does to French past
// participles: "décalée" and "décalé" become "decalee" and "decale", which
// the stemmer, written for accented text, no longer joins. The feminine
// and plural agreement of -é is removed before stemming.
func foldAgreement(lang, form string) string {
	if lang != "fr" || len(form) < 5 {
		return form
	}
	switch {
	case strings.HasSuffix(form, "ees"):
		return form[:len(form)-2]
	case strings.HasSuffix(form, "ee"):
		return form[:len(form)-1]
	}
	return form
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// term is one word of a listed phrase.
type term struct {
	text string
	// How a token matches: by stem (the default), by exact normalized form
	// ("=promised"), by form prefix ("garanti*"), or form containing
	// ("*garanti*", for compounds).
	kind termKind
}

type termKind int

const (
	byStem termKind = iota
	byForm
	byPrefix
	byInfix
	// gap ("...") stands for up to maxGap words of the same clause, for
	// word orders that put words between the parts of a phrase ("kann
	// sich jederzeit ändern", "peuvent encore évoluer").
	gap
)

const maxGap = 4

func (t term) matches(tok token) bool {
	switch t.kind {
	case byForm:
		return tok.form == t.text
	case byPrefix:
		return strings.HasPrefix(tok.form, t.text)
	case byInfix:
		return strings.Contains(tok.form, t.text)
	}
	return tok.stem == t.text
}

// phrase is a compiled list line.
type phrase struct {
	line  string
	terms []term
}

// compilePhrase turns a list line into terms: each word normalized like
// text, then stemmed unless it carries a marker.
func compilePhrase(line, lang string) phrase {
	p := phrase{line: line}
	for _, chunk := range strings.Fields(line) {
		kind := byStem
		if chunk == "..." {
			p.terms = append(p.terms, term{kind: gap})
			continue
		}
		switch {
		case strings.HasPrefix(chunk, "=") && len(chunk) > 1:
			kind, chunk = byForm, chunk[1:]
		case len(chunk) > 2 && strings.HasPrefix(chunk, "*") && strings.HasSuffix(chunk, "*"):
			kind, chunk = byInfix, chunk[1:len(chunk)-1]
		case len(chunk) > 1 && strings.HasSuffix(chunk, "*"):
			kind, chunk = byPrefix, chunk[:len(chunk)-1]
		}
		for _, tok := range tokenize(normalize(chunk).s, lang) {
			t := term{text: tok.stem, kind: kind}
			if kind != byStem {
				t.text = tok.form
			}
			p.terms = append(p.terms, t)
		}
	}
	return p
}

// phraseSet is one compiled list, indexed by what can start a match so
// that a text is read once, not once per phrase.
type phraseSet struct {
	all    []phrase
	byStem map[string][]int // by the stem of the first term
	byForm map[string][]int // by the exact form of the first term
	always []int            // phrases starting with a prefix or infix term
}

func compilePhrases(lines []string, lang string) *phraseSet {
	ps := &phraseSet{byStem: map[string][]int{}, byForm: map[string][]int{}}
	for _, l := range lines {
		p := compilePhrase(l, lang)
		if len(p.terms) == 0 {
			continue
		}
		i := len(ps.all)
		ps.all = append(ps.all, p)
		switch t := p.terms[0]; t.kind {
		case byStem:
			ps.byStem[t.text] = append(ps.byStem[t.text], i)
		case byForm:
			ps.byForm[t.text] = append(ps.byForm[t.text], i)
		default:
			ps.always = append(ps.always, i)
		}
	}
	return ps
}

// matchAt returns the number of tokens of the longest phrase matching at
// toks[i], and the phrase; 0 when none does. A phrase does not reach
// across the end of a clause.
func (ps *phraseSet) matchAt(toks []token, i int) (int, *phrase) {
	best, bestP := 0, (*phrase)(nil)
	try := func(candidates []int) {
		for _, pi := range candidates {
			p := &ps.all[pi]
			if end := matchTerms(toks, i, p.terms); end-i > best {
				best, bestP = end-i, p
			}
		}
	}
	try(ps.byStem[toks[i].stem])
	try(ps.byForm[toks[i].form])
	try(ps.always)
	return best, bestP
}

// matchTerms returns the end of the longest match of terms starting at
// toks[i], or -1. Only the first token may start a clause.
func matchTerms(toks []token, i int, terms []term) int {
	if len(terms) == 0 {
		return i
	}
	t := terms[0]
	if t.kind == gap {
		best := -1
		for skip := 0; skip <= maxGap && i+skip <= len(toks); skip++ {
			if skip > 0 && toks[i+skip-1].clause {
				break
			}
			if i+skip < len(toks) && toks[i+skip].clause {
				break
			}
			if end := matchTerms(toks, i+skip, terms[1:]); end > best {
				best = end
			}
		}
		return best
	}
	if i >= len(toks) || !t.matches(toks[i]) {
		return -1
	}
	if len(terms) > 1 && i+1 < len(toks) && toks[i+1].clause && terms[1].kind != gap {
		return -1
	}
	return matchTerms(toks, i+1, terms[1:])
}

// span is a match: tokens [from, to).
type span struct {
	from, to int
	phrase   *phrase
}

// matches returns the non-overlapping longest matches, left to right.
func (ps *phraseSet) matches(toks []token) []span {
	var out []span
	for i := 0; i < len(toks); {
		if n, p := ps.matchAt(toks, i); n > 0 {
			out = append(out, span{i, i + n, p})
			i += n
			continue
		}
		i++
	}
	return out
}
