package web

import "github.com/candor/candor/models"

// Double opt-in pages.
const (
	PageConfirm   = "confirm"   // asks the customer to confirm a pending consent
	PageConfirmed = "confirmed" // the consent is confirmed
)

// ConfirmData fills PageConfirm and PageConfirmed.
type ConfirmData struct {
	Confirmation *models.PendingConfirmation
	// Action is the form's target relative to the page (the topic key);
	// Code the link's code, posted back with the form.
	Action, Code string
	BackURL      string
}
