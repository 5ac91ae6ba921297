package models

import (
	"strings"
	"time"
)

// PreferencePage is what the preference center shows a customer about
// themselves: what they hear about, how and when, and what was sent.
type PreferencePage struct {
	Customer *Customer
	// Topics lists every topic with the customer's current status.
	Topics []PreferenceTopic
	// Channels are the channels the customer may choose: those Candor
	// can send on and for which it knows the customer's address.
	Channels []Channel
	// Sent lists the messages sent to the customer, newest first (at
	// most MaxSentShown).
	Sent []SentMessage
	// Offers are the approved, unexpired content items on the topics the
	// customer opted into, each saying whether they already received it.
	Offers []*ContentOffer
	// ChainVerified says whether the customer's consent ledger verifies.
	ChainVerified bool
	// State names what the page shows (token epoch, preference version,
	// last consent event): a form submitted with another state was shown
	// before a later change and is refused, so it cannot undo that change.
	State string
}

// MaxSentShown bounds the messages the preference center lists.
const MaxSentShown = 100

// PreferenceTopic is a topic and the customer's consent to it.
type PreferenceTopic struct {
	Topic
	Status ConsentStatus
}

// SentMessage is one message sent to a customer.
type SentMessage struct {
	DeliveryID int64
	SentAt     time.Time
	Channel    Channel
	Title      string
}

// SentMessageCopy is a sent message rendered again for the customer.
type SentMessageCopy struct {
	SentMessage
	Subject string
	Text    string
}

// PreferenceForm is a preference center submission. Field names in the
// problems of an EINVALID answer are the form's own field names
// (PreferenceField*), so the page can mark each one.
type PreferenceForm struct {
	// Shown lists the topics the page offered; Wanted those ticked. A
	// topic shown but not ticked is opted out if it was opted in or
	// pending; topics not shown are left alone (one created meanwhile).
	Shown, Wanted []string
	Channel       Channel
	Timezone      string
	// Windows is the compact form "mon-fri 09:00-17:00; sat 10:00-12:00"
	// (as CANDOR_DEFAULT_WINDOWS); empty clears them.
	Windows string
	// CadenceMax 0 means no limit; otherwise at most CadenceMax per
	// CadencePer ("7d" or "30d").
	CadenceMax int
	CadencePer string
	// Evidence is recorded with every consent change (the page version
	// as FormVersion, the request's IP and user agent).
	Evidence Evidence
	// State is the PreferencePage.State the form was shown with.
	State string
}

// Preference form field names.
const (
	PreferenceFieldTopics     = "topics"
	PreferenceFieldChannel    = "channel"
	PreferenceFieldTimezone   = "timezone"
	PreferenceFieldWindows    = "windows"
	PreferenceFieldCadenceMax = "cadence_max"
	PreferenceFieldCadencePer = "cadence_per"
)

// PreferenceUpdate says what a preference center submission changed.
type PreferenceUpdate struct {
	Profile  bool // channel, time zone, windows or cadence
	Consents int  // topics whose consent changed
}

// FormatWindowsSpec writes windows in the compact form ParseWindowsSpec
// reads ("mon,tue 09:00-12:00; sat 10:00-12:00"), so a form can show a
// customer's windows and take them back unchanged.
func FormatWindowsSpec(ws []Window) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = strings.Join(w.Days, ",") + " " + w.Start + "-" + w.End
	}
	return strings.Join(parts, "; ")
}
