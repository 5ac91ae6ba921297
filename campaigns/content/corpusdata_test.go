package content

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// CorpusLine is one labelled sentence of testdata/corpus.
type CorpusLine struct {
	Text    string
	Flagged bool // must be flagged
	Line    int
}

// ReadCorpus reads a corpus file (exported for the external tests); \uXXXX stands for the character.
func ReadCorpus(tb testing.TB, path string) []CorpusLine {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []CorpusLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if len(l) < 3 || (l[0] != '+' && l[0] != '-') {
			continue
		}
		out = append(out, CorpusLine{Text: unescapeU(tb, l[2:]), Flagged: l[0] == '+', Line: n})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func unescapeU(tb testing.TB, s string) string {
	tb.Helper()
	var b strings.Builder
	for {
		i := strings.Index(s, `\u`)
		if i < 0 || i+6 > len(s) {
			b.WriteString(s)
			return b.String()
		}
		r, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
		if err != nil {
			tb.Fatalf("bad escape in %q", s)
		}
		b.WriteString(s[:i])
		b.WriteRune(rune(r))
		s = s[i+6:]
	}
}

// flaggedCorpus returns the sentences of lang's corpus for check that
// must be flagged.
func flaggedCorpus(tb testing.TB, lang, check string) []string {
	tb.Helper()
	var out []string
	for _, l := range ReadCorpus(tb, "testdata/corpus/"+lang+"-"+check+".txt") {
		if l.Flagged {
			out = append(out, l.Text)
		}
	}
	return out
}
