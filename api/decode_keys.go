package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/candor/candor/models"
)

// duplicateKeys records a "duplicate_key" problem, in document order, for
// every object member whose key already appeared in the same object, at
// any depth. encoding/json keeps the last value, so a client that sends
// {"status":"opted_out","status":"opted_in"} would otherwise have one of
// its values dropped without a word.
//
// body must hold one JSON value that encoding/json has already decoded:
// the walk then meets no syntax error and a nesting depth encoding/json
// bounds. It is linear in the size of body: each key is looked up once in
// a set that lives as long as its object, and a pointer is built only for
// a duplicate.
func duplicateKeys(p *models.Problems, body []byte) {
	w := keyWalk{dec: json.NewDecoder(bytes.NewReader(body)), p: p}
	w.dec.UseNumber() // numbers are skipped; this keeps huge ones from failing
	// An error cannot happen on decoded JSON; if it did, the walk would
	// stop early and report less, never more.
	_ = w.value()
}

// keyWalk walks one JSON value token by token.
type keyWalk struct {
	dec  *json.Decoder
	p    *models.Problems
	path []string // unescaped reference tokens of the value being read
}

// value reads one value, recursing into objects and arrays.
func (w *keyWalk) value() error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		// A count rather than a set reports a key sent three times once.
		seen := map[string]int{}
		for w.dec.More() {
			tok, err := w.dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if seen[key]++; seen[key] == 2 {
				w.p.Add(w.pointer(key), "duplicate_key", "appears more than once in the object; send each member once")
			}
			if err := w.child(key); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; w.dec.More(); i++ {
			if err := w.child(strconv.Itoa(i)); err != nil {
				return err
			}
		}
	default:
		return nil // a scalar
	}
	_, err = w.dec.Token() // the closing delimiter
	return err
}

// child reads the member or element named token.
func (w *keyWalk) child(token string) error {
	w.path = append(w.path, token)
	err := w.value()
	w.path = w.path[:len(w.path)-1]
	return err
}

// pointer is the JSON pointer of member key of the current object.
func (w *keyWalk) pointer(key string) string {
	var b strings.Builder
	for _, t := range w.path {
		b.WriteString("/" + escapePointer(t))
	}
	b.WriteString("/" + escapePointer(key))
	return b.String()
}
