package demo

import (
	"context"
	"time"

	"github.com/candor/candor/models"
)

// Titles identify the demo's content on a second run.
const (
	titleRoadmap    = "Demo: what we build next"
	titleComparison = "Demo: Candor and Listmonk, side by side"
	titlePricing    = "Demo: what sending email costs"
)

// sampleContent is one approved piece of each kind the product is about:
// a roadmap, an honest comparison and a pricing guide. Each passes every
// honesty and readability check without a warning to acknowledge
// (TestSampleContentPassesEveryCheck), so the demo shows what good content
// looks like, not how to get past the checks.
func sampleContent(now time.Time) []*models.ContentInput {
	asOf := now.UTC().Format("2006-01-02")
	read := now.UTC().Truncate(24 * time.Hour)
	return []*models.ContentInput{
		{
			Kind: models.KindRoadmap, Topic: "product-roadmap", Title: titleRoadmap, DefaultLocale: "en",
			Summary: "What we plan to build next quarter, and what we chose not to build.",
			Variants: variants(
				"Our plans for next quarter",
				"Hello {{.Customer.Name}}. Next quarter we plan to add an export of every report. "+
					"We also plan faster search. We decided not to build a chat tool: others do it well. "+
					"Plans can change, and we will tell you when they do."),
		},
		{
			Kind: models.KindCompetitorComparison, Topic: "competitor-comparisons", Title: titleComparison, DefaultLocale: "en",
			Summary:     "Where each product is the better choice.",
			Competitors: []string{"Listmonk"},
			Points: []models.Point{
				{Aspect: "Price", Ours: "Paid plans", Theirs: "Free and open source", Verdict: models.VerdictTheirsBetter,
					Source: "https://listmonk.app/"},
				{Aspect: "Send windows per customer", Ours: "Yes, in the customer's zone", Theirs: "No", Verdict: models.VerdictOursBetter,
					Source: "https://listmonk.app/docs/"},
				{Aspect: "Email and SMS", Ours: "Both", Theirs: "Both, through messengers", Verdict: models.VerdictEqual,
					Source: "https://listmonk.app/docs/messengers/"},
			},
			Sources: []models.Source{{Title: "Listmonk documentation", URL: "https://listmonk.app/docs/", AccessedAt: &read}},
			Variants: variants(
				"Candor or Listmonk?",
				"Hello {{.Customer.Name}}. Listmonk is free and open source, and it costs less than we do. "+
					"Candor sends in each reader's own time window. Both send email and SMS. "+
					"Pick the one that fits how you work."),
		},
		{
			Kind: models.KindPricingGuide, Topic: "pricing-guides", Title: titlePricing, DefaultLocale: "en", AsOf: asOf,
			Summary: "What three ways of sending email cost per month.",
			Prices: []models.Price{
				{Vendor: "Amazon SES", Plan: "Pay as you go", Amount: "0.10", Currency: "USD", Period: "1000 emails",
					Source: "https://aws.amazon.com/ses/pricing/"},
				{Vendor: "Postmark", Plan: "Basic", Amount: "15.00", Currency: "USD", Period: "month",
					Source: "https://postmarkapp.com/pricing"},
			},
			Sources: []models.Source{{Title: "Amazon SES pricing", URL: "https://aws.amazon.com/ses/pricing/", AccessedAt: &read}},
			Variants: variants(
				"What sending email costs",
				"Hello {{.Customer.Name}}. Amazon SES costs 0.10 USD per 1000 emails. "+
					"Postmark Basic costs 15 USD a month. If you send little, a free tier may be enough."),
		},
	}
}

// variants gives the same message on email (subject and text) and webhook
// (title and text). There is no SMS variant: the two signed links every
// message carries take about 155 GSM-7 units, so any SMS text would need
// a second billed segment (a channel.sms_segments warning), and the demo
// approves without acknowledging warnings. Customers who prefer SMS show
// how planning treats content that has no variant for their channel.
func variants(subject, text string) []models.Variant {
	return []models.Variant{
		{Locale: "en", Channel: models.ChannelEmail, Subject: subject, Text: text},
		{Locale: "en", Channel: models.ChannelWebhook, Title: subject, Text: text},
	}
}

// approvedContent finds each sample by its title, or creates it as the
// author, submits it and approves it as the reviewer without
// acknowledging any warning (it has none). It returns the ids by title.
func approvedContent(ctx context.Context, o Options, author, reviewer int64, res *Result) (map[string]int64, error) {
	found := map[string]*models.Content{}
	err := eachPage(func(p models.Page) (string, error) {
		items, next, err := o.Store.Contents(ctx, p)
		for _, c := range items {
			found[c.Title] = c
		}
		return next, err
	})
	if err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	for _, in := range sampleContent(o.Now) {
		c := found[in.Title]
		if c == nil {
			if c, err = o.Store.CreateContent(ctx, in, author); err != nil {
				return nil, err
			}
			res.Created = true
		}
		if c.State == models.ContentDraft {
			if c, err = o.Store.SubmitContent(ctx, c.ID); err != nil {
				return nil, err
			}
		}
		if c.State == models.ContentInReview {
			if _, err = o.Store.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: reviewer}, o.Check); err != nil {
				return nil, err
			}
		}
		ids[in.Title] = c.ID
	}
	return ids, nil
}
