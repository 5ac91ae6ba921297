package models

import (
	"net/mail"
	"regexp"
	"strings"
)

// channelSpecs registers every channel, in the stable order lists and
// messages use. A new channel gets a section of its own below (its name,
// address, content rules and settings) and an entry here.
var channelSpecs = []ChannelSpec{emailSpec, smsSpec, webhookSpec}

// ----- email -----

// ChannelEmail sends email through SMTP, to the customer's email address.
const ChannelEmail Channel = "email"

// Channel-fit limits of email content.
const (
	// EmailMaxSubjectChars: longer subjects are cut off on most phones.
	EmailMaxSubjectChars = 60
	// maxEmailAddressBytes is the longest address SMTP can carry.
	maxEmailAddressBytes = 254
)

// emailSpec describes the email channel.
var emailSpec = ChannelSpec{
	Name:         ChannelEmail,
	AddressField: "email",
	Address:      func(c *Customer) string { return c.Email },
	Limits: ContentLimits{
		SubjectChars: EmailMaxSubjectChars,
		TextWithHTML: true,
	},
	ListUnsubscribe: true,
	Settings: ChannelSettings{
		Transport: "CANDOR_SMTP_HOST",
		Rate:      "CANDOR_EMAIL_RATE",
	},
	input: &addressInput{
		field:     func(in *CustomerInput) *string { return &in.Email },
		normalize: normalizeEmail,
		rule:      "email",
		detail:    "must be a plain email address such as ada@example.com",
		valid:     validEmail,
	},
	validateVariant: validateEmailVariant,
}

// normalizeEmail trims surrounding white space and lower-cases the
// domain, so equal addresses are stored equally. The local part is kept:
// servers may treat its case as significant.
func normalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if at := strings.LastIndexByte(s, '@'); at > 0 {
		s = s[:at] + strings.ToLower(s[at:])
	}
	return s
}

// validEmail reports whether s is a bare address (no display name, no
// comments) that SMTP can carry.
func validEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s && len(s) <= maxEmailAddressBytes && addr.Name == ""
}

// validateEmailVariant: an email variant has a subject and a text or an
// HTML body (the content checks ask for text beside HTML).
func validateEmailVariant(p *Problems, at string, v *Variant) {
	if v.Subject == "" {
		p.Add(at+"/subject", "required", "an email variant needs a subject")
	}
	if strings.TrimSpace(v.Text) == "" && strings.TrimSpace(v.HTML) == "" {
		p.Add(at+"/text", "required", "an email variant needs text (and optionally html)")
	}
}

// ----- sms -----

// ChannelSMS sends text messages through an HTTP provider, to the
// customer's phone number.
const ChannelSMS Channel = "sms"

// Channel-fit limits of SMS content, counted in segments with the links
// Candor appends.
const (
	// SMSWarnSegments: a longer message draws a warning.
	SMSWarnSegments = 1
	// SMSMaxSegments: a longer message cannot be approved.
	SMSMaxSegments = 3
)

// e164RE matches an E.164 phone number: a plus, a country code that does
// not start with 0, and at most 15 digits in all.
var e164RE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// smsSpec describes the sms channel.
var smsSpec = ChannelSpec{
	Name:         ChannelSMS,
	AddressField: "phone",
	Address:      func(c *Customer) string { return c.Phone },
	Limits: ContentLimits{
		WarnSegments: SMSWarnSegments,
		MaxSegments:  SMSMaxSegments,
	},
	Settings: ChannelSettings{
		Transport: "CANDOR_SMS_URL",
		Rate:      "CANDOR_SMS_RATE",
	},
	input: &addressInput{
		field:     func(in *CustomerInput) *string { return &in.Phone },
		normalize: strings.TrimSpace,
		rule:      "e164",
		detail:    "must be an E.164 phone number such as +14155550123",
		valid:     e164RE.MatchString,
	},
	validateVariant: validateSMSVariant,
}

// validateSMSVariant: an sms variant has a text and nothing else.
func validateSMSVariant(p *Problems, at string, v *Variant) {
	if strings.TrimSpace(v.Text) == "" {
		p.Add(at+"/text", "required", "an sms variant needs text")
	}
	if v.Subject != "" || v.HTML != "" || v.Title != "" {
		p.Add(at, "fields", "an sms variant has only text")
	}
}

// ----- webhook -----

// ChannelWebhook posts messages to the CRM's endpoint
// (CANDOR_WEBHOOK_CHANNEL_URL), which decides how to show them; the
// customer is addressed by external id.
const ChannelWebhook Channel = "webhook"

// webhookSpec describes the webhook channel. Its address is the external
// id, which every customer has and which is normalised and validated as
// the customer's identity, so the spec has no input rules of its own.
var webhookSpec = ChannelSpec{
	Name:         ChannelWebhook,
	AddressField: "external_id",
	Address:      func(c *Customer) string { return c.ExternalID },
	Settings: ChannelSettings{
		Transport: "CANDOR_WEBHOOK_CHANNEL_URL",
		Rate:      "CANDOR_WEBHOOK_RATE",
	},
	validateVariant: validateWebhookVariant,
}

// validateWebhookVariant: a webhook variant has a title and a text and
// nothing else.
func validateWebhookVariant(p *Problems, at string, v *Variant) {
	if v.Title == "" || strings.TrimSpace(v.Text) == "" {
		p.Add(at, "required", "a webhook variant needs title and text")
	}
	if v.Subject != "" || v.HTML != "" {
		p.Add(at, "fields", "a webhook variant has only title and text")
	}
}
