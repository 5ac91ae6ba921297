package store

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/candor/candor/models"
)

// claimCustomerDecoder turns the customers rows a claim read into models,
// as customerRow.model does, decoding each distinct preferred_windows and
// attributes JSON once per claim: the customers of a campaign's batch
// often share them (the default windows, a segment's attributes), and
// their JSON decoding was most of the claim's cost per customer (about
// 1.5 KB of garbage a message). Every customer still gets values of its
// own (deep copies), so nothing one holds is shared with another.
type claimCustomerDecoder struct {
	windows    map[string][]models.Window
	attributes map[string]map[string]any
}

// customer is customerRow.model through the decoder's caches.
func (dec *claimCustomerDecoder) customer(r *customerRow) (*models.Customer, error) {
	c := r.columns()
	windows, ok := dec.windows[r.PreferredWindows]
	if !ok {
		if err := json.Unmarshal([]byte(r.PreferredWindows), &windows); err != nil {
			return nil, fmt.Errorf("store: customer %d: preferred_windows: %w", r.ID, err)
		}
		if dec.windows == nil {
			dec.windows = map[string][]models.Window{}
		}
		dec.windows[r.PreferredWindows] = windows
	}
	c.PreferredWindows = copyWindows(windows)
	if r.Cadence != nil {
		if err := json.Unmarshal([]byte(*r.Cadence), &c.Cadence); err != nil {
			return nil, fmt.Errorf("store: customer %d: cadence: %w", r.ID, err)
		}
	}
	attrs, ok := dec.attributes[r.Attributes]
	if !ok {
		if err := json.Unmarshal([]byte(r.Attributes), &attrs); err != nil {
			return nil, fmt.Errorf("store: customer %d: attributes: %w", r.ID, err)
		}
		if dec.attributes == nil {
			dec.attributes = map[string]map[string]any{}
		}
		dec.attributes[r.Attributes] = attrs
	}
	c.Attributes = copyJSONObject(attrs)
	if c.PreferredWindows == nil {
		c.PreferredWindows = []models.Window{}
	}
	if c.Attributes == nil {
		c.Attributes = map[string]any{}
	}
	return c, nil
}

// copyWindows is a deep copy of ws (nil stays nil, empty stays empty, as
// JSON decoded them).
func copyWindows(ws []models.Window) []models.Window {
	if ws == nil {
		return nil
	}
	out := make([]models.Window, len(ws))
	for i, w := range ws {
		out[i] = w
		out[i].Days = slices.Clone(w.Days)
	}
	return out
}

// copyJSONObject is a deep copy of a decoded JSON object.
func copyJSONObject(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyJSONValue(v)
	}
	return out
}

// copyJSONValue is a deep copy of a value encoding/json decoded into an
// any: objects and arrays are copied, the rest is immutable.
func copyJSONValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return copyJSONObject(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyJSONValue(e)
		}
		return out
	default:
		return v
	}
}
