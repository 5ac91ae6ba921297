package content

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/candor/candor/models"
)

func TestNormalizeReadsWhatAReaderSees(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ASCII is only lower-cased", "We GUARANTEE it.", "we guarantee it."},
		{"a zero-width space inside a word disappears", "guar\u200bantee", "guarantee"},
		{"soft hyphens, joiners and bidi controls disappear", "gu\u00adar\u200dan\u202ete\u2060e", "guarantee"},
		{"a combining grapheme joiner disappears", "a\u034fct now", "act now"},
		{"accents are dropped so typed and untyped forms match", "Garantía última", "garantia ultima"},
		{"fullwidth letters become ASCII", "ＧＵＡＲＡＮＴＥＥ", "guarantee"},
		{"mathematical bold letters become ASCII", "\U0001D420\U0001D42E\U0001D41A\U0001D42B", "guar"},
		{"a Cyrillic a inside a Latin word reads as a", "gu\u0430rantee", "guarantee"},
		{"a Greek omicron reads as o", "pr\u03bfmise", "promise"},
		{"sharp s folds to ss", "Straße", "strasse"},
		{"letters spaced apart are joined", "we g u a r a n t e e it", "we guarantee it"},
		{"letters dotted apart are joined", "g.u.a.r.a.n.t.e.e.d", "guaranteed"},
		{"letters hyphenated apart are joined", "b-e-s-t tool", "best tool"},
		{"a different separator ends a spelled-out word", "a c t  n o w", "act  now"},
		{"one or two single letters stay words", "I have a plan, e.g. this", "i have a plan, e.g. this"},
		{"a right single quote reads as an apostrophe", "don’t", "don't"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, normalize(tt.in).s); diff != "" {
				t.Errorf("normalize(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestFindingsPointToTheSourceText(t *testing.T) {
	tests := []struct {
		name, lang, text string
		wantText         string
		wantOffset       int // in runes
	}{
		{"after a zero-width space", "en", "Plans: we guar\u200bantee Q1.", "guar\u200bantee", 10},
		{"after accents and fullwidth letters", "en", "Ünïcödé ＧＵＡＲＡＮＴＥＥＤ ship", "ＧＵＡＲＡＮＴＥＥＤ", 8},
		{"a spelled-out word", "en", "So: g u a r a n t e e d.", "g u a r a n t e e d", 4},
		{"a German inflected verb", "de", "Wir garantieren, dass X kommt.", "garantieren", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyze(extractText(tt.text, false), tt.text, tt.lang)
			hits := a.find(listPromise)
			if len(hits) != 1 {
				t.Fatalf("hits %+v, want one", hits)
			}
			if diff := cmp.Diff(phraseHit{Text: tt.wantText, Offset: tt.wantOffset}, hits[0]); diff != "" {
				t.Errorf("hit (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTMLFindingsPointToTheTemplateSource(t *testing.T) {
	src := `<p class="x">Hello {{.Customer.Name}}, we guar&shy;an<b></b>tee it.</p>`
	a := analyze(extractText(src, true), src, "en")
	hits := a.find(listPromise)
	if len(hits) != 1 {
		t.Fatalf("hits %+v, want one", hits)
	}
	if got, want := hits[0].Offset, strings.Index(src, "guar"); got != want {
		t.Errorf("offset %d, want %d (the g of guar in the source)", got, want)
	}
}

// tsConfusables lists, per Latin letter, every character that Unicode TS
// #39 (read through github.com/mtibben/confusables, not through
// normalize's table) holds confusable with it after NFKD and case folding.
var tsConfusables = sync.OnceValue(func() map[rune][]rune {
	strip := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.In(r, unicode.Mn, unicode.Me) {
				return -1
			}
			return r
		}, norm.NFD.String(s))
	}
	latin := map[string]rune{}
	for l := 'a'; l <= 'z'; l++ {
		latin[strip(confusables.Skeleton(string(l)))] = l
	}
	out := map[rune][]rune{}
	fold := cases.Fold()
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) || !unicode.IsPrint(r) || unicode.IsSpace(r) {
			continue
		}
		seen := strip(fold.String(norm.NFKD.String(string(r))))
		if utf8.RuneCountInString(seen) != 1 {
			continue
		}
		if l, ok := latin[strip(confusables.Skeleton(seen))]; ok {
			out[l] = append(out[l], r)
		}
	}
	return out
})

// TestTricksInAFlaggedPhraseKeepItFlagged is the property of issue 18: in
// every flagged sentence of the corpus, inserting any format character
// (category Cf) into the flagged phrase, or replacing one of its letters by
// a TS #39 confusable, keeps the sentence flagged.
func TestTricksInAFlaggedPhraseKeepItFlagged(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 2026))
	var format []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.Is(unicode.Cf, r) {
			format = append(format, r)
		}
	}
	conf := tsConfusables()
	checks := map[string]struct {
		kind models.ContentKind
		rule string
		list string
	}{
		"promise":  {models.KindRoadmap, RuleRoadmapPromise, listPromise},
		"pressure": {models.KindEducation, RuleLanguagePressure, listPressure},
		"hype":     {models.KindEducation, RuleLanguageHype, listHype},
	}
	tried := 0
	for _, lang := range SupportedLanguages {
		for name, c := range checks {
			t.Run(lang+" "+name+" stays flagged", func(t *testing.T) {
				for _, s := range flaggedCorpus(t, lang, name) {
					hits := analyze(extractText(s, false), s, lang).find(c.list)
					if len(hits) == 0 {
						continue // an English phrase in another language; the corpus test covers it
					}
					h := hits[0]
					from := len(string([]rune(s)[:h.Offset]))
					to := from + len(h.Text)
					for range 8 {
						tried++
						mutated, what := mutate(rng, s, from, to, format, conf)
						if !flagsInternal(c.kind, c.rule, lang, mutated) {
							t.Errorf("%s: %q (%s) is no longer flagged", name, mutated, what)
						}
					}
				}
			})
		}
	}
	t.Logf("%d mutations tried", tried)
	if tried < 1000 {
		t.Errorf("only %d mutations tried", tried)
	}
}

// mutate inserts a format character into s[from:to] or replaces one of
// its ASCII letters by a confusable.
func mutate(rng *rand.Rand, s string, from, to int, format []rune, conf map[rune][]rune) (string, string) {
	var letters []int
	for i := from; i < to; i++ {
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' && len(conf[rune(c)]) > 0 {
			letters = append(letters, i)
		}
	}
	if rng.IntN(2) == 0 || len(letters) == 0 {
		at := from + 1 + rng.IntN(max(to-from-1, 1))
		for at < len(s) && !utf8.RuneStart(s[at]) {
			at++
		}
		r := format[rng.IntN(len(format))]
		return s[:at] + string(r) + s[at:], fmt.Sprintf("format character U+%04X", r)
	}
	i := letters[rng.IntN(len(letters))]
	cands := conf[rune(s[i]|0x20)]
	r := cands[rng.IntN(len(cands))]
	return s[:i] + string(r) + s[i+1:], fmt.Sprintf("confusable U+%04X for %s", r, s[i:i+1])
}

func flagsInternal(kind models.ContentKind, rule, lang, text string) bool {
	in := &models.ContentInput{Kind: kind, Topic: "t", Title: "P", DefaultLocale: lang,
		Variants: []models.Variant{{Locale: lang, Channel: models.ChannelEmail, Subject: "Hello", Text: text}}}
	for _, f := range CheckContent(in, CheckOptions{}) {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// FuzzNormalize: normalize never panics, and every offset of the
// normalized text points into the source, in order.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"We guar\u200bantee it", "g u a r a n t e e", "ＧＵＡＲ", "e\u0301\u0323", "ß İ ﬁ", "<p>x</p>", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := normalize(s)
		if len(n.orig) != len(n.s)+1 {
			t.Fatalf("%d offsets for %d bytes", len(n.orig), len(n.s))
		}
		prev := int32(0)
		for i, o := range n.orig {
			if o < 0 || int(o) > len(s) || o < prev {
				t.Fatalf("offset %d of byte %d is outside [%d, %d] or goes back", o, i, prev, len(s))
			}
			prev = o
		}
		for _, lang := range []string{"en", "de"} {
			a := analyze(extractText(s, true), s, lang)
			for _, list := range []string{listPromise, listPressure, listHype} {
				for _, h := range a.find(list) {
					if h.Offset < 0 || h.Offset > utf8.RuneCountInString(s) {
						t.Fatalf("hit offset %d outside the %d runes of the source", h.Offset, utf8.RuneCountInString(s))
					}
				}
			}
		}
	})
}

// TestEveryFormatCharacterKeepsAPhraseFlagged inserts each format character
// (all of category Cf, not a sample) into the middle of the flagged phrase
// of a flagged corpus sentence of every language and check.
func TestEveryFormatCharacterKeepsAPhraseFlagged(t *testing.T) {
	checks := map[string]struct {
		kind models.ContentKind
		rule string
		list string
	}{
		"promise":  {models.KindRoadmap, RuleRoadmapPromise, listPromise},
		"pressure": {models.KindEducation, RuleLanguagePressure, listPressure},
		"hype":     {models.KindEducation, RuleLanguageHype, listHype},
	}
	for _, lang := range SupportedLanguages {
		for name, c := range checks {
			t.Run(lang+" "+name+" stays flagged with any format character", func(t *testing.T) {
				s := flaggedCorpus(t, lang, name)[0]
				h := analyze(extractText(s, false), s, lang).find(c.list)[0]
				at := len(string([]rune(s)[:h.Offset])) + len(h.Text)/2
				for at < len(s) && !utf8.RuneStart(s[at]) {
					at++
				}
				n := 0
				for r := rune(0); r <= unicode.MaxRune; r++ {
					if !unicode.Is(unicode.Cf, r) {
						continue
					}
					n++
					if mutated := s[:at] + string(r) + s[at:]; !flagsInternal(c.kind, c.rule, lang, mutated) {
						t.Errorf("U+%04X inside %q: no longer flagged", r, h.Text)
					}
				}
				if n < 150 {
					t.Errorf("only %d format characters tried", n)
				}
			})
		}
	}
}
