package content

import (
	"bufio"
	"embed"
	"fmt"
	"strings"
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
	// listAllow holds near misses: a hit inside one of them is no finding
	// ("best regards", "am besten").
	listAllow = "allow"
	// listNegation holds the words that negate a phrase after them in the
	// same clause ("no guarantee", "we cannot promise"); listNegationAfter
	// those that negate the phrase before them ("garantieren nicht");
	// listNotNegation the words that undo a negation right after it ("not
	// only"); listClause the words that end a clause ("but").
	listNegation      = "negation"
	listNegationAfter = "negation-after"
	listNotNegation   = "not-negation"
	listClause        = "clause"
)

// wordlist maps a section to its lines, as written.
type wordlist map[string][]string

// wordlists holds one list per supported language, parsed once at start.
var wordlists = mustLoadWordlists()

// compiled holds the lists of each language compiled for matching.
var compiled = compileAll()

// langLists are one language's lists, ready to match.
type langLists struct {
	lang   string
	sets   map[string]*phraseSet
	negate map[string]bool // by normalized form
	after  map[string]bool
	undo   map[string]bool
	clause map[string]bool
}

func compileAll() map[string]*langLists {
	out := map[string]*langLists{}
	for lang, wl := range wordlists {
		ll := &langLists{lang: lang, sets: map[string]*phraseSet{}}
		for _, sec := range []string{listPressure, listHype, listLegalese, listPromise, listDisclaimer, listAllow} {
			ll.sets[sec] = compilePhrases(wl[sec], lang)
		}
		words := func(sec string) map[string]bool {
			m := map[string]bool{}
			for _, l := range wl[sec] {
				m[normalize(l).s] = true
			}
			return m
		}
		ll.negate, ll.after, ll.undo, ll.clause = words(listNegation), words(listNegationAfter), words(listNotNegation), words(listClause)
		out[lang] = ll
	}
	return out
}

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
			wl[section] = append(wl[section], line)
		}
	}
	return wl, sc.Err()
}
