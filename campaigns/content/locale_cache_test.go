package content

import (
	"fmt"
	"sync"
	"testing"
)

// TestLanguageOfRemembered: languageOf answers what parsing the tag
// answers, the first time and every time after (from many goroutines),
// and keeps at most maxLanguagesKept locales however many it is asked.
func TestLanguageOfRemembered(t *testing.T) {
	locales := []string{"en", "de-AT", "DE-at", "fr-CA-x-private", "zh-Hant-TW", "pt_BR", "", "not a locale", "x", "en-US-u-ca-gregory"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				for _, l := range locales {
					if got, want := languageOf(l), parseLanguage(l); got != want {
						t.Errorf("languageOf(%q) = %q, parsing gives %q", l, got, want)
					}
				}
			}
		})
	}
	wg.Wait()
	for i := range 2 * maxLanguagesKept {
		l := fmt.Sprintf("en-x-n%d", i)
		if got, want := languageOf(l), parseLanguage(l); got != want {
			t.Fatalf("languageOf(%q) = %q, parsing gives %q", l, got, want)
		}
	}
	kept := 0
	languages.Range(func(any, any) bool { kept++; return true })
	if kept > maxLanguagesKept {
		t.Fatalf("%d locales kept, at most %d allowed", kept, maxLanguagesKept)
	}
}
