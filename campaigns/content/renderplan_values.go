package content

import (
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// langFlags remembers a yes or no per language. Reading takes no lock and
// allocates nothing: the map is replaced, never changed.
type langFlags struct {
	m atomic.Pointer[map[string]bool]
}

func (f *langFlags) get(lang string, compute func() bool) bool {
	if m := f.m.Load(); m != nil {
		if v, ok := (*m)[lang]; ok {
			return v
		}
	}
	v := compute()
	for {
		old := f.m.Load()
		next := map[string]bool{lang: v}
		if old != nil {
			for k, x := range *old {
				next[k] = x
			}
		}
		if f.m.CompareAndSwap(old, &next) {
			return v
		}
	}
}

// textSafe reports whether a non-empty value in HTML text parses as the
// hole it replaces: no space at either end (the parser splits leading
// space off in some places, and a blank text is not seen), no NUL or CR
// (the parser rewrites them), no "{" (extractText reads "{{" as an
// action), valid UTF-8.
func textSafe(s string) bool {
	return strings.TrimSpace(s) == s && utf8.ValidString(s) && !strings.ContainsAny(s, "\x00\r{")
}

// urlInert reports whether html/template writes s into an href as it is,
// so the href a reader follows is s: only characters its URL normalizer
// keeps, valid %XX escapes, and a scheme it lets through (isSafeURL).
func urlInert(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case urlKept[c]:
		case c == '%' && i+2 < len(s) && isHexByte(s[i+1]) && isHexByte(s[i+2]):
		default:
			return false
		}
	}
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") {
		return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "mailto")
	}
	return true
}

// urlKept are the bytes html/template's URL normalizer writes as they are.
var urlKept = func() (t [256]bool) {
	for _, c := range []byte("-._~!#$&*+,/:;=?@[]abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
		t[c] = true
	}
	return t
}()

func isHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
