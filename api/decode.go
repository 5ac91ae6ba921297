package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// decodeJSON reads the request body into dst strictly. It returns
// codeUnsupportedMediaType for a non-JSON Content-Type, ETOOLARGE for a body
// over the limit, EMALFORMED for an empty body, a syntax error or trailing
// data (saying where), and EINVALID with field pointers for unknown fields
// (rule "unknown_field") and values of the wrong JSON type (rule "type").
func decodeJSON(c *gin.Context, dst any) error {
	if err := requireJSON(c.GetHeader("Content-Type")); err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeStrict(body, dst)
}

// decodeJSONDoc is decodeJSON that also returns the body as decoded into
// an any (with UseNumber), so parts of it need not be parsed again.
func decodeJSONDoc(c *gin.Context, dst any) (any, error) {
	if err := requireJSON(c.GetHeader("Content-Type")); err != nil {
		return nil, err
	}
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	return decodeStrictDoc(body, dst)
}

// decodeNoBody checks the body of an action that takes no input: none (or
// white space) and an empty JSON object pass, with or without a
// Content-Type. Anything else is decoded strictly into an empty object, so
// a client that believes the action takes options learns that it does not
// instead of having them ignored: EINVALID (rule "unknown_field") for any
// member, EMALFORMED for bad JSON, codeUnsupportedMediaType for a body
// declared as something other than JSON, ETOOLARGE.
func decodeNoBody(c *gin.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		return nil
	}
	if ct := c.GetHeader("Content-Type"); ct != "" {
		if err := requireJSON(ct); err != nil {
			return err
		}
	}
	return decodeStrict(body, &struct{}{})
}

// readBody reads the whole request body. ETOOLARGE past the body limit;
// EMALFORMED when it cannot be read.
func readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, models.Errorf(models.ETOOLARGE, "The request body is larger than %d bytes.", tooLarge.Limit)
	} else if err != nil {
		return nil, models.Errorf(models.EMALFORMED, "The request body could not be read.")
	}
	return body, nil
}

// requireJSON returns codeUnsupportedMediaType unless contentType is
// application/json or a +json type: a form or text body is a client
// mistake worth naming, not a syntax error.
func requireJSON(contentType string) error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return models.Errorf(codeUnsupportedMediaType, "Send the body as JSON with Content-Type: application/json (got %q).", contentType)
}

// decodeStrict decodes one JSON value from body into dst. It checks the
// document against dst's type before decoding, because encoding/json names
// neither the path of an unknown field nor every wrong type it meets, and
// it refuses duplicate object keys, which encoding/json silently resolves
// to the last one. EMALFORMED for bad JSON; EINVALID with field pointers
// (rules "unknown_field", "type", "format", "duplicate_key", and "text"
// for a string that is not valid UTF-8).
func decodeStrict(body []byte, dst any) error {
	if decodeFast(body, dst) {
		return nil
	}
	_, err := decodeStrictDoc(body, dst)
	return err
}

// decodeStrictDoc is decodeStrict that also returns the document as
// decoded into an any (with UseNumber).
func decodeStrictDoc(body []byte, dst any) (any, error) {
	// encoding/json would quietly turn invalid bytes into U+FFFD, storing
	// a name or address the client never sent; JSON text must be UTF-8.
	bad := firstInvalidUTF8(body)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, syntaxError(err, len(body))
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, models.Errorf(models.EMALFORMED, "Unexpected data at byte offset %d after the JSON value; send exactly one JSON object.", len(body)-len(rest))
	}
	var p models.Problems
	if !duplicateKeys(&p, body[:dec.InputOffset()], bad) && bad >= 0 {
		return nil, models.Errorf(models.EMALFORMED, "The request body is not valid UTF-8 (first invalid byte at offset %d).", bad)
	}
	return doc, decodeDoc(p, body, doc, dst)
}

// decodeItem decodes one item of a body that decodeStrict already read
// (into a json.RawMessage): the syntax, the UTF-8 and the duplicate keys
// of the whole body were checked then, so only the item's type is. The
// errors are decodeStrict's, with pointers relative to the item.
func decodeItem(raw json.RawMessage, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return syntaxError(err, len(raw))
	}
	return decodeDoc(nil, raw, doc, dst)
}

// decodeItemDoc is decodeItem for an item whose decoded form doc (with
// UseNumber) the body's decoding already holds: only its type is checked
// and raw decoded into dst.
func decodeItemDoc(raw json.RawMessage, doc any, dst any) error {
	return decodeDoc(nil, raw, doc, dst)
}

// decodeDoc checks doc, the decoded body, against dst's type and decodes
// body into dst, adding to the problems p already holds.
func decodeDoc(p models.Problems, body []byte, doc any, dst any) error {
	if doc == nil {
		p.Add("", "type", "must be a JSON object, not null")
	} else {
		checkType(&p, "", doc, reflect.TypeOf(dst).Elem())
	}
	if err := p.Err(); err != nil {
		return err
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p.Add("/"+strings.ReplaceAll(te.Field, ".", "/"), "type", "cannot hold %s", te.Value)
			return p.Err()
		}
		return models.Errorf(models.EMALFORMED, "The JSON body could not be decoded.")
	}
	return nil
}

func syntaxError(err error, size int) error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return models.Errorf(models.EMALFORMED, "The request body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return models.Errorf(models.EMALFORMED, "The JSON body ends unexpectedly at byte offset %d.", size)
	case errors.As(err, &se):
		// Offset counts the bytes read including the bad one; report its index.
		return models.Errorf(models.EMALFORMED, "Malformed JSON at byte offset %d: %s.", se.Offset-1, strings.TrimPrefix(se.Error(), "json: "))
	}
	return models.Errorf(models.EMALFORMED, "The request body is not valid JSON.")
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

// checkType records a problem, in key order, for every value of doc (decoded with
// UseNumber) that t cannot hold and every object key t does not declare.
// JSON null is accepted anywhere below the root, as encoding/json does.
func checkType(p *models.Problems, at string, v any, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return
	}
	if t == timeType {
		// time.Time decodes itself, and its parse error would surface as
		// an unnamed 400 instead of a 422 naming the field.
		checkTime(p, at, v)
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			p.Add(at, "type", "must be an object")
			return
		}
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			child := obj[key]
			f, ok := jsonField(t, key)
			if !ok {
				p.Add(at+"/"+escapePointer(key), "unknown_field", "is not a known field")
				continue
			}
			checkType(p, at+"/"+escapePointer(key), child, f.Type)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			p.Add(at, "type", "must be an object")
			return
		}
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			checkType(p, at+"/"+escapePointer(key), obj[key], t.Elem())
		}
	case reflect.Slice, reflect.Array:
		arr, ok := v.([]any)
		if !ok {
			p.Add(at, "type", "must be an array")
			return
		}
		for i, child := range arr {
			checkType(p, at+"/"+strconv.Itoa(i), child, t.Elem())
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			p.Add(at, "type", "must be a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			p.Add(at, "type", "must be a boolean")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			p.Add(at, "type", "must be an integer")
		} else if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			p.Add(at, "type", "must be an integer that fits in %d bits", t.Bits())
		}
	case reflect.Float32, reflect.Float64:
		checkNumber(p, at, v)
	case reflect.Interface:
		if n, ok := v.(json.Number); ok {
			checkNumber(p, at, n)
		} else if obj, ok := v.(map[string]any); ok {
			checkType(p, at, obj, reflect.TypeFor[map[string]any]())
		} else if arr, ok := v.([]any); ok {
			checkType(p, at, arr, reflect.TypeFor[[]any]())
		}
	}
}

// timestampExample is quoted in format problems so a client sees the shape.
const timestampExample = "2026-01-02T15:04:05Z"

// checkTime accepts a string holding an RFC 3339 timestamp, parsed by the
// same strict parser time.Time's UnmarshalJSON uses.
func checkTime(p *models.Problems, at string, v any) {
	s, ok := v.(string)
	if !ok {
		p.Add(at, "type", "must be a string holding an RFC 3339 timestamp such as %s", timestampExample)
		return
	}
	var t time.Time
	if err := t.UnmarshalText([]byte(s)); err != nil {
		p.Add(at, "format", "must be an RFC 3339 timestamp such as %s", timestampExample)
	}
}

func checkNumber(p *models.Problems, at string, v any) {
	n, ok := v.(json.Number)
	if !ok {
		p.Add(at, "type", "must be a number")
	} else if _, err := n.Float64(); err != nil {
		p.Add(at, "range", "is too large to be represented as a number")
	}
}

// jsonField finds the field of struct t that encodes as key. Matching is
// exact: encoding/json would also accept "EMAIL" for "email", which hides typos.
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, ok := fieldName(f); ok && name == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// fieldName is the member name of field f: its json tag's name, else its
// Go name; false for an unexported or "-" field.
func fieldName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return "", false
	}
	if name == "" {
		name = f.Name
	}
	return name, true
}

// escapePointer escapes a JSON pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return pointerEscaper.Replace(s)
}

// pointerEscaper is built once: a Replacer builds its tables on first use,
// which per call cost more than the decoding around it.
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// pageOf reads ?limit= and ?cursor=. A limit that is not a whole number in
// 1..MaxPageLimit is EINVALID on field "limit"; an absent one means the
// default; either sent twice is EINVALID (rule "repeated"), as a JSON
// member sent twice is, instead of one value silently winning. The cursor
// is opaque here: the store rejects a bad one.
func pageOf(c *gin.Context) (models.Page, error) {
	var p models.Problems
	for _, name := range []string{"limit", "cursor"} {
		if len(c.QueryArray(name)) > 1 {
			p.Add(name, "repeated", "give %s at most once", name)
		}
	}
	if err := p.Err(); err != nil {
		return models.Page{}, err
	}
	page := models.Page{Limit: models.DefaultPageLimit, Cursor: c.Query("cursor")}
	if raw, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > models.MaxPageLimit {
			p.Add("limit", "range", "must be a whole number from 1 to %d, got %q", models.MaxPageLimit, raw)
			return page, p.Err()
		}
		page.Limit = n
	}
	return page, nil
}

// list is the shape of every list response. NextCursor is null on the last page.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func newList[T any](items []T, next string) list[T] {
	if items == nil {
		items = []T{}
	}
	l := list[T]{Items: items}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}
