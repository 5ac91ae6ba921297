package content

import (
	"cmp"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/candor/candor/models"
)

// Rule ids of the content checks. They are stable: approvals record the
// warnings they acknowledged by these ids. docs/content.md explains each.
const (
	RuleComparisonNoCompetitors = "comparison.no_competitors"
	RuleComparisonNoPoints      = "comparison.no_points"
	RuleComparisonOneSided      = "comparison.one_sided"
	RuleComparisonNoSource      = "comparison.point_without_source"
	RulePricingNoPrices         = "pricing.no_prices"
	RulePricingNoCurrency       = "pricing.missing_currency"
	RulePricingNoPeriod         = "pricing.missing_period"
	RulePricingNoSource         = "pricing.missing_source"
	RulePricingBadAmount        = "pricing.invalid_amount"
	RulePricingStale            = "pricing.stale"
	RulePricingOpenEnded        = "pricing.open_ended"
	RuleRoadmapDisclaimer       = "roadmap.disclaimer_appended"
	RuleRoadmapPromise          = "roadmap.absolute_promise"
	RuleLanguagePressure        = "language.pressure"
	RuleLanguageHype            = "language.hype"
	RuleLanguageLegalese        = "language.legalese"
	RuleLanguageUnsupported     = "language.unsupported"
	RuleReadabilityScore        = "readability.score"
	RuleReadabilityLongSentence = "readability.long_sentence"
	RuleSMSSegments             = "channel.sms_segments"
	RuleEmailSubjectLength      = "channel.email_subject_length"
	RuleEmailNoText             = "channel.html_without_text"
	RuleSourceURL               = "sources.invalid_url"
	RuleHTMLHiddenText          = "html.hidden_text"
	RuleHTMLHiddenRequired      = "html.hidden_required"
	RuleLanguageMixedScript     = "language.mixed_script"
	RuleExpired                 = "content.expired"
)

// PricingMaxAge is how old the facts of a pricing guide may be. The
// channel-fit limits are part of each channel's models.ChannelSpec.
const PricingMaxAge = 90 * 24 * time.Hour

// CheckOptions are the inputs of the checks besides the content.
type CheckOptions struct {
	Now time.Time
	// PublicURL is the base of the links appended to every message; it
	// makes SMS lengths realistic. Empty means https://candor.example.
	PublicURL string
}

// CheckContent runs every honesty, readability and channel-fit check that
// applies to in and returns the findings ordered by location (array
// indexes in numeric order) and rule. Findings with severity error block
// approval. It never fails: content that cannot even be rendered gets an
// error finding.
func CheckContent(in *models.ContentInput, opts CheckOptions) []models.Finding {
	c := &checker{in: in, opts: opts}
	switch in.Kind {
	case models.KindCompetitorComparison:
		c.comparison()
	case models.KindPricingGuide:
		c.pricing()
	case models.KindRoadmap:
		c.roadmap()
	}
	c.sources()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(opts.Now) {
		c.add(RuleExpired, models.SeverityError, "/expires_at",
			"expires_at %s is not in the future: expired content cannot be launched or sent", in.ExpiresAt.UTC().Format(time.RFC3339))
	}
	for i := range in.Variants {
		c.language(i)
		c.readability(i)
		c.channelFit(i)
		c.htmlVisibility(i)
	}
	sort.SliceStable(c.findings, func(i, j int) bool {
		a, b := c.findings[i], c.findings[j]
		if n := comparePointers(a.Location, b.Location); n != 0 {
			return n < 0
		}
		return a.Rule < b.Rule
	})
	if c.findings == nil {
		return []models.Finding{}
	}
	return c.findings
}

// comparePointers orders JSON pointers token by token, numbers by value,
// so that /variants/2 comes before /variants/10 as an author reads them.
func comparePointers(a, b string) int {
	ta, tb := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(ta) && i < len(tb); i++ {
		na, errA := strconv.Atoi(ta[i])
		nb, errB := strconv.Atoi(tb[i])
		var n int
		if errA == nil && errB == nil {
			n = cmp.Compare(na, nb)
		} else {
			n = strings.Compare(ta[i], tb[i])
		}
		if n != 0 {
			return n
		}
	}
	return cmp.Compare(len(ta), len(tb))
}

// HasErrors reports whether any finding has severity error.
func HasErrors(findings []models.Finding) bool {
	for _, f := range findings {
		if f.Severity == models.SeverityError {
			return true
		}
	}
	return false
}

type checker struct {
	in       *models.ContentInput
	opts     CheckOptions
	findings []models.Finding
	analyses map[string]*analysis // by field location and language
}

// analysis reads a variant field in lang's lists once for every check.
func (c *checker) analysis(f templateField, lang string) *analysis {
	key := f.at + " " + lang
	if a, ok := c.analyses[key]; ok {
		return a
	}
	if c.analyses == nil {
		c.analyses = map[string]*analysis{}
	}
	a := analyze(extractText(f.src, f.html), f.src, lang)
	c.analyses[key] = a
	return a
}

func (c *checker) add(rule string, sev models.Severity, at, format string, args ...any) {
	c.findings = append(c.findings, models.Finding{Rule: rule, Severity: sev, Location: at, Message: fmt.Sprintf(format, args...)})
}

// validSourceURL reports whether s is an absolute http(s) URL with a host.
func validSourceURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// sources checks every URL that backs a claim: the sources list and the
// source of each comparison point and price.
func (c *checker) sources() {
	check := func(at, raw string) {
		if raw != "" && !validSourceURL(raw) {
			c.add(RuleSourceURL, models.SeverityError, at, "%q is not an absolute http(s) URL; link the page a reader can check", shorten(raw))
		}
	}
	for i, s := range c.in.Sources {
		check(fmt.Sprintf("/sources/%d/url", i), s.URL)
	}
	for i, p := range c.in.Points {
		check(fmt.Sprintf("/points/%d/source", i), p.Source)
	}
	for i, p := range c.in.Prices {
		check(fmt.Sprintf("/prices/%d/source", i), p.Source)
	}
}

// language flags pressure, hype and legalese phrases of the variant's
// language in everything the reader sees.
func (c *checker) language(i int) {
	v := &c.in.Variants[i]
	for _, f := range variantFields(i, v) {
		c.mixedScript(f)
	}
	lang := languageOf(v.Locale)
	if _, ok := compiled[lang]; !ok {
		c.add(RuleLanguageUnsupported, models.SeverityWarning, fmt.Sprintf("/variants/%d/locale", i),
			"no word lists or readability formula for %q (supported: %s): review its language by hand", v.Locale, strings.Join(SupportedLanguages, ", "))
		return
	}
	rules := []struct{ rule, list, why string }{
		{RuleLanguagePressure, listPressure, "pressures the reader; let them decide in their own time"},
		{RuleLanguageHype, listHype, "is hype; state the fact that makes it true, with a source"},
		{RuleLanguageLegalese, listLegalese, "is legalese; say it in plain words"},
	}
	for _, f := range variantFields(i, v) {
		a := c.analysis(f, lang)
		for _, r := range rules {
			for _, hit := range a.find(r.list) {
				c.add(r.rule, models.SeverityWarning, f.at, "%q at character %d %s", hit.Text, hit.Offset+1, r.why)
			}
		}
	}
}

// bodyText is the text readability is judged on: the text part, or the
// HTML without tags when a variant has no text.
func bodyText(v *models.Variant) (string, string) {
	if strings.TrimSpace(v.Text) != "" {
		return plainText(v.Text, false), "text"
	}
	return plainText(v.HTML, true), "html"
}

func (c *checker) readability(i int) {
	v := &c.in.Variants[i]
	lang := languageOf(v.Locale)
	text, field := bodyText(v)
	at := fmt.Sprintf("/variants/%d/%s", i, field)
	if score, ok := ReadingEase(lang, text); ok && score < MinReadingEase {
		c.add(RuleReadabilityScore, models.SeverityWarning, at,
			"reading ease %.0f is below %.0f (%s): use shorter sentences and simpler words", score, MinReadingEase, formulaName(lang))
	}
	for _, n := range Stats(lang, text).LongSentences {
		c.add(RuleReadabilityLongSentence, models.SeverityWarning, at,
			"a sentence has %d words (more than %d): split it", n, MaxSentenceWords)
	}
}

func formulaName(lang string) string {
	return map[string]string{"en": "Flesch", "de": "Amstad", "fr": "Kandel-Moles", "es": "Fernández-Huerta"}[lang]
}

// sampleInput renders for checks: a long name and links as long as real
// ones, so SMS lengths are counted as they will be sent.
func (c *checker) sampleInput() RenderInput {
	base := strings.TrimRight(c.opts.PublicURL, "/")
	if base == "" {
		base = "https://candor.example"
	}
	token := strings.Repeat("x", 35) // length of a secrets.CustomerToken
	return RenderInput{Name: "Alexandra Sample", PreferencesURL: base + "/p/" + token, UnsubscribeURL: base + "/u/" + token}
}

func (c *checker) channelFit(i int) {
	v := &c.in.Variants[i]
	at := fmt.Sprintf("/variants/%d", i)
	spec, ok := models.ChannelSpecFor(v.Channel)
	if !ok {
		return // validation refuses unknown channels at save time
	}
	lim := spec.Limits
	if n := utf8.RuneCountInString(v.Subject); lim.SubjectChars > 0 && n > lim.SubjectChars {
		c.add(RuleEmailSubjectLength, models.SeverityWarning, at+"/subject", "the subject has %d characters; above %d it is cut off on most phones", n, lim.SubjectChars)
	}
	if lim.TextWithHTML && strings.TrimSpace(v.HTML) != "" && strings.TrimSpace(v.Text) == "" {
		c.add(RuleEmailNoText, models.SeverityError, at+"/text", "an HTML email needs a plain-text alternative for text-only clients and screen readers")
	}
	if lim.Segmented() {
		m, err := Render(c.in, v, c.sampleInput())
		if err != nil {
			return // ValidateTemplates reports broken templates at save time
		}
		seg := CountSMS(m.Text)
		switch {
		case seg.Segments > lim.MaxSegments:
			c.add(RuleSMSSegments, models.SeverityError, at+"/text", "the SMS needs %d %s segments (%d units, links included); at most %d are allowed", seg.Segments, seg.Encoding, seg.Units, lim.MaxSegments)
		case seg.Segments > lim.WarnSegments:
			c.add(RuleSMSSegments, models.SeverityWarning, at+"/text", "the SMS needs %d %s segments (%d units, links included); each segment is billed and may arrive split", seg.Segments, seg.Encoding, seg.Units)
		}
	}
}
