package api

import (
	"encoding/json"
	"reflect"
	"sync"
	"unicode/utf8"

	"github.com/candor/candor/models"
)

// decodeFast decodes body into dst, a pointer to a struct, in one
// json.Unmarshal and one byte scan, and reports whether it did. It is
// decodeStrictDoc's common case: a valid body of a known shape. The slow
// path decodes the body into an any, checks that against dst's type
// (checkType), scans it for duplicate keys, then unmarshals it: three
// passes, the first two allocating for every member and every pointer,
// about 8 % of a PUT's server CPU (issue 17).
//
// It only succeeds where decodeStrictDoc would succeed with the same dst:
// every other body goes to decodeStrictDoc, which names the field and
// the rule. That holds because json.Unmarshal refuses every value that
// checkType refuses (a wrong JSON type, an integer that does not fit, a
// number out of range, a bad timestamp) and what is left is checked by
// the scan: a root that is not an object (null), a member name that is
// not exactly a field (encoding/json matches "EMAIL" to "email" and drops
// unknown members), duplicate keys, and text that is not valid Unicode.
// Types where checkType and json.Unmarshal disagree ([]byte, which
// json.Unmarshal takes as base64 text) are left to the slow path.
//
// On false dst is as it was (a shallow copy: a map dst held may have
// been written into; the slow path then fails too and the handler
// answers its error).
func decodeFast(body []byte, dst any) bool {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	i := 0
	for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n') {
		i++
	}
	if i >= len(body) || body[i] != '{' || !utf8.Valid(body) {
		return false
	}
	var saved reflect.Value
	if !v.Elem().IsZero() {
		saved = reflect.New(v.Elem().Type()).Elem()
		saved.Set(v.Elem())
	}
	if json.Unmarshal(body, dst) == nil {
		w := keyScan{body: body, bad: -1, typ: v.Elem().Type()}
		if w.clean() {
			return true
		}
	}
	if saved.IsValid() {
		v.Elem().Set(saved)
	} else {
		v.Elem().SetZero()
	}
	return false
}

// clean scans w.body, which json.Unmarshal accepted into w.typ, and
// reports whether the slow path would find nothing wrong in it: no
// duplicate key, no text that is not Unicode, no member name that is
// not exactly a field.
func (w *keyScan) clean() bool {
	var p models.Problems
	w.p = &p
	w.value()
	return !w.unsure && len(p) == 0
}

// checked returns the type whose member names keyScan checks for a value
// decoding into t: t without its pointers when it is a struct, a map, a
// slice or an array; nil when there is nothing to check (a scalar, an
// interface, a time.Time or another json.Unmarshaler, which checkType
// does not look into either). A []byte sets w.unsure.
func (w *keyScan) checked(t reflect.Type) reflect.Type {
	if t == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
	default:
		return nil
	}
	if t == timeType || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		w.unsure = true
		return nil
	}
	return t
}

// structFieldsCache maps a struct type to its member names, as jsonField
// matches them.
var structFieldsCache sync.Map // reflect.Type -> map[string]reflect.Type

// structFields returns the field type of every member name of struct t
// that jsonField finds (exact names; the first field of a name wins).
func structFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := structFieldsCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := t.NumField() - 1; i >= 0; i-- {
		f := t.Field(i)
		if name, ok := fieldName(f); ok {
			m[name] = f.Type
		}
	}
	structFieldsCache.Store(t, m)
	return m
}
