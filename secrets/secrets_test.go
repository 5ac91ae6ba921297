package secrets_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/candor/candor/secrets"
)

const (
	secretA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	secretB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func mustKeys(t *testing.T, secret, previous string) *secrets.Keys {
	t.Helper()
	k, err := secrets.New(secret, previous)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNewRejectsShortSecrets(t *testing.T) {
	if _, err := secrets.New("short", ""); err == nil {
		t.Error("a short secret was accepted")
	}
	if _, err := secrets.New(secretA, "short"); err == nil {
		t.Error("a short previous secret was accepted")
	}
}

func TestCustomerTokens(t *testing.T) {
	current := mustKeys(t, secretA, "")
	rotated := mustKeys(t, secretB, secretA)
	other := mustKeys(t, secretB, "")
	tok := current.CustomerToken(secrets.PurposeUnsubscribe, 42)

	tests := []struct {
		name    string
		keys    *secrets.Keys
		purpose secrets.Purpose
		token   string
		wantID  int64
	}{
		{"a token verifies with the key that signed it", current, secrets.PurposeUnsubscribe, tok, 42},
		{"a token still verifies after rotation through the previous key", rotated, secrets.PurposeUnsubscribe, tok, 42},
		{"a token from an unrelated key is rejected", other, secrets.PurposeUnsubscribe, tok, 0},
		{"a token is rejected for another purpose", current, secrets.PurposePreferences, tok, 0},
		{"a token with a flipped character is rejected", current, secrets.PurposeUnsubscribe, flip(tok), 0},
		{"garbage is rejected", current, secrets.PurposeUnsubscribe, "not-a-token!", 0},
		{"an empty token is rejected", current, secrets.PurposeUnsubscribe, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := tt.keys.ParseCustomerToken(tt.purpose, tt.token)
			if id != tt.wantID || (tt.wantID == 0) != (err != nil) {
				t.Errorf("ParseCustomerToken = %d, %v; want id %d", id, err, tt.wantID)
			}
		})
	}
}

func flip(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestFingerprintIgnoresEmailCaseButNotKey(t *testing.T) {
	a, b := mustKeys(t, secretA, ""), mustKeys(t, secretB, "")
	if a.Fingerprint("email", "Ada@Example.com") != a.Fingerprint("email", "ada@example.com") {
		t.Error("email fingerprints differ by case")
	}
	if a.Fingerprint("email", "ada@example.com") == b.Fingerprint("email", "ada@example.com") {
		t.Error("fingerprints under different secrets are equal")
	}
	if strings.Contains(a.Fingerprint("phone", "+4915112345678"), "4915112345678") {
		t.Error("fingerprint contains the phone number")
	}
}

func TestEncryptRoundTripAndTamper(t *testing.T) {
	k := mustKeys(t, secretA, "")
	sealed := k.Encrypt([]byte("whsec_hello"))
	got, stale, err := k.Decrypt(sealed)
	if err != nil || stale || !bytes.Equal(got, []byte("whsec_hello")) {
		t.Fatalf("Decrypt = %q, %v, %v", got, stale, err)
	}
	rotated := mustKeys(t, secretB, secretA)
	if got, stale, err := rotated.Decrypt(sealed); err != nil || !stale || !bytes.Equal(got, []byte("whsec_hello")) {
		t.Errorf("after rotation Decrypt = %q, stale %v, %v; want the plaintext, stale", got, stale, err)
	}
	if _, _, err := mustKeys(t, secretB, "").Decrypt(sealed); err == nil {
		t.Error("a value sealed under an unrelated secret opened")
	}
	sealed[len(sealed)-1] ^= 1
	if _, _, err := k.Decrypt(sealed); err == nil {
		t.Error("a tampered ciphertext decrypted")
	}
}

func TestAPIKeysAreHashedAndDistinct(t *testing.T) {
	a, b := secrets.NewAPIKey(), secrets.NewAPIKey()
	if a == b || !strings.HasPrefix(a, secrets.APIKeyPrefix) {
		t.Fatalf("keys %q and %q", a, b)
	}
	if h := secrets.HashAPIKey(a); h == a || strings.Contains(h, a[4:]) || h != secrets.HashAPIKey(a) {
		t.Errorf("hash %q of key is not a stable one-way value", h)
	}
}
