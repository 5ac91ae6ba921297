package eligibility

import (
	"fmt"
	"strings"
	"time"

	"github.com/candor/candor/models"
)

// variantForLocale returns the first locale of content.LocaleChain(locale,
// defaultLocale) that locales holds (case-insensitively), as spelled in
// locales, without building the chain: the locale, each shorter prefix of
// it, then the default. LocaleChain leaves the default out when
// the chain already holds it, which changes nothing here: that locale was
// tried already and matched nothing, so it matches nothing again.
func variantForLocale(locales []string, locale, defaultLocale string) (string, bool) {
	for l := locale; l != ""; {
		for _, have := range locales {
			if strings.EqualFold(have, l) {
				return have, true
			}
		}
		i := strings.LastIndexByte(l, '-')
		if i < 0 {
			break
		}
		l = l[:i]
	}
	for _, have := range locales {
		if strings.EqualFold(have, defaultLocale) {
			return have, true
		}
	}
	return "", false
}

// addressField names the customer field that addresses channel ch,
// so explanations can say what is missing without showing the value.
func addressField(ch models.Channel) string {
	if spec, ok := models.ChannelSpecFor(ch); ok {
		return spec.AddressField
	}
	return "none"
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// pick picks the detail of a rule whose texts are constant, which
// costs nothing even in brief mode.
func pick(pass bool, passText, failText string) string {
	if pass {
		return passText
	}
	return failText
}

// kv builds a rule's values from key, value pairs.
func kv(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func list(items []string) string {
	if len(items) == 0 {
		return "(none)"
	}
	return strings.Join(items, ", ")
}

func channelList(chs []models.Channel) string {
	names := make([]string, len(chs))
	for i, ch := range chs {
		names[i] = string(ch)
	}
	return list(names)
}

// describeCadence describes cadence checks, e.g. "customer 2/7d: 1 counted;
// global 4/30d: 4 counted (reached)".
func describeCadence(checks []CadenceCheck) string {
	if len(checks) == 0 {
		return "no cadence and no global cap apply"
	}
	parts := make([]string, len(checks))
	for i, c := range checks {
		parts[i] = fmt.Sprintf("%s %d/%s: %d counted", c.Source, c.Max, c.Per, c.Count)
		if !c.OK {
			parts[i] += " (reached)"
		}
	}
	return strings.Join(parts, "; ")
}
