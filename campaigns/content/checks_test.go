package content_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

var checkNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// emailContent returns education content with one email variant per
// (locale, text) pair, the first locale being the default.
func emailContent(kind models.ContentKind, pairs ...string) *models.ContentInput {
	in := &models.ContentInput{Kind: kind, Topic: "technology-alternatives", Title: "Sample", DefaultLocale: pairs[0]}
	for i := 0; i < len(pairs); i += 2 {
		in.Variants = append(in.Variants, models.Variant{Locale: pairs[i], Channel: models.ChannelEmail, Subject: "A short subject", Text: pairs[i+1]})
	}
	return in
}

// found returns "rule severity location" for every finding.
func found(in *models.ContentInput) []string {
	var out []string
	for _, f := range content.CheckContent(in, content.CheckOptions{Now: checkNow}) {
		out = append(out, f.Rule+" "+string(f.Severity)+" "+f.Location)
	}
	return out
}

func TestLanguageChecksUseEachLocalesWordLists(t *testing.T) {
	tests := []struct {
		name   string
		locale string
		text   string
		want   []string
	}{
		{"plain English passes", "en", plainEN, nil},
		{"English pressure and hype are flagged", "en-GB",
			"Act now: our revolutionary tool is the #1 choice. " + plainEN,
			[]string{"language.hype warning /variants/0/text", "language.hype warning /variants/0/text", "language.pressure warning /variants/0/text"}},
		{"English legalese is flagged", "en", "Notwithstanding the above, you can pay by bank transfer. " + plainEN,
			[]string{"language.legalese warning /variants/0/text"}},
		{"words that contain a listed word are not flagged", "en", "Our bestseller list is updated. " + plainEN, nil},
		{"plain German passes", "de", plainDE, nil},
		{"German pressure and hype are flagged", "de-AT", "Jetzt zugreifen, nur für kurze Zeit: das revolutionäre Angebot! " + plainDE,
			[]string{"language.hype warning /variants/0/text", "language.pressure warning /variants/0/text", "language.pressure warning /variants/0/text"}},
		{"German legalese is flagged", "de", "Nachfolgend erklären wir die neuen Rechnungen. " + plainDE, []string{"language.legalese warning /variants/0/text"}},
		{"plain French passes", "fr", plainFR, nil},
		{"French pressure and hype are flagged", "fr-CA", "Dernière chance : une offre révolutionnaire ! " + plainFR,
			[]string{"language.hype warning /variants/0/text", "language.pressure warning /variants/0/text"}},
		{"plain Spanish passes", "es", plainES, nil},
		{"Spanish pressure and legalese are flagged", "es-MX", "¡Última oportunidad! En virtud de los cambios, el mejor precio. " + plainES,
			[]string{"language.hype warning /variants/0/text", "language.legalese warning /variants/0/text", "language.pressure warning /variants/0/text"}},
		{"a locale without word lists gets one warning to review it by hand", "it", "Abbiamo cambiato le fatture.",
			[]string{"language.unsupported warning /variants/0/locale"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(emailContent(models.KindEducation, tt.locale, tt.text))
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadabilityChecks(t *testing.T) {
	for _, tt := range []struct{ locale, hard string }{{"en", hardEN}, {"de", hardDE}, {"fr", hardFR}, {"es", hardES}} {
		t.Run("a licence clause in "+tt.locale+" gets a reading-ease warning", func(t *testing.T) {
			got := found(emailContent(models.KindEducation, tt.locale, tt.hard))
			if !slices.Contains(got, "readability.score warning /variants/0/text") {
				t.Errorf("findings %v lack readability.score", got)
			}
		})
	}
	t.Run("a sentence above the word limit is flagged", func(t *testing.T) {
		long := strings.Repeat("we pay ", content.MaxSentenceWords/2+1) + "now. " + plainEN
		got := found(emailContent(models.KindEducation, "en", long))
		if !slices.Contains(got, "readability.long_sentence warning /variants/0/text") {
			t.Errorf("findings %v lack readability.long_sentence", got)
		}
	})
}

func TestComparisonMustBeBalancedAndSourced(t *testing.T) {
	base := func(points ...models.Point) *models.ContentInput {
		in := emailContent(models.KindCompetitorComparison, "en", plainEN)
		in.Competitors, in.Points = []string{"Acme Mail"}, points
		return in
	}
	src := "https://example.com/acme-pricing"
	tests := []struct {
		name string
		in   *models.ContentInput
		want []string
	}{
		{"a comparison that concedes a point and cites sources passes", base(
			models.Point{Aspect: "Price", Ours: "9 EUR", Theirs: "7 EUR", Verdict: models.VerdictTheirsBetter, Source: src},
			models.Point{Aspect: "Export", Ours: "CSV, JSON", Theirs: "CSV", Verdict: models.VerdictOursBetter, Source: src}), nil},
		{"a comparison where we always win is one-sided", base(
			models.Point{Aspect: "Price", Verdict: models.VerdictOursBetter, Source: src},
			models.Point{Aspect: "Export", Verdict: models.VerdictOursBetter, Source: src}),
			[]string{"comparison.one_sided error /points"}},
		{"a tie counts as a concession", base(models.Point{Aspect: "Uptime", Verdict: models.VerdictEqual, Source: src}), nil},
		{"a point without a source is an error", base(models.Point{Aspect: "Support", Verdict: models.VerdictEqual}),
			[]string{"comparison.point_without_source error /points/0/source"}},
		{"a source that is not an http URL is an error", base(models.Point{Aspect: "Support", Verdict: models.VerdictEqual, Source: "acme.com/pricing"}),
			[]string{"sources.invalid_url error /points/0/source"}},
		{"a comparison without points or competitors is an error", func() *models.ContentInput {
			in := base()
			in.Competitors = nil
			return in
		}(), []string{"comparison.no_competitors error /competitors", "comparison.no_points error /points"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, found(tt.in)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPricingGuideChecks(t *testing.T) {
	good := models.Price{Vendor: "Acme", Plan: "Team", Amount: "29.00", Currency: "EUR", Period: "month", Source: "https://acme.example/pricing"}
	guide := func(asOf string, text string, prices ...models.Price) *models.ContentInput {
		in := emailContent(models.KindPricingGuide, "en", text)
		in.AsOf, in.Prices = asOf, prices
		return in
	}
	recent := checkNow.AddDate(0, 0, -30).Format(time.DateOnly)
	tests := []struct {
		name string
		in   *models.ContentInput
		want []string
	}{
		{"a complete, recent guide passes", guide(recent, plainEN, good), nil},
		{"a price without currency, period or source is an error", guide(recent, plainEN,
			models.Price{Vendor: "Acme", Amount: "29"}),
			[]string{"pricing.missing_currency error /prices/0/currency", "pricing.missing_period error /prices/0/period", "pricing.missing_source error /prices/0/source"}},
		{"a guide older than 90 days is stale", guide(checkNow.AddDate(0, 0, -91).Format(time.DateOnly), plainEN, good),
			[]string{"pricing.stale error /as_of"}},
		{"a guide exactly 90 days old is still current", guide(checkNow.AddDate(0, 0, -90).Format(time.DateOnly), plainEN, good), nil},
		{"a guide without as_of is an error", guide("", plainEN, good), []string{"pricing.stale error /as_of"}},
		{"an open-ended price without a maximum is flagged", guide(recent, plainEN, func() models.Price {
			p := good
			p.Amount = "from 29"
			return p
		}()), []string{"pricing.open_ended warning /prices/0/amount"}},
		{"an open-ended price with a maximum passes", guide(recent, plainEN, func() models.Price {
			p := good
			p.Amount, p.MaxAmount = "from 29", "49"
			return p
		}()), nil},
		{`"from $19" in the text is flagged`, guide(recent, "Plans start from $19 a month. "+plainEN, good),
			[]string{"pricing.open_ended warning /variants/0/text"}},
		{`"ab 19 €" in German text is flagged`, func() *models.ContentInput {
			in := guide(recent, plainDE, good)
			in.DefaultLocale, in.Variants[0].Locale = "de", "de"
			in.Variants[0].Text = "Tarife gibt es ab 19 € im Monat. " + plainDE
			return in
		}(), []string{"pricing.open_ended warning /variants/0/text"}},
		{"an amount that is not a number is an error", guide(recent, plainEN, func() models.Price {
			p := good
			p.Amount = "cheap"
			return p
		}()), []string{"pricing.invalid_amount error /prices/0/amount"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, found(tt.in)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoadmapChecks(t *testing.T) {
	tests := []struct {
		name         string
		locale, text string
		want         []string
	}{
		{"a roadmap with a disclaimer passes", "en", "Next quarter we plan to add SEPA payments. Plans can change, and we will tell you if they do. " + plainEN, nil},
		{"a roadmap without a disclaimer gets one appended and a warning", "en", "Next quarter we plan to add SEPA payments. " + plainEN,
			[]string{"roadmap.disclaimer_appended warning /variants/0/text"}},
		{"an absolute promise is an error", "en", "SEPA payments are guaranteed for June. Plans may change. " + plainEN,
			[]string{"roadmap.absolute_promise error /variants/0/text"}},
		{"a German promise is an error and a German disclaimer counts", "de", "Die Funktion kommt garantiert im Juni. Pläne können sich ändern. " + plainDE,
			[]string{"roadmap.absolute_promise error /variants/0/text"}},
		{"a French roadmap needs a disclaimer", "fr", "Nous prévoyons les paiements SEPA en juin. " + plainFR,
			[]string{"roadmap.disclaimer_appended warning /variants/0/text"}},
		{"a Spanish disclaimer counts", "es", "Planeamos pagos SEPA en junio. Estos planes pueden cambiar. " + plainES, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, found(emailContent(models.KindRoadmap, tt.locale, tt.text))); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChannelFitAndExpiry(t *testing.T) {
	sms := func(locale, text string) *models.ContentInput {
		return &models.ContentInput{Kind: models.KindEducation, Topic: "pricing-guides", Title: "SMS", DefaultLocale: locale,
			Variants: []models.Variant{{Locale: locale, Channel: models.ChannelSMS, Text: text}}}
	}
	past := checkNow.Add(-time.Hour)
	tests := []struct {
		name string
		in   *models.ContentInput
		want []string
	}{
		{"a short SMS that places its links fits one segment", sms("en", "Invoice ready. {{.PreferencesURL}} {{.UnsubscribeURL}}"), nil},
		{"the appended links count, so a short SMS without them needs two segments", sms("en", "Your invoice is ready."),
			[]string{"channel.sms_segments warning /variants/0/text"}},
		{"an SMS of more than three segments is an error", sms("en", strings.Repeat("Pay by bank transfer now. ", 20)),
			[]string{"channel.sms_segments error /variants/0/text"}},
		{"a Spanish accent forces UCS-2 and more segments", sms("es", "Tu factura está lista."),
			[]string{"channel.sms_segments warning /variants/0/text"}},
		{"a long email subject is a warning", func() *models.ContentInput {
			in := emailContent(models.KindEducation, "en", plainEN)
			in.Variants[0].Subject = strings.Repeat("Invoices ", 8)
			return in
		}(), []string{"channel.email_subject_length warning /variants/0/subject"}},
		{"an HTML email without text is an error", func() *models.ContentInput {
			in := emailContent(models.KindEducation, "en", "")
			in.Variants[0].HTML = "<p>" + plainEN + "</p>"
			return in
		}(), []string{"channel.html_without_text error /variants/0/text"}},
		{"expired content is an error", func() *models.ContentInput {
			in := emailContent(models.KindEducation, "en", plainEN)
			in.ExpiresAt = &past
			return in
		}(), []string{"content.expired error /expires_at"}},
		{"a source that is not absolute is an error", func() *models.ContentInput {
			in := emailContent(models.KindEducation, "en", plainEN)
			in.Sources = []models.Source{{Title: "ok", URL: "https://example.org/a"}, {Title: "bad", URL: "ftp://example.org/a"}}
			return in
		}(), []string{"sources.invalid_url error /sources/1/url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, found(tt.in)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoadmapDisclaimerIsJudgedOnEachRenderedPart(t *testing.T) {
	tests := []struct {
		name    string
		variant models.Variant
		want    []string
	}{
		{"text without a disclaimer is warned about even when the html has one",
			models.Variant{Locale: "en", Channel: models.ChannelEmail, Subject: "Plans", Text: "Next quarter we plan to add SEPA payments. " + plainEN,
				HTML: "<p>Next quarter we plan to add SEPA payments. Plans may change.</p>"},
			[]string{"roadmap.disclaimer_appended warning /variants/0/text"}},
		{"html whose disclaimer is only in a comment is warned about",
			models.Variant{Locale: "en", Channel: models.ChannelEmail, Subject: "Plans", Text: "Next quarter we plan to add SEPA payments. Plans may change. " + plainEN,
				HTML: "<p>Next quarter we plan to add SEPA payments.</p><!-- Plans may change. -->"},
			[]string{"roadmap.disclaimer_appended warning /variants/0/html"}},
		{"a German disclaimer only inside a false if is warned about",
			models.Variant{Locale: "de", Channel: models.ChannelEmail, Subject: "Pläne",
				Text: plainDE + "{{if .Customer.Attributes.never}} Pläne können sich ändern.{{end}}"},
			[]string{"roadmap.disclaimer_appended warning /variants/0/text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &models.ContentInput{Kind: models.KindRoadmap, Topic: "product-roadmap", Title: "Plans", DefaultLocale: tt.variant.Locale,
				Variants: []models.Variant{tt.variant}}
			var got []string
			for _, f := range found(in) {
				if strings.HasPrefix(f, "roadmap.") {
					got = append(got, f)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("roadmap findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindingsAreOrderedByLocationWithIndexesInNumericOrder(t *testing.T) {
	locales := []string{"en", "ja", "ko", "zh", "it", "nl", "pt", "sv", "da", "fi", "pl", "cs"}
	in := &models.ContentInput{Kind: models.KindEducation, Topic: "technology-alternatives", Title: "Sample", DefaultLocale: "en"}
	for _, l := range locales {
		in.Variants = append(in.Variants, models.Variant{Locale: l, Channel: models.ChannelEmail, Subject: "Hi", Text: plainEN})
	}
	var got []string
	for _, f := range content.CheckContent(in, content.CheckOptions{Now: checkNow}) {
		if f.Rule == content.RuleLanguageUnsupported {
			got = append(got, f.Location)
		}
	}
	var want []string
	for i := 1; i < len(locales); i++ {
		want = append(want, "/variants/"+strconv.Itoa(i)+"/locale")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
}
