package web

import (
	"github.com/candor/candor/models"
)

// PageRequested answers a request to send an offered item.
const PageRequested = "requested"

// RequestForm is the "send it to me" form of an offered item's page.
type RequestForm struct {
	State   string // the preference page's state (PreferencePage.State)
	CSRF    string // the form token bound to the customer and State
	Action  string // relative to the item's page: "{id}/request"
	Channel models.Channel
	// Timezone is the customer's zone, in which planned times are shown.
	Timezone string
}

// RequestedData fills PageRequested.
type RequestedData struct {
	Request  *models.ContentRequest
	Timezone string // the customer's zone, in which the send time is shown
	ReadURL  string // the item's page, to read it at once
	BackURL  string
}

// refusalTexts explain to a customer why a requested item cannot be sent,
// by the planning reason that refused it. Each ends the sentence "We
// cannot send this to you: ...", so each starts in lower case.
var refusalTexts = map[models.Reason]string{
	models.ReasonNoTimezone:         msg("we do not know your time zone. Choose one on your preferences page, then ask again."),
	models.ReasonNoWindow:           msg("you have not chosen days and times when we may contact you. Choose them on your preferences page, then ask again."),
	models.ReasonNoSlot:             msg("none of the times you chose falls in the next two weeks."),
	models.ReasonNoAddress:          msg("we have no address for the way you chose to hear from us."),
	models.ReasonChannelUnavailable: msg("we cannot send messages the way you chose to hear from us at the moment."),
	models.ReasonNoVariant:          msg("this item has no version for the way you chose to hear from us, in your language."),
	models.ReasonNoConsent:          msg("you are not subscribed to its topic."),
	models.ReasonConsentUnverified:  msg("we could not verify your subscription to its topic. Please contact us."),
	models.ReasonSuppressed:         msg("we do not send messages to your address any more."),
	models.ReasonAlreadyReceived:    msg("you already received it or it is on its way."),
}

// refusalOther explains a refusal reason refusalTexts does not name.
var refusalOther = msg("our sending rules do not allow it now.")

// refusalText returns the message id explaining reason r.
func refusalText(r models.Reason) string {
	if t, ok := refusalTexts[r]; ok {
		return t
	}
	return refusalOther
}
