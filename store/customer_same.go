package store

import (
	"bytes"
	"encoding/json"
	"math/big"
)

// sameStoredCustomer reports whether next would store exactly what old
// already holds, so a repeated PUT can skip the write and its outbox event.
// The JSON columns are compared by value, not text: PostgreSQL's jsonb
// reorders keys and rewrites numbers, so the bytes read back rarely match
// the bytes written even when nothing changed.
func sameStoredCustomer(old, next *customerRow) bool {
	switch {
	case old.ExternalID == nil || next.ExternalID == nil || *old.ExternalID != *next.ExternalID,
		old.Email != next.Email, old.Phone != next.Phone, old.Name != next.Name,
		old.Locale != next.Locale, old.Timezone != next.Timezone,
		old.PreferredChannel != next.PreferredChannel,
		old.PreferenceVersion != next.PreferenceVersion,
		old.Suppressed != next.Suppressed,
		(old.Cadence == nil) != (next.Cadence == nil):
		return false
	}
	if old.Cadence != nil && !sameJSON(*old.Cadence, *next.Cadence) {
		return false
	}
	return sameJSON(old.PreferredWindows, next.PreferredWindows) && sameJSON(old.Attributes, next.Attributes)
}

// sameJSON reports whether a and b encode the same JSON value. Numbers
// compare exactly (1e2 equals 100, 2^53+1 differs from 2^53), so neither
// float rounding nor jsonb's number format hides or invents a change.
// Apart from identical text, text that does not parse equals nothing,
// which errs towards writing.
func sameJSON(a, b string) bool {
	if a == b {
		return true
	}
	va, okA := decodeJSONValue(a)
	vb, okB := decodeJSONValue(b)
	return okA && okB && sameJSONValue(va, vb)
}

func decodeJSONValue(s string) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

func sameJSONValue(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, va := range a {
			vb, ok := b[k]
			if !ok || !sameJSONValue(va, vb) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameJSONValue(a[i], b[i]) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			return false
		}
		if a == b {
			return true
		}
		ra, okA := new(big.Rat).SetString(string(a))
		rb, okB := new(big.Rat).SetString(string(b))
		return okA && okB && ra.Cmp(rb) == 0
	default:
		// nil, bool and string compare by value.
		return a == b
	}
}
