package models

// MapJSONLeaves replaces every leaf of a decoded JSON value (what
// encoding/json gives an any: maps, slices, strings, numbers, booleans,
// nil) with leaf's answer, at any depth, in place for maps and slices,
// and returns the new value. Customer attributes and the outbox events'
// data are such values.
func MapJSONLeaves(v any, leaf func(any) any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = MapJSONLeaves(e, leaf)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = MapJSONLeaves(e, leaf)
		}
		return t
	}
	return leaf(v)
}
