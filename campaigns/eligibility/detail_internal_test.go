package eligibility

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

// variantFor is the definition variantForLocale implements: the first
// locale of chain that locales holds (case-insensitively), as spelled in
// locales.
func variantFor(locales []string, chain []string) (string, bool) {
	for _, want := range chain {
		for _, have := range locales {
			if strings.EqualFold(have, want) {
				return have, true
			}
		}
	}
	return "", false
}

// TestVariantForLocaleWalksTheLocaleChain: the allocation-free walk bulk
// planning uses picks the variant the explained chain picks, for every
// combination of customer locale, default and variants below.
func TestVariantForLocaleWalksTheLocaleChain(t *testing.T) {
	locales := []string{"", "en", "EN", "en-GB", "en-gb-x-test", "fr", "fr-CA", "pt-BR", "de"}
	sets := [][]string{nil, {"en"}, {"EN-gb"}, {"fr", "en"}, {"fr-ca", "FR"}, {""}, {"pt-br", "de", "en"}, {"en-GB", "en"}}
	for _, locale := range locales {
		for _, def := range locales {
			for _, set := range sets {
				want, wantOK := variantFor(set, content.LocaleChain(locale, def))
				got, ok := variantForLocale(set, locale, def)
				if got != want || ok != wantOK {
					t.Errorf("locale %q default %q variants %q: got %q %t, want %q %t", locale, def, set, got, ok, want, wantOK)
				}
			}
		}
	}
}

// countingCounter counts its calls and answers a fixed count.
type countingCounter struct{ n, calls int }

func (c *countingCounter) CountDeliveries(context.Context, int64, time.Time, time.Time) (int, error) {
	c.calls++
	return c.n, nil
}

// TestCadenceAllowsIsCheckCadencesAnswer: bulk planning's check without
// the explanation answers what CheckCadence does, for each limit alone
// and both, under and at the limit, and asks the counter as often.
func TestCadenceAllowsIsCheckCadencesAnswer(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cads := []*models.Cadence{nil, {Max: 1, Per: "7d"}, {Max: 3, Per: "12h"}, {Max: 2, Per: "30d"}}
	for _, own := range cads {
		for _, global := range cads {
			for n := range 4 {
				full, brief := &countingCounter{n: n}, &countingCounter{n: n}
				_, want, err := CheckCadence(context.Background(), full, 7, at, own, global)
				if err != nil {
					t.Fatal(err)
				}
				got, err := CadenceAllows(context.Background(), brief, 7, at, own, global)
				if err != nil {
					t.Fatal(err)
				}
				if got != want || brief.calls != full.calls {
					t.Errorf("own %v global %v count %d: allows %t after %d counts, CheckCadence %t after %d",
						own, global, n, got, brief.calls, want, full.calls)
				}
			}
		}
	}
	if d := periodOf("12h"); d != 12*time.Hour {
		t.Errorf("periodOf(12h) = %s", d)
	}
	if d, want := periodOf("30d"), (models.Cadence{Per: "30d"}).Period(); d != want {
		t.Errorf("periodOf(30d) = %s, want the parsed period", d)
	}
}
