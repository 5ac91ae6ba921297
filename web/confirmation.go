package web

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/candor/candor/models"
)

// The double opt-in message the worker sends is written here, with the
// pages' catalogue, so the message and the page its link opens speak the
// same language and one catalogue test covers both.

// Texts of the confirmation message.
var (
	msgConfirmSubject = msg("Please confirm: %[1]s")
	msgConfirmAsked   = msg("You asked to hear from us about %[1]s.")
	// The topic's description, when it has one, follows its name.
	msgConfirmAskedAbout = msg("You asked to hear from us about %[1]s (%[2]s).")
	msgConfirmOpenLink   = msg("Please confirm it was you by opening this link:")
	msgConfirmIgnore     = msg("If it was not you, ignore this message: we will send you nothing about it, and the request lapses on %[1]s.")
	// One SMS segment is out of reach with a signed link; keep it short.
	msgConfirmSMS = msg("Confirm you want messages about %[1]s: %[2]s (ignore to decline)")
)

// ConfirmationText is a double opt-in message, written in Language.
type ConfirmationText struct {
	Subject, Text string
	// Language is the BCP 47 tag of the language it is written in (one
	// of Languages), for the message's Locale.
	Language string
}

// sharedCatalog is the catalogue of locales/, built once for messages
// written outside a page.
var sharedCatalog = sync.OnceValues(newCatalog)

// textLocalizer returns a localizer for customerLocale (English when
// Candor has no catalogue for it). A broken catalogue, which the
// catalogue test catches before release, writes English.
func textLocalizer(customerLocale string) localizer {
	cat, err := sharedCatalog()
	if err != nil {
		return localizer{tag: language.English, printer: message.NewPrinter(language.English)}
	}
	tag := Language(customerLocale, "")
	return localizer{tag: tag, printer: message.NewPrinter(tag, message.Catalog(cat))}
}

// ConfirmationMessage writes the message asking a customer to confirm an
// opt-in to topic, in the customer's language (customerLocale, a BCP 47
// tag; English when Candor has no catalogue for it). It names the topic
// in the customer's words, carries link and says what happens if they
// ignore it: nothing, and the request lapses on expires. sms writes the
// one-line form for a text message. It returns no error: every input
// yields a message.
func ConfirmationMessage(customerLocale string, topic *models.Topic, link string, expires time.Time, sms bool) ConfirmationText {
	l := textLocalizer(customerLocale)
	out := ConfirmationText{Subject: l.translate(msgConfirmSubject, topic.Name), Language: l.tag.String()}
	if sms {
		out.Text = l.translate(msgConfirmSMS, topic.Name, link)
		return out
	}
	var b strings.Builder
	if topic.Description != "" {
		b.WriteString(l.translate(msgConfirmAskedAbout, topic.Name, topic.Description))
	} else {
		b.WriteString(l.translate(msgConfirmAsked, topic.Name))
	}
	b.WriteString("\n\n" + l.translate(msgConfirmOpenLink) + "\n" + link + "\n\n")
	b.WriteString(l.translate(msgConfirmIgnore, l.longDate(expires)) + "\n")
	out.Text = b.String()
	return out
}
