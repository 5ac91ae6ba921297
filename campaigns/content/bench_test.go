package content_test

import (
	"testing"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

// typicalRoadmap is a roadmap email as authors write them: a subject, a
// plain text of about 150 words and an HTML version with a <style> block,
// inline styles and both links.
func typicalRoadmap() *models.ContentInput {
	text := `Hello {{.Customer.Name}},

here is what we plan for the next quarter. We are rebuilding the invoice editor so that two people can work on one invoice at the same time. We also plan to add SEPA direct debit for customers in Germany, Austria and France, and to move exports to a background job, so large exports no longer time out.

Plans can change: if testing shows problems, we will move a feature to a later release and tell you here. We share this so you can decide with what we know today.

If you have questions, reply to this email and a person will answer. You can read the full roadmap and the history of past releases on our status page.

Manage your preferences: {{.PreferencesURL}}
Unsubscribe: {{.UnsubscribeURL}}`
	html := `<html><head><style>
body { background: #ffffff; color: #222222; font-family: sans-serif; }
.muted { color: #666666; font-size: 13px; }
.preheader { display: none; max-height: 0; overflow: hidden; }
a { color: #0b57d0; }
</style></head><body>
<div class="preheader">What we plan for the next quarter</div>
<p>Hello {{.Customer.Name}},</p>
<p>here is what we plan for the next quarter. We are rebuilding the invoice editor so that two people can work on one invoice at the same time. We also plan to add <b>SEPA direct debit</b> for customers in Germany, Austria and France, and to move exports to a background job, so large exports no longer time out.</p>
<p style="font-weight:bold">Plans can change: if testing shows problems, we will move a feature to a later release and tell you here.</p>
<p>If you have questions, reply to this email and a person will answer. You can read the <a href="https://status.example/history">history of past releases</a> on our status page.</p>
<p class="muted"><a href="{{.PreferencesURL}}">Manage your preferences</a> · <a href="{{.UnsubscribeURL}}">Unsubscribe</a></p>
</body></html>`
	return &models.ContentInput{Kind: models.KindRoadmap, Topic: "product-roadmap", Title: "Next quarter", DefaultLocale: "en",
		Sources:  []models.Source{{Title: "Status", URL: "https://status.example/history"}},
		Variants: []models.Variant{{Locale: "en", Channel: models.ChannelEmail, Subject: "What we plan for the next quarter", Text: text, HTML: html}}}
}

// BenchmarkCheckTypicalVariant is the work of one check (approval, the
// check endpoint) on a typical roadmap email. docs/benchmarks.md records it.
func BenchmarkCheckTypicalVariant(b *testing.B) {
	in := typicalRoadmap()
	opts := content.CheckOptions{Now: checkNow}
	b.ReportAllocs()
	for b.Loop() {
		content.CheckContent(in, opts)
	}
}

// BenchmarkRenderTypicalVariant is the work of rendering that email for
// one customer, as every send does.
func BenchmarkRenderTypicalVariant(b *testing.B) {
	in := typicalRoadmap()
	d := content.RenderInput{Name: "Ada", PreferencesURL: "https://candor.example/p/" + "x", UnsubscribeURL: "https://candor.example/u/" + "y"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := content.Render(in, &in.Variants[0], d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderTypicalVariantFull is BenchmarkRenderTypicalVariant
// judged on each message's own output, as Render did before its plans
// (issue 10): the HTML parsed and the disclaimer read for every customer.
func BenchmarkRenderTypicalVariantFull(b *testing.B) {
	in := typicalRoadmap()
	d := content.RenderInput{Name: "Ada", PreferencesURL: "https://candor.example/p/" + "x", UnsubscribeURL: "https://candor.example/u/" + "y"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := content.RenderFull(in, &in.Variants[0], d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderSendBenchVariant renders the one-line webhook variant the
// send benchmark (internal/benchdata) delivers: no HTML and no roadmap,
// so there is nothing for a plan to save.
func BenchmarkRenderSendBenchVariant(b *testing.B) {
	in := &models.ContentInput{Kind: models.KindEducation, DefaultLocale: "en", Variants: []models.Variant{{
		Locale: "en", Channel: models.ChannelWebhook, Title: "Pay by transfer",
		Text: "Hello {{.Customer.Name}}, paying by transfer costs nothing."}}}
	d := content.RenderInput{Name: "Ada", PreferencesURL: "https://candor.example/p/" + "x", UnsubscribeURL: "https://candor.example/u/" + "y"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := content.Render(in, &in.Variants[0], d); err != nil {
			b.Fatal(err)
		}
	}
}
