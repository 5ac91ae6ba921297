package store

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/candor/candor/models"
)

// columns is the customer of the row's columns that need no decoding;
// model and the claim's decoder add the JSON ones.
func (r *customerRow) columns() *models.Customer {
	c := &models.Customer{
		ID:                r.ID,
		Email:             r.Email,
		Phone:             r.Phone,
		Name:              r.Name,
		Locale:            r.Locale,
		Timezone:          r.Timezone,
		PreferredChannel:  models.Channel(r.PreferredChannel),
		PreferenceVersion: r.PreferenceVersion,
		Suppressed:        r.Suppressed,
		TokenEpoch:        uint32(r.TokenEpoch),
		CreatedAt:         r.CreatedAt.UTC(),
		UpdatedAt:         r.UpdatedAt.UTC(),
	}
	if r.ExternalID != nil {
		c.ExternalID = *r.ExternalID
	}
	if r.ErasedAt != nil {
		t := r.ErasedAt.UTC()
		c.ErasedAt = &t
	}
	return c
}

func (r *customerRow) model() (*models.Customer, error) {
	c := r.columns()
	if err := json.Unmarshal([]byte(r.PreferredWindows), &c.PreferredWindows); err != nil {
		return nil, fmt.Errorf("store: customer %d: preferred_windows: %w", r.ID, err)
	}
	if r.Cadence != nil {
		if err := json.Unmarshal([]byte(*r.Cadence), &c.Cadence); err != nil {
			return nil, fmt.Errorf("store: customer %d: cadence: %w", r.ID, err)
		}
	}
	if err := json.Unmarshal([]byte(r.Attributes), &c.Attributes); err != nil {
		return nil, fmt.Errorf("store: customer %d: attributes: %w", r.ID, err)
	}
	if c.PreferredWindows == nil {
		c.PreferredWindows = []models.Window{}
	}
	if c.Attributes == nil {
		c.Attributes = map[string]any{}
	}
	return c, nil
}

// wishes is the customer of the row's columns that
// models.PreferencesDiffer reads: channel, zone, windows and cadence.
// decidePut asked model, whose decoding of the attributes it never read
// (issue 17). The errors are model's.
func (r *customerRow) wishes() (*models.Customer, error) {
	c := &models.Customer{Timezone: r.Timezone, PreferredChannel: models.Channel(r.PreferredChannel)}
	if err := json.Unmarshal([]byte(r.PreferredWindows), &c.PreferredWindows); err != nil {
		return nil, fmt.Errorf("store: customer %d: preferred_windows: %w", r.ID, err)
	}
	if r.Cadence != nil {
		if err := json.Unmarshal([]byte(*r.Cadence), &c.Cadence); err != nil {
			return nil, fmt.Errorf("store: customer %d: cadence: %w", r.ID, err)
		}
	}
	return c, nil
}

// written is the customer a put wrote: ch.row, which decidePut built from
// in (normalized and valid). It is what ch.row.model() returns, without
// decoding the JSON apply has just encoded from in (about 3 % of a PUT's
// process CPU, issue 17): windows and cadence are typed and come back
// from their JSON as they went in; attributes do too when they hold
// only what encoding/json decodes into an any (plainJSON), so their
// numbers keep the float64 type and value the API has always answered.
// Other attributes (a json.Number, an int, a typed map) are decoded as
// before. The customer shares in's windows and attributes.
func (ch *customerChange) written(in *models.CustomerInput) (*models.Customer, error) {
	if in.PreferredWindows == nil || in.Attributes == nil || !plainJSON(in.Attributes) {
		return ch.row.model()
	}
	c := ch.row.columns()
	c.PreferredWindows, c.Attributes = in.PreferredWindows, in.Attributes
	if in.Cadence != nil {
		cadence := *in.Cadence
		c.Cadence = &cadence
	}
	return c, nil
}

// plainJSON reports whether v holds only the values json.Unmarshal puts
// into an any (nil, bool, float64, string, []any, map[string]any) in a
// form its encoding decodes back to: no nil slice or map (null decodes
// to a nil any) and no text that is not UTF-8 (encoded as U+FFFD).
func plainJSON(v any) bool {
	switch v := v.(type) {
	case nil, bool, float64:
		return true
	case string:
		return utf8.ValidString(v)
	case []any:
		if v == nil {
			return false
		}
		for _, e := range v {
			if !plainJSON(e) {
				return false
			}
		}
		return true
	case map[string]any:
		if v == nil {
			return false
		}
		for k, e := range v {
			if !utf8.ValidString(k) || !plainJSON(e) {
				return false
			}
		}
		return true
	default:
		return false
	}
}
