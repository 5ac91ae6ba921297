package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

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
//
// bad is the offset of the body's first byte that is not UTF-8, or -1:
// the string (value or key) holding it gets a "text" problem on its
// pointer, and found says whether one did.
func duplicateKeys(p *models.Problems, body []byte, bad int64) (found bool) {
	w := keyWalk{dec: json.NewDecoder(bytes.NewReader(body)), body: body, p: p, bad: bad}
	w.dec.UseNumber() // numbers are skipped; this keeps huge ones from failing
	// An error cannot happen on decoded JSON; if it did, the walk would
	// stop early and report less, never more.
	_ = w.value()
	return w.found
}

// firstInvalidUTF8 returns the offset of body's first byte that is not
// part of a UTF-8 sequence, or -1.
func firstInvalidUTF8(body []byte) int64 {
	if utf8.Valid(body) {
		return -1
	}
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 {
			return int64(i)
		}
		i += size
	}
	return -1
}

// token reads the next token and reports whether it is a string that is
// not valid Unicode text: it holds the bad byte, or an escaped UTF-16
// surrogate without its pair ("\ud800"), which encoding/json would also
// turn into U+FFFD.
func (w *keyWalk) token() (json.Token, bool, error) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return tok, false, err
	}
	end := w.dec.InputOffset()
	_, isString := tok.(string)
	holds := w.bad >= start && w.bad < end ||
		isString && loneSurrogate(w.body[start:end])
	if holds && w.bad >= start && w.bad < end {
		w.found = true
	}
	return tok, holds, nil
}

// loneSurrogate reports whether the raw JSON text of a string holds a \u
// escape of a UTF-16 surrogate that is not half of a high-low pair.
func loneSurrogate(raw []byte) bool {
	if !bytes.Contains(raw, []byte(`\u`)) {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // a two-character escape such as \\ or \"
			continue
		}
		r, ok := hex4(raw, i+2)
		switch {
		case !ok:
		case r >= 0xDC00 && r <= 0xDFFF:
			return true // a low half with no high half before it
		case r >= 0xD800 && r <= 0xDBFF:
			low, ok := hex4(raw, i+8)
			if i+7 >= len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' || !ok || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 6 // the pair's low half is read with it
		}
		i += 5
	}
	return false
}

// hex4 reads four hex digits at raw[at:].
func hex4(raw []byte, at int) (rune, bool) {
	if at+4 > len(raw) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw[at:at+4]), 16, 32)
	return rune(n), err == nil
}

// keyWalk walks one JSON value token by token.
type keyWalk struct {
	dec  *json.Decoder
	body []byte
	p    *models.Problems
	path []string // unescaped reference tokens of the value being read
	// bad is the offset of the first invalid UTF-8 byte (-1: none); found
	// says a string holding it was reported.
	bad   int64
	found bool
}

// value reads one value, recursing into objects and arrays.
func (w *keyWalk) value() error {
	tok, holds, err := w.token()
	if err != nil {
		return err
	}
	if holds {
		w.p.Add(w.here(), "text", "is not valid Unicode text (an invalid UTF-8 byte or an unpaired \\u surrogate)")
	}
	switch tok {
	case json.Delim('{'):
		// A count rather than a set reports a key sent three times once.
		seen := map[string]int{}
		for w.dec.More() {
			tok, holds, err := w.token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if holds {
				w.p.Add(w.pointer(key), "text", "this member name is not valid Unicode text")
			}
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

// here is the JSON pointer of the value being read.
func (w *keyWalk) here() string {
	var b strings.Builder
	for _, t := range w.path {
		b.WriteString("/" + escapePointer(t))
	}
	return b.String()
}

// pointer is the JSON pointer of member key of the current object.
func (w *keyWalk) pointer(key string) string {
	return w.here() + "/" + escapePointer(key)
}
