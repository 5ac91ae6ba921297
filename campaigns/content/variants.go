package content

import (
	"slices"

	"github.com/candor/candor/models"
)

// VariantLocales lists, per channel, the locales content has variants in:
// the form the eligibility Evaluator takes.
func VariantLocales(in *models.ContentInput) map[models.Channel][]string {
	out := map[models.Channel][]string{}
	for _, v := range in.Variants {
		if !slices.Contains(out[v.Channel], v.Locale) {
			out[v.Channel] = append(out[v.Channel], v.Locale)
		}
	}
	return out
}
