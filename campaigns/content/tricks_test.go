package content_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/candor/candor/models"
)

// The four findings of issue 18, measured on the checks before it: each
// trick got content past a check it fails in plain form, or the check
// blocked an honest sentence.
func TestIssue18TricksNoLongerPass(t *testing.T) {
	roadmap := func(locale string, v models.Variant) *models.ContentInput {
		v.Locale, v.Channel = locale, models.ChannelEmail
		if v.Subject == "" {
			v.Subject = "Our plans"
		}
		return &models.ContentInput{Kind: models.KindRoadmap, Topic: "product-roadmap", Title: "Plans", DefaultLocale: locale,
			Variants: []models.Variant{v}}
	}
	tests := []struct {
		name    string
		in      *models.ContentInput
		want    string // a finding that must be there
		wantNot string // a rule that must not be there
	}{
		{"a zero-width space inside guarantee is still an absolute promise",
			roadmap("en", models.Variant{Text: "We guar\u200bantee the new API ships in Q1. Plans can change."}),
			"roadmap.absolute_promise error /variants/0/text", ""},
		{"a disclaimer hidden with display:none is an error, not a disclaimer",
			roadmap("en", models.Variant{Text: "We plan to ship the new API in Q1. Plans can change.",
				HTML: `<p>We plan to ship the new API in Q1.</p><p style="display:none">Plans can change.</p>`}),
			"html.hidden_required error /variants/0/html", ""},
		{"another form of the German verb is still a promise",
			roadmap("de", models.Variant{Text: "Wir garantieren, dass Funktion X im ersten Quartal erscheint. Pläne können sich ändern."}),
			"roadmap.absolute_promise error /variants/0/text", ""},
		{"saying there is no guarantee is honest and not a promise",
			roadmap("en", models.Variant{Text: "There is no guarantee the new API ships in Q1; plans can change."}),
			"", "roadmap.absolute_promise"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(tt.in)
			if tt.want != "" && !slices.Contains(got, tt.want) {
				t.Errorf("findings %q lack %q", got, tt.want)
			}
			for _, f := range got {
				if tt.wantNot != "" && strings.HasPrefix(f, tt.wantNot+" ") {
					t.Errorf("findings %q hold %q", got, tt.wantNot)
				}
			}
		})
	}
}
