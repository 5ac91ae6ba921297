package content

import (
	"unicode"
	"unicode/utf8"

	"github.com/candor/candor/models"
)

// scripts are the scripts a word is checked against; letters of other
// scripts count as "other". Han, Hiragana, Katakana and Hangul mix with
// each other and with Latin in ordinary Japanese, Chinese and Korean text
// (Unicode TS #39 "highly restrictive"), so only the alphabets that imitate
// Latin letters are told apart.
var scripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek},
	{"Armenian", unicode.Armenian}, {"Cherokee", unicode.Cherokee}, {"Coptic", unicode.Coptic},
	{"Georgian", unicode.Georgian}, {"Lisu", unicode.Lisu}, {"Hebrew", unicode.Hebrew}, {"Arabic", unicode.Arabic},
}

// scriptOf names the script of a letter, "" for one outside the list.
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		return "Latin"
	}
	for _, s := range scripts {
		if unicode.Is(s.table, r) {
			return s.name
		}
	}
	return ""
}

// mixedScriptWords returns, for each word of text whose letters come from
// two of the scripts above ("pаypal" with a Cyrillic а), the word and its
// offset in runes.
func mixedScriptWords(text string) []phraseHit {
	var out []phraseHit
	runes := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) {
			i += size
			runes++
			continue
		}
		start, startRunes, first, mixed := i, runes, "", false
		for i < len(text) {
			r, size = utf8.DecodeRuneInString(text[i:])
			if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Cf, r) {
				break
			}
			if s := scriptOf(r); s != "" && unicode.IsLetter(r) {
				if first == "" {
					first = s
				} else if s != first {
					mixed = true
				}
			}
			i += size
			runes++
		}
		if mixed {
			out = append(out, phraseHit{Text: text[start:i], Offset: startRunes})
		}
	}
	return out
}

// mixedScript warns about words that mix scripts in a variant field.
func (c *checker) mixedScript(f templateField) {
	ext := extractText(f.src, f.html)
	for _, w := range mixedScriptWords(ext.s) {
		// Map the word back to the template source.
		b := 0
		for k := 0; k < w.Offset && b < len(ext.s); k++ {
			_, size := utf8.DecodeRuneInString(ext.s[b:])
			b += size
		}
		at := 0
		if b < len(ext.orig) {
			at = utf8.RuneCountInString(f.src[:ext.orig[b]])
		}
		c.add(RuleLanguageMixedScript, models.SeverityWarning, f.at,
			"%q at character %d mixes scripts: letters of another alphabet that look Latin get words past the checks and confuse readers", w.Text, at+1)
	}
}
