package content_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/content"
)

func TestLocaleChain(t *testing.T) {
	tests := []struct {
		name          string
		locale, deflt string
		want          []string
	}{
		{"a regional locale falls back to its language, then the default", "de-AT", "en", []string{"de-AT", "de", "en"}},
		{"a locale whose language is the default tries it once", "en-GB", "en", []string{"en-GB", "en"}},
		{"the default itself is tried once", "en", "en", []string{"en"}},
		{"no locale tries only the default", "", "fr", []string{"fr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, content.LocaleChain(tt.locale, tt.deflt)); diff != "" {
				t.Errorf("LocaleChain(%q, %q) (-want +got):\n%s", tt.locale, tt.deflt, diff)
			}
		})
	}
}
