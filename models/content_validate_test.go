package models_test

import (
	"testing"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

func validContent() models.ContentInput {
	return models.ContentInput{
		Kind: models.KindEducation, Topic: "technology-alternatives", Title: "Paying by transfer", DefaultLocale: "en",
		Variants: []models.Variant{
			{Locale: "en", Channel: models.ChannelEmail, Subject: "Pay by transfer", Text: "Hello."},
			{Locale: "de-at", Channel: models.ChannelSMS, Text: "Servus."},
			{Locale: "de", Channel: models.ChannelWebhook, Title: "Neu", Text: "Hallo."},
		},
	}
}

func TestContentInputValidate(t *testing.T) {
	id := int64(7)
	tests := []struct {
		name   string
		change func(in *models.ContentInput)
		want   []string // "field rule"
	}{
		{"a valid body passes and locales are canonicalised", func(in *models.ContentInput) {}, nil},
		{"kind, topic and title are required", func(in *models.ContentInput) {
			in.Kind, in.Topic, in.Title = "", "", ""
		}, []string{"/kind enum", "/topic format", "/title length"}},
		{"a NUL or invalid UTF-8 in any text field is rejected as text", func(in *models.ContentInput) {
			in.Summary = "\xff"
			in.Variants[2].Title = "N\x00eu"
			in.Sources = []models.Source{{Title: "t\x00", URL: "https://example.org"}}
		}, []string{"/summary text", "/variants/2/title text", "/sources/0/title text"}},
		{"a correction must name what it corrects", func(in *models.ContentInput) { in.Kind = models.KindCorrection }, []string{"/corrects required"}},
		{"only a correction may name what it corrects", func(in *models.ContentInput) { in.Corrects = &id }, []string{"/corrects kind"}},
		{"as_of must be a date", func(in *models.ContentInput) { in.AsOf = "March 2026" }, []string{"/as_of format"}},
		{"at least one variant is required", func(in *models.ContentInput) { in.Variants = nil }, []string{"/variants min_items"}},
		{"the default locale needs a variant", func(in *models.ContentInput) { in.DefaultLocale = "fr" }, []string{"/default_locale variant"}},
		{"locales are compared after canonicalisation, so de-at and de-AT are one variant", func(in *models.ContentInput) {
			in.Variants = append(in.Variants, models.Variant{Locale: "de-AT", Channel: models.ChannelSMS, Text: "Grüß Gott."})
		}, []string{"/variants/3 unique"}},
		{"each channel needs its own fields", func(in *models.ContentInput) {
			in.Variants[0].Subject = ""
			in.Variants[1].Subject = "SMS have none"
			in.Variants[2].Title = ""
		}, []string{"/variants/0/subject required", "/variants/1 fields", "/variants/2 required"}},
		{"an unknown channel is refused", func(in *models.ContentInput) { in.Variants[1].Channel = "fax" }, []string{"/variants/1/channel enum"}},
		{"points belong to comparisons and need a known verdict", func(in *models.ContentInput) {
			in.Points = []models.Point{{Aspect: "Price", Verdict: "better"}}
		}, []string{"/points kind", "/points/0/verdict enum"}},
		{"prices belong to pricing guides and need vendor and amount", func(in *models.ContentInput) {
			in.Prices = []models.Price{{}}
		}, []string{"/prices kind", "/prices/0/vendor required", "/prices/0/amount required"}},
		{"a source needs a URL", func(in *models.ContentInput) { in.Sources = []models.Source{{Title: "x"}} }, []string{"/sources/0/url required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validContent()
			tt.change(&in)
			in.Normalize()
			var got []string
			for _, f := range models.ErrorFields(in.Validate()) {
				got = append(got, f.Field+" "+f.Rule)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("normalize canonicalises locales", func(t *testing.T) {
		in := validContent()
		in.Normalize()
		if in.Variants[1].Locale != "de-AT" {
			t.Errorf("locale = %q, want de-AT", in.Variants[1].Locale)
		}
	})
}
