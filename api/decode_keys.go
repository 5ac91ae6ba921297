package api

import (
	"bytes"
	"encoding/json"
	"reflect"
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
// the scan then meets no syntax error and a nesting depth encoding/json
// bounds. It is linear in the size of body: each key is compared with the
// few before it in its object (or looked up in a set, past keyScanLinear
// keys), and a pointer is built only for a problem.
//
// bad is the offset of the body's first byte that is not UTF-8, or -1:
// the string (value or key) holding it gets a "text" problem on its
// pointer, and found says whether one did.
func duplicateKeys(p *models.Problems, body []byte, bad int64) (found bool) {
	w := keyScan{body: body, p: p, bad: bad}
	w.value()
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

// keyScanLinear is how many keys of one object keyScan compares one by
// one before it counts them in a map: a few comparisons cost less than a
// map per object, and a map keeps a huge object linear.
const keyScanLinear = 32

// keyScan walks one JSON value byte by byte. It replaced a walk over
// json.Decoder.Token, which allocated for every token and was the
// largest single cost of decoding a batch of 1,000 customers (issue 17).
type keyScan struct {
	body []byte
	i    int
	p    *models.Problems
	path []pathToken // the value being read
	// keys stacks the keys read so far of the objects being read (each
	// object's from where it started), while an object has at most
	// keyScanLinear of them.
	keys []string
	// bad is the offset of the first invalid UTF-8 byte (-1: none); found
	// says a string holding it was reported.
	bad   int64
	found bool
	// typ is the Go type the value being read decodes into, for
	// decodeFast's check of member names (see checkedType); nil when the
	// names are not checked, as for duplicateKeys. unsure is set when a
	// name is not exactly a field of its struct, or a value's type is one
	// decodeFast leaves to decodeStrictDoc.
	typ    reflect.Type
	unsure bool
}

// pathToken is a member key, or an array index when index >= 0.
type pathToken struct {
	key   string
	index int
}

func (w *keyScan) space() {
	for w.i < len(w.body) {
		switch w.body[w.i] {
		case ' ', '\t', '\r', '\n':
			w.i++
		default:
			return
		}
	}
}

// value reads one value, recursing into objects and arrays.
func (w *keyScan) value() {
	w.space()
	if w.i >= len(w.body) {
		return
	}
	switch w.body[w.i] {
	case '{':
		w.object()
	case '[':
		w.array()
	case '"':
		start := w.i
		w.str()
		if w.holds(start, w.i) {
			w.p.Add(w.here(), "text", "is not valid Unicode text (an invalid UTF-8 byte or an unpaired \\u surrogate)")
		}
	default: // a number, true, false or null
		w.i++
		for w.i < len(w.body) && !endsScalar(w.body[w.i]) {
			w.i++
		}
	}
}

func endsScalar(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

func (w *keyScan) object() {
	w.i++ // {
	base := len(w.keys)
	t := w.typ
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = structFields(t)
		case reflect.Map:
			elem = w.checked(t.Elem())
		default:
			w.unsure = true
		}
	}
	var seen map[string]int // past keyScanLinear keys
	for w.i < len(w.body) {
		w.space()
		if w.i >= len(w.body) {
			break
		}
		switch w.body[w.i] {
		case '}':
			w.i++
			w.keys = w.keys[:base]
			w.typ = t
			return
		case ',':
			w.i++
			continue
		case '"':
		default:
			w.i = len(w.body) // not JSON: stop, reporting less, never more
			continue
		}
		start := w.i
		w.str()
		key := w.key(start, w.i)
		if w.holds(start, w.i) {
			w.p.Add(w.pointer(key), "text", "this member name is not valid Unicode text")
		}
		before := 0 // how often key came earlier in this object
		if seen != nil {
			before = seen[key]
			seen[key]++
		} else {
			for _, k := range w.keys[base:] {
				if k == key {
					before++
				}
			}
			w.keys = append(w.keys, key)
			if len(w.keys)-base > keyScanLinear {
				seen = make(map[string]int, 2*keyScanLinear)
				for _, k := range w.keys[base:] {
					seen[k]++
				}
				w.keys = w.keys[:base]
			}
		}
		// Reported once, however often the key repeats.
		if before == 1 {
			w.p.Add(w.pointer(key), "duplicate_key", "appears more than once in the object; send each member once")
		}
		w.space()
		if w.i < len(w.body) && w.body[w.i] == ':' {
			w.i++
		}
		if fields != nil {
			ft, ok := fields[key]
			if !ok {
				w.unsure = true
			}
			w.typ = w.checked(ft)
		} else {
			w.typ = elem
		}
		w.path = append(w.path, pathToken{key: key, index: -1})
		w.value()
		w.path = w.path[:len(w.path)-1]
	}
	w.keys = w.keys[:base]
	w.typ = t
}

func (w *keyScan) array() {
	w.i++ // [
	t := w.typ
	var elem reflect.Type
	if t != nil {
		if k := t.Kind(); k == reflect.Slice || k == reflect.Array {
			elem = w.checked(t.Elem())
		} else {
			w.unsure = true
		}
	}
	for index := 0; w.i < len(w.body); {
		w.space()
		if w.i >= len(w.body) {
			break
		}
		switch w.body[w.i] {
		case ']':
			w.i++
			w.typ = t
			return
		case ',':
			w.i++
			continue
		}
		w.typ = elem
		w.path = append(w.path, pathToken{index: index})
		w.value()
		w.path = w.path[:len(w.path)-1]
		index++
	}
	w.typ = t
}

// str moves past the string that starts at w.i.
func (w *keyScan) str() {
	for w.i++; w.i < len(w.body); w.i++ {
		switch w.body[w.i] {
		case '\\':
			w.i++
		case '"':
			w.i++
			return
		}
	}
}

// key returns the member name of the string body[start:end] as
// encoding/json decodes it (escapes resolved, invalid text replaced).
func (w *keyScan) key(start, end int) string {
	raw := w.body[start+1 : max(start+1, end-1)]
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw)
	}
	var key string
	_ = json.Unmarshal(w.body[start:end], &key) // decoded before, so it decodes
	return key
}

// holds reports whether the string body[start:end] is not valid Unicode
// text: it holds the bad byte, or an escaped UTF-16 surrogate without
// its pair ("\ud800"), which encoding/json would also turn into U+FFFD.
func (w *keyScan) holds(start, end int) bool {
	hasBad := w.bad >= int64(start) && w.bad < int64(end)
	if hasBad {
		w.found = true
	}
	return hasBad || loneSurrogate(w.body[start:end])
}

// here is the JSON pointer of the value being read.
func (w *keyScan) here() string {
	var b strings.Builder
	for _, t := range w.path {
		b.WriteByte('/')
		if t.index >= 0 {
			b.WriteString(strconv.Itoa(t.index))
		} else {
			b.WriteString(escapePointer(t.key))
		}
	}
	return b.String()
}

// pointer is the JSON pointer of member key of the current object.
func (w *keyScan) pointer(key string) string {
	return w.here() + "/" + escapePointer(key)
}
