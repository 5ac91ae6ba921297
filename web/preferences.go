package web

import (
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
