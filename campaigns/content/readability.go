package content

import (
	"regexp"
	"strings"
	"unicode"
)

// Readability thresholds. The four formulas share a scale on which 60-70
// is plain language and below 50 is "fairly difficult" (college level);
// educational content for customers should not need a degree.
const (
	// MinReadingEase is the score below which readability.score warns.
	MinReadingEase = 50.0
	// MaxSentenceWords is the length above which a sentence is flagged.
	MaxSentenceWords = 35
	// minWordsForScore: below it the formulas say more about the sample
	// than about the text (an SMS of eight words), so no score is given.
	minWordsForScore = 20
)

// TextStats are the counts the readability formulas use.
type TextStats struct {
	Words     int
	Sentences int
	Syllables int
	// LongestSentence is the word count of the longest sentence and
	// LongSentences the word counts of those above MaxSentenceWords.
	LongestSentence int
	LongSentences   []int
}

// ReadingEase returns the readability score of text in lang ("en", "de",
// "fr" or "es") and whether a score could be given (a supported language
// and at least minWordsForScore words). Higher is easier. The formulas:
//
//	en  Flesch reading ease   206.835 - 1.015*ASL - 84.6*ASW
//	de  Amstad                180 - ASL - 58.5*ASW
//	fr  Kandel & Moles        207 - 1.015*ASL - 73.6*ASW
//	es  Fernández Huerta      206.84 - 0.60*P - 1.02*F
//
// where ASL is words per sentence, ASW syllables per word, P syllables per
// 100 words and F sentences per 100 words.
func ReadingEase(lang, text string) (float64, bool) {
	st := Stats(lang, text)
	if st.Words < minWordsForScore || st.Sentences == 0 {
		return 0, false
	}
	asl := float64(st.Words) / float64(st.Sentences)
	asw := float64(st.Syllables) / float64(st.Words)
	switch lang {
	case "en":
		return 206.835 - 1.015*asl - 84.6*asw, true
	case "de":
		return 180 - asl - 58.5*asw, true
	case "fr":
		return 207 - 1.015*asl - 73.6*asw, true
	case "es":
		return 206.84 - 0.60*(100*asw) - 1.02*(100/asl), true
	}
	return 0, false
}

// sentenceEnd splits sentences at terminal punctuation followed by space
// or the end, and at blank lines (headings and list items end there).
var sentenceEnd = regexp.MustCompile(`[.!?…]+["'”’»)]*(\s+|$)|\n\s*\n|\n\s*[-*•]\s+`)

// Stats counts words, sentences and syllables of text in lang.
func Stats(lang, text string) TextStats {
	var st TextStats
	for _, sentence := range sentenceEnd.Split(text, -1) {
		words := wordsOf(sentence)
		if len(words) == 0 {
			continue
		}
		st.Sentences++
		st.Words += len(words)
		for _, w := range words {
			st.Syllables += syllables(lang, w)
		}
		st.LongestSentence = max(st.LongestSentence, len(words))
		if len(words) > MaxSentenceWords {
			st.LongSentences = append(st.LongSentences, len(words))
		}
	}
	return st
}

// wordsOf returns the lower-case words of s: runs of letters and digits,
// with inner apostrophes and hyphens ("don't", "e-mail") kept.
func wordsOf(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '’' && r != '-'
	})
	out := f[:0]
	for _, w := range f {
		w = strings.Trim(w, "'’-")
		if strings.IndexFunc(w, unicode.IsLetter) >= 0 {
			out = append(out, strings.ToLower(w))
		}
	}
	return out
}

// Vowels per language; y is a vowel in every one of them at least in
// loan words, which is close enough for a readability estimate.
var vowels = map[string]string{
	"en": "aeiouy",
	"de": "aeiouyäöü",
	"fr": "aeiouyàâäéèêëîïôöûùüÿœæ",
	"es": "aeiouyáéíóúü",
}

// syllables estimates the syllables of a lower-case word by counting vowel
// groups, with each language's main exception: a silent final e in
// English and French, and hiatus between strong vowels in Spanish.
func syllables(lang, word string) int {
	v, ok := vowels[lang]
	if !ok {
		v = vowels["en"]
	}
	runes := []rune(word)
	n, prevVowel := 0, false
	for i, r := range runes {
		isV := strings.ContainsRune(v, r)
		if isV && (!prevVowel || (lang == "es" && i > 0 && hiatus(runes[i-1], r))) {
			n++
		}
		prevVowel = isV
	}
	switch lang {
	case "en":
		if n > 1 && strings.HasSuffix(word, "e") && !strings.HasSuffix(word, "le") && !strings.HasSuffix(word, "ee") {
			n--
		}
	case "fr":
		for _, suffix := range []string{"es", "e", "ent"} {
			if n > 1 && strings.HasSuffix(word, suffix) && !strings.ContainsRune(v, lastBefore(runes, len([]rune(suffix)))) {
				n--
				break
			}
		}
	}
	return max(n, 1)
}

// hiatus reports whether two adjacent Spanish vowels are pronounced in
// separate syllables: two strong vowels (a, e, o), or a stressed weak one.
func hiatus(a, b rune) bool {
	strong := func(r rune) bool { return strings.ContainsRune("aeoáéó", r) }
	stressedWeak := func(r rune) bool { return r == 'í' || r == 'ú' }
	return (strong(a) && strong(b)) || stressedWeak(a) || stressedWeak(b)
}

// lastBefore returns the rune before the last n runes, or 0.
func lastBefore(runes []rune, n int) rune {
	if len(runes) <= n {
		return 0
	}
	return runes[len(runes)-n-1]
}
