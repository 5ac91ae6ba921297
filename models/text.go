package models

import (
	"strings"
	"unicode/utf8"
)

// ValidText reports whether s is valid UTF-8 without NUL characters.
// PostgreSQL can store neither (in text or in jsonb), so such input must
// be rejected as invalid up front instead of failing inside SQL.
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// checkText records a "text" problem for field when s is not ValidText.
// It reports whether s was acceptable.
func checkText(p *Problems, field, s string) bool {
	if ValidText(s) {
		return true
	}
	p.Add(field, "text", "must be valid UTF-8 text without NUL characters")
	return false
}
