package content

import (
	"bufio"
	"embed"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The phrase lists live in data files so that reviewers who do not read Go
// can change them; they are embedded so the binary needs no files at run
// time.
//
//go:embed wordlists/*.txt
var wordlistFiles embed.FS

// Sections of a word list file.
const (
	listPressure   = "pressure"
	listHype       = "hype"
	listLegalese   = "legalese"
	listPromise    = "promise"
	listDisclaimer = "disclaimer"
)

// wordlist maps a section to its lower-case phrases.
type wordlist map[string][]string

// wordlists holds one list per supported language, parsed once at start.
var wordlists = mustLoadWordlists()

// SupportedLanguages lists the languages with word lists and a readability
// formula, in a stable order.
var SupportedLanguages = []string{"de", "en", "es", "fr"}

func mustLoadWordlists() map[string]wordlist {
	out := map[string]wordlist{}
	for _, lang := range SupportedLanguages {
		raw, err := wordlistFiles.ReadFile("wordlists/" + lang + ".txt")
		if err != nil {
			panic(fmt.Sprintf("campaigns: embedded word list %s: %v", lang, err)) // a build defect, not input
		}
		wl, err := parseWordlist(string(raw))
		if err != nil {
			panic(fmt.Sprintf("campaigns: word list %s: %v", lang, err))
		}
		out[lang] = wl
	}
	return out
}

// parseWordlist reads "[section]" headers followed by one phrase per line;
// blank lines and lines starting with "# " are ignored ("#1" is a phrase).
func parseWordlist(text string) (wordlist, error) {
	wl := wordlist{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "# ") || line == "#":
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
		case section == "":
			return nil, fmt.Errorf("line %d: phrase before any [section]", n)
		default:
			wl[section] = append(wl[section], strings.ToLower(line))
		}
	}
	return wl, sc.Err()
}

// phraseHit is one occurrence of a listed phrase in a text.
type phraseHit struct {
	Phrase string
	Offset int // in characters (runes), for people reading the finding
}

// findPhrases returns every occurrence of the phrases in text, ignoring
// case, where the phrase is not part of a longer word. Occurrences that
// overlap an earlier (longer) hit are dropped.
func findPhrases(text string, phrases []string) []phraseHit {
	lower := strings.ToLower(text)
	phrases = slices.Clone(phrases)
	// Longer phrases first, so "act now" wins over "act" where both match.
	sort.SliceStable(phrases, func(i, j int) bool { return len(phrases[i]) > len(phrases[j]) })
	var hits []phraseHit
	taken := map[int]bool{}
	for _, ph := range phrases {
		for from := 0; from < len(lower); {
			i := strings.Index(lower[from:], ph)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(ph)
			from = end
			if !boundaryBefore(lower, start) || !boundaryAfter(lower, end) || overlaps(taken, start, end) {
				continue
			}
			for b := start; b < end; b++ {
				taken[b] = true
			}
			hits = append(hits, phraseHit{Phrase: ph, Offset: utf8.RuneCountInString(text[:start])})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Offset < hits[j].Offset })
	return hits
}

func overlaps(taken map[int]bool, start, end int) bool {
	for b := start; b < end; b++ {
		if taken[b] {
			return true
		}
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func boundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !isWordRune(r)
}

func boundaryAfter(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !isWordRune(r)
}

// containsPhrase reports whether text holds any of the phrases.
func containsPhrase(text string, phrases []string) bool {
	return len(findPhrases(text, phrases)) > 0
}
