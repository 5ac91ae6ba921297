package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

// tokenWalk is the duplicate-key walk over json.Decoder.Token that
// keyScan replaced (issue 17), kept as the oracle keyScan must agree
// with: every problem, in the same order, on the same pointer.
type tokenWalk struct {
	dec   *json.Decoder
	body  []byte
	p     *models.Problems
	path  []string
	bad   int64
	found bool
}

func tokenWalkKeys(p *models.Problems, body []byte, bad int64) bool {
	w := tokenWalk{dec: json.NewDecoder(bytes.NewReader(body)), body: body, p: p, bad: bad}
	w.dec.UseNumber()
	_ = w.value()
	return w.found
}

func (w *tokenWalk) token() (json.Token, bool, error) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return tok, false, err
	}
	end := w.dec.InputOffset()
	_, isString := tok.(string)
	holds := w.bad >= start && w.bad < end || isString && loneSurrogate(w.body[start:end])
	if holds && w.bad >= start && w.bad < end {
		w.found = true
	}
	return tok, holds, nil
}

func (w *tokenWalk) value() error {
	tok, holds, err := w.token()
	if err != nil {
		return err
	}
	if holds {
		w.p.Add(w.here(), "text", "is not valid Unicode text (an invalid UTF-8 byte or an unpaired \\u surrogate)")
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]int{}
		for w.dec.More() {
			tok, holds, err := w.token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if holds {
				w.p.Add(w.here()+"/"+escapePointer(key), "text", "this member name is not valid Unicode text")
			}
			if seen[key]++; seen[key] == 2 {
				w.p.Add(w.here()+"/"+escapePointer(key), "duplicate_key", "appears more than once in the object; send each member once")
			}
			w.path = append(w.path, key)
			err = w.value()
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; w.dec.More(); i++ {
			w.path = append(w.path, strconv.Itoa(i))
			err := w.value()
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err = w.dec.Token()
	return err
}

func (w *tokenWalk) here() string {
	var b strings.Builder
	for _, t := range w.path {
		b.WriteString("/" + escapePointer(t))
	}
	return b.String()
}

// agreeOnKeys checks keyScan against tokenWalk on body, which must be
// JSON that encoding/json decodes (as duplicateKeys requires).
func agreeOnKeys(t *testing.T, body []byte) {
	t.Helper()
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	bad := firstInvalidUTF8(body)
	var want, got models.Problems
	wantFound := tokenWalkKeys(&want, body, bad)
	gotFound := duplicateKeys(&got, body, bad)
	if diff := cmp.Diff(want, got); diff != "" || wantFound != gotFound {
		t.Fatalf("body %q: found %v, want %v; problems (-token walk +scan):\n%s", body, gotFound, wantFound, diff)
	}
}

func TestTheKeyScanAgreesWithTheTokenWalk(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"a flat object with a repeat", `{"a":1,"b":2,"a":3,"a":4}`},
		{"nested arrays and objects", `{"x":[{"a":1,"a":2},[1,2,{"b":[],"b":{}}]],"x":null}`},
		{"white space everywhere", " { \"a\" : [ 1 , 2 ] ,\n\t\"a\" : { } } "},
		{"escaped keys equal plain ones", `{"a":1,"\u0061":2,"~/":3,"~/":4}`},
		{"escaped quotes and backslashes in strings", `{"s":"a\"b\\","s\"":"\\\"","s\"":1}`},
		{"lone surrogates in keys and values", `{"\udfff":"\ud800","k":["\udc00x"],"\udfff":1}`},
		{"an invalid byte in a value", "{\"a\":[{\"s\":\"09:0\xc3\"}]}"},
		{"an invalid byte in a key", "{\"a\xff\":1,\"a\xff\":2}"},
		{"a scalar at the top", `"\ud800"`},
		{"numbers of every shape", `{"n":[-1,0.5,1e10,-2.5E-3,true,false,null],"n":0}`},
		{"an object past the linear limit", wideObject(40, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { agreeOnKeys(t, []byte(tt.body)) })
	}
	t.Run("random documents agree", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(17, 1))
		for range 2000 {
			agreeOnKeys(t, []byte(randomJSON(rng, 4)))
		}
	})
}

// wideObject is an object of n distinct keys and then key dup again.
func wideObject(n, dup int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	fmt.Fprintf(&b, `"k%d":0}`, dup)
	return b.String()
}

// randomJSON draws a document from a small alphabet of keys, so objects
// repeat keys, with escapes, surrogates and invalid bytes in strings.
func randomJSON(rng *rand.Rand, depth int) string {
	strs := []string{`"a"`, `"b"`, `"\u0061"`, `"~1"`, `"a/b"`, `"\ud800"`, `"\udc00"`, `"\ud83d\ude00"`, "\"\xff\"", `"\\u"`, `"\""`, `""`}
	switch k := rng.IntN(6); {
	case depth == 0 || k == 0:
		return []string{"1", "-2.5e3", "true", "null"}[rng.IntN(4)]
	case k == 1:
		return strs[rng.IntN(len(strs))]
	case k <= 3:
		var b strings.Builder
		b.WriteString("{")
		for i := range rng.IntN(6) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strs[rng.IntN(len(strs))] + ":" + randomJSON(rng, depth-1))
		}
		b.WriteString("}")
		return b.String()
	default:
		var b strings.Builder
		b.WriteString("[ ")
		for i := range rng.IntN(5) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(randomJSON(rng, depth-1))
		}
		b.WriteString("]")
		return b.String()
	}
}

// FuzzTheKeyScanAgreesWithTheTokenWalk runs agreeOnKeys on any body.
func FuzzTheKeyScanAgreesWithTheTokenWalk(f *testing.F) {
	for _, seed := range []string{`{"a":1,"a":2}`, `{"\u0061":[{"b":"\ud800","b":1}]}`, "{\"x\xff\":\"\xfe\"}", wideObject(40, 39)} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) { agreeOnKeys(t, body) })
}
