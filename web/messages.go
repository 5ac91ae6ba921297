package web

import (
	"strings"

	"github.com/candor/candor/models"
)

// Messages that Go code puts on the pages. Each is declared with msg, so
// it is registered for translation; templates translate them with t.

// Notices and error texts the HTTP layer chooses.
var (
	MsgSaved            = msg("Your preferences are saved.")
	MsgEraseUnconfirmed = msg("Please tick the box to confirm that you want your data erased.")

	MsgLinkNotValidTitle = msg("Link not valid")
	MsgLinkNotValid      = msg("This link is not valid. It may be incomplete, or the profile it belonged to has been deleted, in which case you will get no more messages.")
	MsgBadRequestTitle   = msg("Request not understood")
	MsgTooLargeTitle     = msg("Request too large")
	MsgUseTheButton      = msg("Please use the button on the unsubscribe page.")
	MsgForgedFormTitle   = msg("This form is not valid")
	MsgForgedForm        = msg("Nothing was changed: the form did not come from your preferences page. Open the link from your message again and repeat your change.")
	MsgStaleFormTitle    = msg("This page is out of date")
	MsgStaleForm         = msg("Nothing was changed: your preferences changed since this page was opened. Open the link from your message again to see them and repeat your change.")
	MsgFailedTitle       = msg("Something went wrong")
	MsgFailed            = msg("Please try again in a few minutes.")
	MsgInvalidField      = msg("is not valid")

	MsgConfirmLinkNotValidTitle = msg("Confirmation link not valid")
	MsgConfirmLinkNotValid      = msg("This confirmation link is not valid. It may be incomplete, or it was replaced by a newer one. Nothing was changed.")
	MsgConfirmLinkStaleTitle    = msg("Confirmation link no longer valid")
	MsgConfirmLinkStale         = msg("This confirmation link is no longer valid: it has expired, or your choice for this topic changed since it was sent. Nothing was changed.")
)

// ConfirmLinkStaleMessage returns the message id for a confirmation link
// the store refused as stale or expired: on English pages the domain's
// detail (which says which, and the date it expired), else the
// catalogue's message covering both.
func ConfirmLinkStaleMessage(lang, detail string) string {
	if lang == "en" && detail != "" {
		return detail + " Nothing was changed."
	}
	return MsgConfirmLinkStale
}

// FieldLabels are the visible labels of the preference form's fields,
// used by the error summary (message ids).
var FieldLabels = map[string]string{
	models.PreferenceFieldTopics:     msg("Topics"),
	models.PreferenceFieldChannel:    msg("How we reach you"),
	models.PreferenceFieldTimezone:   msg("Time zone"),
	models.PreferenceFieldWindows:    msg("Days and times"),
	models.PreferenceFieldCadenceMax: msg("At most"),
	models.PreferenceFieldCadencePer: msg("Per"),
}

// fieldRuleMessages say a rejected field's problem in words a catalogue
// can translate, by "field/rule". The domain's own detail (English, and
// sometimes quoting the input) is shown only on English pages, where it
// says more; a rule without a message here reads MsgInvalidField.
var fieldRuleMessages = map[string]string{
	"topics/enum":            msg("is not a topic you can choose"),
	"topics/max_items":       msg("lists too many topics"),
	"channel/enum":           msg("is not one of the channels offered"),
	"timezone/iana_timezone": msg("is not a time zone in the list"),
	"windows/max_length":     msg("must be at most 500 characters"),
	"windows/windows":        msg("must be days and times such as mon-fri 09:00-17:00, separated by semicolons"),
	"cadence_max/range":      msg("must be a whole number between 1 and 100, or empty for no limit"),
	"cadence_per/enum":       msg("must be per week or per month"),
}

// FieldMessage returns the message id for a rejected form field: the
// domain's detail on English pages when it is given, else the catalogue
// message of the field's rule.
func FieldMessage(lang, field, rule, detail string) string {
	if lang == "en" && detail != "" {
		return detail
	}
	if m, ok := fieldRuleMessages[field+"/"+rule]; ok {
		return m
	}
	return MsgInvalidField
}

// channelLabels name channels for customers.
var channelLabels = map[string]string{
	string(models.ChannelEmail):   msg("Email"),
	string(models.ChannelSMS):     msg("Text message (SMS)"),
	string(models.ChannelWebhook): msg("Through our partner app"),
}

func channelLabel(ch string) string {
	if l, ok := channelLabels[ch]; ok {
		return l
	}
	if ch == "" {
		return ""
	}
	return strings.ToUpper(ch[:1]) + ch[1:]
}

// statusLabels say a topic's consent in words.
var statusLabels = map[string]string{
	string(models.ConsentOptedIn):  msg("You hear about this."),
	string(models.ConsentOptedOut): msg("You chose not to hear about this."),
	string(models.ConsentPending):  msg("Waiting for your confirmation."),
	string(models.ConsentNone):     msg("You have not chosen yet."),
}

// dateFormat orders a long date: day, month name, year.
var dateFormat = msg("%[1]s %[2]s %[3]s")

// dateTimeFormat joins a long date and a time of day (24-hour clock).
var dateTimeFormat = msg("%[1]s at %[2]s")

var monthNames = [12]string{
	msg("January"), msg("February"), msg("March"), msg("April"), msg("May"), msg("June"),
	msg("July"), msg("August"), msg("September"), msg("October"), msg("November"), msg("December"),
}
