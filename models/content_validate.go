package models

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// Size limits of content, so one item cannot bloat planning or rendering.
const (
	MaxVariants       = 50
	MaxVariantBytes   = 64 * 1024
	MaxContentSources = 50
	MaxContentPoints  = 100
	MaxContentPrices  = 100
)

// Valid reports whether k is a known content kind.
func (k ContentKind) Valid() bool {
	for _, known := range ContentKinds {
		if k == known {
			return true
		}
	}
	return false
}

// Valid reports whether v is a known verdict.
func (v Verdict) Valid() bool {
	return v == VerdictOursBetter || v == VerdictTheirsBetter || v == VerdictEqual
}

// Normalize trims white space and canonicalises locales (de-at -> de-AT)
// so that one variant per (locale, channel) means what it says.
func (in *ContentInput) Normalize() {
	in.Topic = strings.TrimSpace(in.Topic)
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = strings.TrimSpace(in.Summary)
	in.DefaultLocale = canonicalLocale(in.DefaultLocale)
	in.AsOf = strings.TrimSpace(in.AsOf)
	for i := range in.Variants {
		in.Variants[i].Locale = canonicalLocale(in.Variants[i].Locale)
		in.Variants[i].Subject = strings.TrimSpace(in.Variants[i].Subject)
		in.Variants[i].Title = strings.TrimSpace(in.Variants[i].Title)
	}
	if in.Variants == nil {
		in.Variants = []Variant{}
	}
	if in.Sources == nil {
		in.Sources = []Source{}
	}
}

func canonicalLocale(s string) string {
	s = strings.TrimSpace(s)
	if tag, err := language.Parse(s); err == nil && s != "" {
		return tag.String()
	}
	return s
}

// ParseAsOf parses an as_of date (YYYY-MM-DD) as midnight UTC.
func ParseAsOf(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }

// Validate checks the structure of content: kind, topic, variants (one per
// locale and channel, the fields each channel needs, a variant in the
// default locale), and the kind-specific lists. It returns EINVALID
// listing every problem, or nil. Honesty and readability are judged by the
// checks, not here, so a draft with weak claims can still be saved.
// Call Normalize first.
func (in *ContentInput) Validate() error {
	var p Problems
	if !in.Kind.Valid() {
		p.Add("/kind", "enum", "must be one of %v, got %q", ContentKinds, in.Kind)
	}
	if !ValidTopicKey(in.Topic) {
		p.Add("/topic", "format", "must be the key of a topic")
	}
	if n := utf8.RuneCountInString(in.Title); n == 0 || n > 200 {
		p.Add("/title", "length", "is required and must be at most 200 characters")
	}
	if utf8.RuneCountInString(in.Summary) > 2000 {
		p.Add("/summary", "max_length", "must be at most 2000 characters")
	}
	switch {
	case in.Kind == KindCorrection && in.Corrects == nil:
		p.Add("/corrects", "required", "a correction must name the id of the content it corrects")
	case in.Kind != KindCorrection && in.Corrects != nil:
		p.Add("/corrects", "kind", "only content of kind correction corrects other content")
	case in.Corrects != nil && *in.Corrects <= 0:
		p.Add("/corrects", "format", "must be the id of existing content")
	}
	if in.AsOf != "" {
		if _, err := ParseAsOf(in.AsOf); err != nil {
			p.Add("/as_of", "format", "must be a date as YYYY-MM-DD")
		}
	}
	in.validateVariants(&p)
	if len(in.Sources) > MaxContentSources {
		p.Add("/sources", "max_items", "must hold at most %d sources", MaxContentSources)
	}
	for i, s := range in.Sources {
		if strings.TrimSpace(s.URL) == "" {
			p.Add(fmt.Sprintf("/sources/%d/url", i), "required", "is required")
		}
	}
	in.validateKindLists(&p)
	in.validateText(&p)
	return p.Err()
}

// validateText records a "text" problem for every string that is not
// ValidText: the body is stored as JSON, and PostgreSQL refuses a NUL
// even escaped, so one bad character anywhere would otherwise be a 500.
func (in *ContentInput) validateText(p *Problems) {
	checkText(p, "/title", in.Title)
	checkText(p, "/summary", in.Summary)
	checkText(p, "/default_locale", in.DefaultLocale)
	checkText(p, "/as_of", in.AsOf)
	for i, v := range in.Variants {
		at := fmt.Sprintf("/variants/%d/", i)
		checkText(p, at+"locale", v.Locale)
		checkText(p, at+"channel", string(v.Channel))
		checkText(p, at+"subject", v.Subject)
		checkText(p, at+"title", v.Title)
		checkText(p, at+"text", v.Text)
		checkText(p, at+"html", v.HTML)
	}
	for i, s := range in.Sources {
		at := fmt.Sprintf("/sources/%d/", i)
		checkText(p, at+"title", s.Title)
		checkText(p, at+"url", s.URL)
	}
	for i, c := range in.Competitors {
		checkText(p, fmt.Sprintf("/competitors/%d", i), c)
	}
	for i, pt := range in.Points {
		at := fmt.Sprintf("/points/%d/", i)
		checkText(p, at+"aspect", pt.Aspect)
		checkText(p, at+"ours", pt.Ours)
		checkText(p, at+"theirs", pt.Theirs)
		checkText(p, at+"verdict", string(pt.Verdict))
		checkText(p, at+"source", pt.Source)
	}
	for i, pr := range in.Prices {
		at := fmt.Sprintf("/prices/%d/", i)
		checkText(p, at+"vendor", pr.Vendor)
		checkText(p, at+"plan", pr.Plan)
		checkText(p, at+"amount", pr.Amount)
		checkText(p, at+"max_amount", pr.MaxAmount)
		checkText(p, at+"currency", pr.Currency)
		checkText(p, at+"period", pr.Period)
		checkText(p, at+"source", pr.Source)
		for j, inc := range pr.Includes {
			checkText(p, fmt.Sprintf("%sincludes/%d", at, j), inc)
		}
	}
}

func (in *ContentInput) validateVariants(p *Problems) {
	if _, err := language.Parse(in.DefaultLocale); err != nil || in.DefaultLocale == "" {
		p.Add("/default_locale", "format", "must be a BCP 47 locale such as en or de-AT")
	}
	if len(in.Variants) == 0 {
		p.Add("/variants", "min_items", "at least one variant is required")
	} else if len(in.Variants) > MaxVariants {
		p.Add("/variants", "max_items", "must hold at most %d variants", MaxVariants)
	}
	seen := map[string]int{}
	hasDefault := false
	for i, v := range in.Variants {
		at := fmt.Sprintf("/variants/%d", i)
		if _, err := language.Parse(v.Locale); err != nil || v.Locale == "" {
			p.Add(at+"/locale", "format", "must be a BCP 47 locale such as en or de-AT")
		}
		key := v.Locale + "|" + string(v.Channel)
		if first, dup := seen[key]; dup {
			p.Add(at, "unique", "duplicates variant %d: one variant per (locale, channel)", first)
		} else {
			seen[key] = i
		}
		if v.Locale == in.DefaultLocale {
			hasDefault = true
		}
		if len(v.Subject)+len(v.Text)+len(v.HTML)+len(v.Title) > MaxVariantBytes {
			p.Add(at, "max_length", "must be at most %d bytes in total", MaxVariantBytes)
		}
		if spec, ok := ChannelSpecFor(v.Channel); ok {
			spec.validateVariant(p, at, &in.Variants[i])
		} else {
			p.Add(at+"/channel", "enum", "must be %s, got %q", ChannelList(" or "), v.Channel)
		}
	}
	if len(in.Variants) > 0 && in.DefaultLocale != "" && !hasDefault {
		p.Add("/default_locale", "variant", "no variant has the default locale %q", in.DefaultLocale)
	}
}

func (in *ContentInput) validateKindLists(p *Problems) {
	if in.Kind != KindCompetitorComparison && (len(in.Competitors) > 0 || len(in.Points) > 0) {
		p.Add("/points", "kind", "competitors and points belong to content of kind competitor_comparison")
	}
	if in.Kind != KindPricingGuide && len(in.Prices) > 0 {
		p.Add("/prices", "kind", "prices belong to content of kind pricing_guide")
	}
	if len(in.Points) > MaxContentPoints {
		p.Add("/points", "max_items", "must hold at most %d points", MaxContentPoints)
	}
	if len(in.Prices) > MaxContentPrices {
		p.Add("/prices", "max_items", "must hold at most %d prices", MaxContentPrices)
	}
	for i, pt := range in.Points {
		at := fmt.Sprintf("/points/%d", i)
		if strings.TrimSpace(pt.Aspect) == "" {
			p.Add(at+"/aspect", "required", "is required")
		}
		if !pt.Verdict.Valid() {
			p.Add(at+"/verdict", "enum", "must be ours_better, theirs_better or equal, got %q", pt.Verdict)
		}
	}
	for i, pr := range in.Prices {
		at := fmt.Sprintf("/prices/%d", i)
		if strings.TrimSpace(pr.Vendor) == "" {
			p.Add(at+"/vendor", "required", "is required")
		}
		if strings.TrimSpace(pr.Amount) == "" {
			p.Add(at+"/amount", "required", "is required")
		}
	}
}
