package seed

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/candor/candor/models"
)

// computeHash returns e.ComputeHash() without encoding/json: the seed's
// events hold only plain ASCII text, whose JSON is the text in quotes, so
// the canonical array is written by hand (reflection was most of the
// cost of hashing 1.44M events twice). Any string that JSON would escape
// falls back to ComputeHash itself, so the result is always the same (a
// test compares them on random text).
func computeHash(e *models.ConsentEvent) string {
	at := e.CreatedAt.UTC().Format(models.TimeFormat)
	texts := [...]string{e.Topic, string(e.Status), string(e.Source), e.Evidence.Text, e.Evidence.FormVersion,
		e.Evidence.IPDigest, e.Evidence.UserAgentDigest, at, e.PrevHash}
	for _, s := range texts {
		if !plainJSON(s) {
			return e.ComputeHash()
		}
	}
	b := make([]byte, 0, 384)
	b = append(b, `["candor-consent-v1",`...)
	b = strconv.AppendInt(b, e.CustomerID, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, e.Seq, 10)
	for _, s := range texts {
		b = append(b, ',', '"')
		b = append(b, s...)
		b = append(b, '"')
	}
	b = append(b, ']')
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// plainJSON reports whether json.Marshal writes s as s in quotes:
// printable ASCII without the quote, the backslash and the three
// characters it escapes for HTML.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
