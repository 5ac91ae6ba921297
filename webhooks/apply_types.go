package webhooks

import (
	"context"
	"encoding/json"

	"github.com/candor/candor/models"
)

// apply makes the change one event describes through the services the
// REST API uses.
func (a Applier) apply(ctx context.Context, env *models.InboundEvent) error {
	switch env.Type {
	case models.InboundCustomerUpserted:
		var in models.CustomerInput
		if err := decodeData(env.Data, &in); err != nil {
			return err
		}
		_, _, err := a.Store.PutCustomer(ctx, &in)
		return err
	case models.InboundCustomerDeleted:
		var d struct {
			ExternalID string `json:"external_id"`
		}
		if err := decodeData(env.Data, &d); err != nil {
			return err
		}
		err := a.Store.EraseCustomer(ctx, d.ExternalID)
		if models.ErrorCode(err) == models.ENOTFOUND {
			return errNothing{"No live customer has this external id: nothing to erase."}
		}
		return err
	case models.InboundConsentUpdated:
		var d struct {
			ExternalID string               `json:"external_id"`
			Topic      string               `json:"topic"`
			Status     models.ConsentStatus `json:"status"`
			Evidence   models.Evidence      `json:"evidence"`
		}
		if err := decodeData(env.Data, &d); err != nil {
			return err
		}
		in := models.ConsentInput{Status: d.Status, Source: models.SourceCRM, Evidence: d.Evidence}
		if err := in.Validate(); err != nil {
			return err
		}
		_, _, err := a.Store.SetConsent(ctx, d.ExternalID, d.Topic, &in)
		return err
	case models.InboundPreferencesUpdated:
		return a.updatePreferences(ctx, env.Data)
	}
	return a.applyFeedback(ctx, env)
}

// updatePreferences changes only the preference fields the event carries
// (a field sent as null is cleared) and keeps the rest of the profile.
func (a Applier) updatePreferences(ctx context.Context, data json.RawMessage) error {
	var d struct {
		ExternalID       string          `json:"external_id"`
		PreferredChannel json.RawMessage `json:"preferred_channel"`
		PreferredWindows json.RawMessage `json:"preferred_windows"`
		Cadence          json.RawMessage `json:"cadence"`
		Timezone         json.RawMessage `json:"timezone"`
		Locale           json.RawMessage `json:"locale"`
	}
	if err := decodeData(data, &d); err != nil {
		return err
	}
	c, err := a.Store.Customer(ctx, d.ExternalID)
	if err != nil {
		return err
	}
	in := models.CustomerInput{ExternalID: c.ExternalID, Email: c.Email, Phone: c.Phone, Name: c.Name,
		Locale: c.Locale, Timezone: c.Timezone, PreferredChannel: c.PreferredChannel,
		PreferredWindows: c.PreferredWindows, Cadence: c.Cadence, Attributes: c.Attributes}
	fields := []struct {
		name string
		raw  json.RawMessage
		dst  any
	}{
		{"preferred_channel", d.PreferredChannel, &in.PreferredChannel},
		{"preferred_windows", d.PreferredWindows, &in.PreferredWindows},
		{"cadence", d.Cadence, &in.Cadence},
		{"timezone", d.Timezone, &in.Timezone},
		{"locale", d.Locale, &in.Locale},
	}
	for _, f := range fields {
		if f.raw == nil {
			continue
		}
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return models.Errorf(models.EINVALID, "/data/%s: %v", f.name, err)
		}
	}
	_, _, err = a.Store.PutCustomer(ctx, &in)
	return err
}
