package web

import (
	"strings"
	"time"

	"github.com/candor/candor/models"
)

// Preference center pages.
const (
	PagePreferences = "preferences" // the preference center
	PageMessage     = "message"     // a sent message, read again
	PageErase       = "erase"       // confirm erasure
	PageErased      = "erased"      // erasure done
	PageContent     = "content"     // offered content, read in the browser
)

// ContentData fills PageContent.
type ContentData struct {
	Message *models.SentMessageCopy
	Receipt *models.ContentReceipt
	BackURL string
	// Request is the "send it to me" form (web/templates/partials).
	Request *RequestForm
}

// PreferencesData fills PagePreferences.
type PreferencesData struct {
	Page *models.PreferencePage
	// Form holds the values the fields show: the customer's current ones,
	// or what they submitted when it was rejected.
	Form PreferenceValues
	// Errors maps a form field (models.PreferenceField*) to its problem.
	Errors []FieldError
	// Notice is a status line after a successful action.
	Notice string
	State  string // the page's state, sent back with every form
	CSRF   string // the form token bound to the customer and State
	// Action is the page's own URL relative to itself (its token), so
	// forms post back to it also behind a path prefix.
	Action string
	// BaseURL is the page's absolute URL on CANDOR_PUBLIC_URL; links to
	// the export, erasure and messages hang below it.
	BaseURL   string
	Timezones []string
}

// PreferenceValues are the values of the preference form's fields.
type PreferenceValues struct {
	Wanted     map[string]bool
	Channel    models.Channel
	Timezone   string
	Windows    string
	CadenceMax string
	CadencePer string
}

// FieldError is one rejected form field.
type FieldError struct {
	Field   string // models.PreferenceField*
	Label   string // the field's visible label
	Message string
}

// ErrorFor returns the message for field, or "".
func (d PreferencesData) ErrorFor(field string) string {
	for _, e := range d.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// FieldLabels are the visible labels of the preference form's fields,
// used by the error summary.
var FieldLabels = map[string]string{
	models.PreferenceFieldTopics:     "Topics",
	models.PreferenceFieldChannel:    "How we reach you",
	models.PreferenceFieldTimezone:   "Time zone",
	models.PreferenceFieldWindows:    "Days and times",
	models.PreferenceFieldCadenceMax: "At most",
	models.PreferenceFieldCadencePer: "Per",
}

// MessageData fills PageMessage.
type MessageData struct {
	Message *models.SentMessageCopy
	BackURL string
}

// EraseData fills PageErase.
type EraseData struct {
	State   string
	CSRF    string
	Action  string // relative: "erase" below the page
	BackURL string
	Error   string
}

// channelLabels name channels for customers.
var channelLabels = map[models.Channel]string{
	models.ChannelEmail:   "Email",
	models.ChannelSMS:     "Text message (SMS)",
	models.ChannelWebhook: "Through our partner app",
}

func channelLabel(ch models.Channel) string {
	if l, ok := channelLabels[ch]; ok {
		return l
	}
	return strings.ToUpper(string(ch[:1])) + string(ch[1:])
}

// longDate writes a day as "12 March 2026", unambiguous in every country.
func longDate(t time.Time) string { return t.UTC().Format("2 January 2006") }

// statusLabels say a topic's consent in words.
var statusLabels = map[models.ConsentStatus]string{
	models.ConsentOptedIn:  "You hear about this.",
	models.ConsentOptedOut: "You chose not to hear about this.",
	models.ConsentPending:  "Waiting for your confirmation.",
	models.ConsentNone:     "You have not chosen yet.",
}

func statusLabel(s models.ConsentStatus) string { return statusLabels[s] }
