package secrets_test

import (
	"strings"
	"testing"

	"github.com/candor/candor/secrets"
)

// FuzzParseCustomerToken: no input panics, and an accepted input names a
// real customer id and is spelled canonically (base64 decoding skips
// CR and LF, which the parser must not).
func FuzzParseCustomerToken(f *testing.F) {
	k, err := secrets.New(secretA, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(k.CustomerToken(secrets.PurposeUnsubscribe, 42, 0))
	f.Add(k.CustomerToken(secrets.PurposePreferences, 1, 7))
	f.Add("")
	f.Add("AnUAAAAAAAAAKgAAAAA")
	f.Fuzz(func(t *testing.T, token string) {
		for _, p := range []secrets.Purpose{secrets.PurposeUnsubscribe, secrets.PurposePreferences} {
			c, err := k.ParseCustomerToken(p, token)
			if err != nil {
				continue
			}
			if c.CustomerID <= 0 {
				t.Fatalf("accepted %q with customer id %d", token, c.CustomerID)
			}
			if strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Fatalf("accepted %q, which is not in the URL-safe alphabet", token)
			}
		}
	})
}
