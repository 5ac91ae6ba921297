package web

import (
	"time"

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
// by the planning reason that refused it.
var refusalTexts = map[models.Reason]string{
	models.ReasonNoTimezone:         "we do not know your time zone. Choose one on your preferences page, then ask again.",
	models.ReasonNoWindow:           "you have not chosen days and times when we may contact you. Choose them on your preferences page, then ask again.",
	models.ReasonNoSlot:             "none of the times you chose falls in the next two weeks.",
	models.ReasonNoAddress:          "we have no address for the way you chose to hear from us.",
	models.ReasonChannelUnavailable: "we cannot send messages the way you chose to hear from us at the moment.",
	models.ReasonNoVariant:          "this item has no version for the way you chose to hear from us, in your language.",
	models.ReasonNoConsent:          "you are not subscribed to its topic.",
	models.ReasonConsentUnverified:  "we could not verify your subscription to its topic. Please contact us.",
	models.ReasonSuppressed:         "we do not send messages to your address any more.",
	models.ReasonAlreadyReceived:    "you already received it or it is on its way.",
}

func refusalText(r models.Reason) string {
	if t, ok := refusalTexts[r]; ok {
		return t
	}
	return "our sending rules do not allow it now."
}

// localTime writes an instant in the customer's zone, as they read
// their own clock: "2 December 2026 at 09:00".
func localTime(t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	return t.In(loc).Format("2 January 2006 at 15:04")
}
