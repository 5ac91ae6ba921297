package api

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

// putBody is the body of the PUT benchmark (validCustomer).
const putBody = `{"attributes":{"plan":"pro"},"cadence":{"max":2,"per":"7d"},"email":"put-1-2@example.com",` +
	`"external_id":"put-1-2","locale":"en-GB","name":"Ada Lovelace 12345","preferred_channel":"email",` +
	`"preferred_windows":[{"days":["mon","tue"],"end":"12:00","start":"09:00"}],"timezone":"Europe/London"}`

// agreeWithSlowPath checks that decodeStrict, which tries decodeFast
// first, answers body exactly as decodeStrictDoc alone does: the same
// error (code, message, fields and rules in order) and the same value.
func agreeWithSlowPath(t *testing.T, body []byte) {
	t.Helper()
	var fast, slow models.CustomerInput
	errFast := decodeStrict(body, &fast)
	_, errSlow := decodeStrictDoc(body, &slow)
	if fmt.Sprint(errFast) != fmt.Sprint(errSlow) || models.ErrorCode(errFast) != models.ErrorCode(errSlow) ||
		!reflect.DeepEqual(models.ErrorFields(errFast), models.ErrorFields(errSlow)) {
		t.Fatalf("body %q:\n decodeStrict:    %v %+v\n decodeStrictDoc: %v %+v", body,
			errFast, models.ErrorFields(errFast), errSlow, models.ErrorFields(errSlow))
	}
	if errSlow == nil {
		if diff := cmp.Diff(slow, fast); diff != "" {
			t.Fatalf("body %q decodes differently (-slow +fast):\n%s", body, diff)
		}
	}
}

// randomCustomerBody draws a customer body near the valid shape: known
// and unknown members, case variants, duplicates, wrong types, nulls,
// escapes, surrogates and invalid bytes.
func randomCustomerBody(rng *rand.Rand) string {
	keys := []string{`"email"`, `"name"`, `"EMAIL"`, `"Name"`, `"external_id"`, `"locale"`, `"preferred_channel"`,
		`"preferred_windows"`, `"cadence"`, `"attributes"`, `"\u0065mail"`, `"emali"`, `"timezone"`, `"phone"`}
	var value func(depth int) string
	value = func(depth int) string {
		switch k := rng.IntN(12); {
		case k == 0:
			return []string{"1", "1.5", "1e400", "-3", "true", "null", "99999999999999999999"}[rng.IntN(7)]
		case k <= 4:
			return []string{`"a"`, `"x@example.com"`, `"\ud800"`, "\"\xff\"", `"\u00e9"`, `"09:00"`, `"7d"`, `"mon"`, `""`}[rng.IntN(9)]
		case depth == 0 || k <= 8:
			var b strings.Builder
			b.WriteString("{")
			for i := range rng.IntN(4) {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString([]string{`"max"`, `"per"`, `"days"`, `"start"`, `"end"`, `"Max"`, `"plan"`, `"tz"`}[rng.IntN(8)] + ":")
				if depth > 0 {
					b.WriteString(value(depth - 1))
				} else {
					b.WriteString(`"x"`)
				}
			}
			b.WriteString("}")
			return b.String()
		default:
			var b strings.Builder
			b.WriteString("[")
			for i := range rng.IntN(3) {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString(value(depth - 1))
			}
			b.WriteString("]")
			return b.String()
		}
	}
	var b strings.Builder
	b.WriteString(" {")
	for i := range rng.IntN(6) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(keys[rng.IntN(len(keys))] + ":" + value(3))
	}
	b.WriteString("}")
	if rng.IntN(20) == 0 {
		b.WriteString(" x")
	}
	return b.String()
}

// The one-pass decoding (decodeFast) answers every body as the three
// passes do: the same problems, naming the same fields and rules, and
// the same decoded value.
func TestDecodeFastAgreesWithTheSlowPath(t *testing.T) {
	for _, body := range []string{
		putBody, `{}`, ` {"name":"x"} `, `{"name":"x"}{}`, `{"EMAIL":"a"}`, `{"email":"a","email":"b"}`, `null`, `[]`, ``,
		`{"cadence":{"max":1.5,"per":"1d"}}`, `{"cadence":{"Max":1,"per":"1d"}}`, `{"attributes":{"n":[1e400]}}`,
		`{"preferred_windows":[{"days":["mon"],"start":"09:00","end":"10:00","tz":"x"}]}`, `{"name":"\ud800"}`,
		"{\"name\":\"\xff\"}", `{"attributes":{"a":1,"a":2}}`, `{"attributes":{"A":{"b":[{"c":1,"c":1}]}}}`,
		`{"\u0065mail":"a@example.com"}`, `{"preferred_windows":"x"}`, `{"cadence":[]}`, `{"email":null,"cadence":null}`,
	} {
		agreeWithSlowPath(t, []byte(body))
	}
	rng := rand.New(rand.NewPCG(26, 8))
	for range 5000 {
		agreeWithSlowPath(t, []byte(randomCustomerBody(rng)))
	}
}

// FuzzDecodeFastAgreesWithTheSlowPath runs agreeWithSlowPath on any body.
func FuzzDecodeFastAgreesWithTheSlowPath(f *testing.F) {
	for _, seed := range []string{putBody, `{"EMAIL":"a"}`, `{"attributes":{"a":1,"a":2}}`, `{"name":"\ud800"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) { agreeWithSlowPath(t, body) })
}

// A valid PUT body is decoded in one pass: decodeStrict allocates less
// than half of what the three passes do (they decode every member into
// an any, and checkType builds a pointer string for each).
func TestDecodeStrictOnePassAllocations(t *testing.T) {
	body := []byte(putBody)
	strict := testing.AllocsPerRun(50, func() {
		var in models.CustomerInput
		if err := decodeStrict(body, &in); err != nil {
			t.Fatal(err)
		}
	})
	slow := testing.AllocsPerRun(50, func() {
		var in models.CustomerInput
		if _, err := decodeStrictDoc(body, &in); err != nil {
			t.Fatal(err)
		}
	})
	if strict > slow/2 {
		t.Errorf("decodeStrict allocated %.0f times for a valid PUT body, the three passes %.0f: want at most half", strict, slow)
	}
}

// A body decodeFast cannot vouch for leaves dst as it was, so the slow
// path decodes into the caller's value.
func TestDecodeFastRestoresTheValue(t *testing.T) {
	in := models.CustomerInput{Name: "kept"}
	if decodeFast([]byte(`{"email":"a@example.com","EMAIL":"b"}`), &in) {
		t.Fatal("a case variant of a member name was accepted")
	}
	if !reflect.DeepEqual(in, models.CustomerInput{Name: "kept"}) {
		t.Errorf("dst = %+v, want it as it was", in)
	}
}

func BenchmarkDecodeStrictPut(b *testing.B) {
	body := []byte(putBody)
	b.Run("one-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in models.CustomerInput
			_ = decodeStrict(body, &in)
		}
	})
	b.Run("three-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in models.CustomerInput
			_, _ = decodeStrictDoc(body, &in)
		}
	})
}
