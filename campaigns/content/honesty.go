package content

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/candor/candor/models"
)

// comparison: a comparison that never concedes anything is an ad, and a
// point without a source is an opinion.
func (c *checker) comparison() {
	if len(c.in.Competitors) == 0 {
		c.add(RuleComparisonNoCompetitors, models.SeverityError, "/competitors", "name the products this content compares with")
	}
	if len(c.in.Points) == 0 {
		c.add(RuleComparisonNoPoints, models.SeverityError, "/points", "a comparison needs points (aspect, ours, theirs, verdict, source)")
		return
	}
	conceded := false
	for i, p := range c.in.Points {
		if p.Verdict == models.VerdictTheirsBetter || p.Verdict == models.VerdictEqual {
			conceded = true
		}
		if strings.TrimSpace(p.Source) == "" {
			c.add(RuleComparisonNoSource, models.SeverityError, fmt.Sprintf("/points/%d/source", i), "point %q has no source; link where the reader can verify it", shorten(p.Aspect))
		}
	}
	if !conceded {
		c.add(RuleComparisonOneSided, models.SeverityError, "/points",
			"every point says we are better; add at least one aspect where the competitor is better or equal")
	}
}

// amountRE is a plain decimal amount such as 29, 29.00 or 1,299.50.
var amountRE = regexp.MustCompile(`^\d{1,3}(,?\d{3})*(\.\d{1,4})?$`)

// openEndedAmountRE is an amount written as a lower bound: "from 29",
// "ab 29", "à partir de 29", "desde 29", "29+".
var openEndedAmountRE = regexp.MustCompile(`(?i)^(from|starting at|ab|à partir de|a partir de|desde)\s|\+$`)

// openEndedTextRE finds "from $29"-style prices in running text.
var openEndedTextRE = regexp.MustCompile(`(?i)(?:^|[\s(])(from|starting at|ab|à partir de|desde)\s+(?:[$€£¥]\s?\d|\d[\d.,]*\s?(?:[$€£¥]|eur|usd|gbp|chf))`)

// pricing: a price is only useful when it says what, how much, how often,
// in which currency and according to whom, and when that was true.
func (c *checker) pricing() {
	if len(c.in.Prices) == 0 {
		c.add(RulePricingNoPrices, models.SeverityError, "/prices", "a pricing guide needs prices (vendor, plan, amount, currency, period, source)")
	}
	for i, p := range c.in.Prices {
		at := fmt.Sprintf("/prices/%d", i)
		if strings.TrimSpace(p.Currency) == "" {
			c.add(RulePricingNoCurrency, models.SeverityError, at+"/currency", "the price of %s has no currency", shorten(p.Vendor))
		}
		if strings.TrimSpace(p.Period) == "" {
			c.add(RulePricingNoPeriod, models.SeverityError, at+"/period", "the price of %s has no period (month, year, one-off, per seat and month, ...)", shorten(p.Vendor))
		}
		if strings.TrimSpace(p.Source) == "" {
			c.add(RulePricingNoSource, models.SeverityError, at+"/source", "the price of %s has no source; link the vendor's price page", shorten(p.Vendor))
		}
		amount := strings.TrimSpace(p.Amount)
		switch {
		case openEndedAmountRE.MatchString(amount):
			if strings.TrimSpace(p.MaxAmount) == "" {
				c.add(RulePricingOpenEnded, models.SeverityWarning, at+"/amount", "%q has no upper bound; give max_amount or the price of the plan most readers need", amount)
			}
		case !amountRE.MatchString(amount):
			c.add(RulePricingBadAmount, models.SeverityError, at+"/amount", "%q is not a plain amount such as 29 or 29.00", shorten(amount))
		}
		if m := strings.TrimSpace(p.MaxAmount); m != "" && !amountRE.MatchString(m) {
			c.add(RulePricingBadAmount, models.SeverityError, at+"/max_amount", "%q is not a plain amount such as 29 or 29.00", shorten(m))
		}
	}
	c.asOf()
	for i := range c.in.Variants {
		for _, f := range variantFields(i, &c.in.Variants[i]) {
			for _, loc := range openEndedTextRE.FindAllStringIndex(plainText(f.src, f.html), -1) {
				c.add(RulePricingOpenEnded, models.SeverityWarning, f.at, "an open-ended price at character %d; say what most readers will actually pay", loc[0]+1)
			}
		}
	}
}

// asOf: prices change; a guide older than PricingMaxAge misleads.
func (c *checker) asOf() {
	if c.in.AsOf == "" {
		c.add(RulePricingStale, models.SeverityError, "/as_of", "a pricing guide needs as_of, the date its prices were true")
		return
	}
	asOf, err := models.ParseAsOf(c.in.AsOf)
	if err != nil {
		return // Validate rejects it at save time
	}
	// Whole days: a guide dated 90 days ago is current all day long.
	now := c.opts.Now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case asOf.After(today):
		c.add(RulePricingStale, models.SeverityError, "/as_of", "as_of %s is in the future", c.in.AsOf)
	case today.Sub(asOf) > PricingMaxAge:
		c.add(RulePricingStale, models.SeverityError, "/as_of",
			"as_of %s is more than %d days ago; check the prices again and update as_of", c.in.AsOf, int(PricingMaxAge.Hours()/24))
	}
}

// roadmap: plans are not promises. Absolute promises are errors; a
// missing disclaimer is appended at render time, and the approver is told.
func (c *checker) roadmap() {
	for i := range c.in.Variants {
		v := &c.in.Variants[i]
		lang := languageOf(v.Locale)
		for _, f := range variantFields(i, v) {
			// English promises count in every language: they are common
			// in marketing copy of any language.
			seen := map[int]bool{}
			for _, l := range []string{lang, "en"} {
				for _, hit := range c.analysis(f, l).find(listPromise) {
					if !seen[hit.Offset] {
						seen[hit.Offset] = true
						c.add(RuleRoadmapPromise, models.SeverityError, f.at, "%q at character %d promises the future; say what we plan and that plans can change", hit.Text, hit.Offset+1)
					}
				}
			}
		}
		c.roadmapDisclaimer(i, lang)
	}
}

// roadmapDisclaimer warns for each body part of variant i whose output
// lacks a disclaimer. It renders for a customer with no name and no
// attributes, so a disclaimer inside a condition does not count: some
// readers would not see it.
func (c *checker) roadmapDisclaimer(i int, lang string) {
	v := &c.in.Variants[i]
	sample := c.sampleInput()
	m, _, err := renderTemplates(c.in, v, RenderInput{PreferencesURL: sample.PreferencesURL, UnsubscribeURL: sample.UnsubscribeURL})
	if err != nil {
		return // ValidateTemplates reports broken templates at save time
	}
	at := fmt.Sprintf("/variants/%d/", i)
	if !hasDisclaimer(lang, m.Text) {
		c.add(RuleRoadmapDisclaimer, models.SeverityWarning, at+"text",
			"no disclaimer that plans may change; Candor appends: %q", disclaimerText(lang))
	}
	if m.HTML != "" && !hasDisclaimer(lang, viewHTML(m.HTML).visibleText()) {
		c.add(RuleRoadmapDisclaimer, models.SeverityWarning, at+"html",
			"no disclaimer that plans may change; Candor appends: %q", disclaimerText(lang))
	}
}
