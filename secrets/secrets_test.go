package secrets_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/secrets"
)

const (
	secretA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	secretB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func mustKeys(t testing.TB, secret, previous string) *secrets.Keys {
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
	issued := time.Date(2026, 3, 12, 15, 4, 5, 0, time.UTC)
	at := func(t time.Time) func() time.Time { return func() time.Time { return t } }
	withPolicy := func(k *secrets.Keys, p secrets.TokenPolicy) *secrets.Keys { k.SetTokenPolicy(p); return k }
	current := withPolicy(mustKeys(t, secretA, ""), secrets.TokenPolicy{Now: at(issued)})
	tok := current.CustomerToken(secrets.PurposeUnsubscribe, 42, 3)
	prefs := current.CustomerToken(secrets.PurposePreferences, 42, 3)
	v1 := v1Token(t, secretA, secrets.PurposeUnsubscribe, 42)
	rotationEnds := issued.Add(30 * 24 * time.Hour)
	maxAge := secrets.TokenPolicy{MaxAge: map[secrets.Purpose]time.Duration{secrets.PurposePreferences: 90 * 24 * time.Hour}}
	agedAt := func(now time.Time) secrets.TokenPolicy { p := maxAge; p.Now = at(now); return p }
	want := secrets.TokenClaims{CustomerID: 42, Epoch: 3, IssuedAt: time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)}

	tests := []struct {
		name    string
		keys    *secrets.Keys
		purpose secrets.Purpose
		token   string
		want    secrets.TokenClaims // zero: rejected
	}{
		{"a token verifies with the key that signed it", current, secrets.PurposeUnsubscribe, tok, want},
		{"a token still verifies after rotation through the previous key", mustKeys(t, secretB, secretA), secrets.PurposeUnsubscribe, tok, want},
		{"the previous key verifies until the rotation's end",
			withPolicy(mustKeys(t, secretB, secretA), secrets.TokenPolicy{PreviousUntil: rotationEnds, Now: at(rotationEnds.Add(-time.Second))}), secrets.PurposeUnsubscribe, tok, want},
		{"the previous key no longer verifies once the rotation ended",
			withPolicy(mustKeys(t, secretB, secretA), secrets.TokenPolicy{PreviousUntil: rotationEnds, Now: at(rotationEnds)}), secrets.PurposeUnsubscribe, tok, secrets.TokenClaims{}},
		{"the current key verifies after the rotation ended",
			withPolicy(mustKeys(t, secretA, secretB), secrets.TokenPolicy{PreviousUntil: rotationEnds, Now: at(rotationEnds.Add(time.Hour))}), secrets.PurposeUnsubscribe, tok, want},
		{"a token from an unrelated key is rejected", mustKeys(t, secretB, ""), secrets.PurposeUnsubscribe, tok, secrets.TokenClaims{}},
		{"a token is rejected for another purpose", current, secrets.PurposePreferences, tok, secrets.TokenClaims{}},
		{"a token with a flipped character is rejected", current, secrets.PurposeUnsubscribe, flip(tok), secrets.TokenClaims{}},
		{"a token cut short is rejected", current, secrets.PurposeUnsubscribe, tok[:len(tok)-2], secrets.TokenClaims{}},
		{"a token with a line break inside (which base64 decoding skips) is rejected", current, secrets.PurposeUnsubscribe, tok[:10] + "\r\n" + tok[10:], secrets.TokenClaims{}},
		{"garbage is rejected", current, secrets.PurposeUnsubscribe, "not-a-token!", secrets.TokenClaims{}},
		{"an empty token is rejected", current, secrets.PurposeUnsubscribe, "", secrets.TokenClaims{}},
		{"a preference token verifies within its max age", withPolicy(mustKeys(t, secretA, ""), agedAt(issued.Add(90*24*time.Hour))), secrets.PurposePreferences, prefs, want},
		{"a preference token past its max age is rejected", withPolicy(mustKeys(t, secretA, ""), agedAt(issued.Add(92*24*time.Hour))), secrets.PurposePreferences, prefs, secrets.TokenClaims{}},
		{"the max age of one purpose does not expire another", withPolicy(mustKeys(t, secretA, ""), agedAt(issued.Add(400*24*time.Hour))), secrets.PurposeUnsubscribe, tok, want},
		{"a version 1 token (links sent before revocation existed) verifies as epoch 0", current, secrets.PurposeUnsubscribe, v1, secrets.TokenClaims{CustomerID: 42}},
		{"a version 1 token for another purpose is rejected", current, secrets.PurposePreferences, v1, secrets.TokenClaims{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.keys.ParseCustomerToken(tt.purpose, tt.token)
			if (tt.want == secrets.TokenClaims{}) != (err != nil) {
				t.Errorf("ParseCustomerToken error = %v, want rejected = %v", err, tt.want == secrets.TokenClaims{})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

// v1Token builds a token in the first layout (version, purpose, id, MAC),
// as Candor issued them before tokens carried an epoch.
func v1Token(t *testing.T, secret string, p secrets.Purpose, id int64) string {
	t.Helper()
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "candor customer tokens v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte{1, byte(p), 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(buf[2:], uint64(id))
	mac := hmac.New(sha256.New, key)
	mac.Write(buf)
	return base64.RawURLEncoding.EncodeToString(append(buf, mac.Sum(nil)[:16]...))
}

func TestFormTokens(t *testing.T) {
	k := mustKeys(t, secretA, "")
	tok := k.FormToken(42, "e0.v3.c7")
	tests := []struct {
		name  string
		keys  *secrets.Keys
		id    int64
		state string
		tok   string
		want  bool
	}{
		{"the form of the page shown is accepted", k, 42, "e0.v3.c7", tok, true},
		{"it is accepted during a key rotation", mustKeys(t, secretB, secretA), 42, "e0.v3.c7", tok, true},
		{"a form replayed after the page changed is rejected", k, 42, "e0.v4.c7", tok, false},
		{"another customer's form is rejected", k, 43, "e0.v3.c7", tok, false},
		{"a form without the value is rejected", k, 42, "e0.v3.c7", "", false},
		{"a tampered value is rejected", k, 42, "e0.v3.c7", flip(tok), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.keys.VerifyFormToken(tt.id, tt.state, tt.tok); got != tt.want {
				t.Errorf("VerifyFormToken = %v, want %v", got, tt.want)
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

// Fingerprint reuses pooled HMAC state; what it returns must be the HMAC a
// fresh hmac.New gives, for every call, concurrent ones and after the
// database's key is installed included.
func TestPooledFingerprintEqualsFreshHMAC(t *testing.T) {
	fresh := func(key []byte, kind, value string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(kind + "\x00" + value))
		return hex.EncodeToString(m.Sum(nil))
	}
	k := mustKeys(t, secretA, "")
	inputs := [][2]string{{"email", "ada@example.com"}, {"phone", "+4915112345678"}, {"external_id", ""},
		{"email", strings.Repeat("long-local-part", 20) + "@example.com"}, {"external_id", "c-1"}}
	check := func(t *testing.T, key []byte) {
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Go(func() {
				for i := 0; i < 200; i++ {
					in := inputs[(g+i)%len(inputs)]
					if got, want := k.Fingerprint(in[0], in[1]), fresh(key, in[0], in[1]); got != want {
						t.Errorf("Fingerprint(%q, %q) = %s, fresh HMAC %s", in[0], in[1], got, want)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	check(t, k.DerivedFingerprintKey())
	stored := bytes.Repeat([]byte{7}, 32)
	k.UseFingerprintKey(stored)
	check(t, stored)
}

// BenchmarkFingerprint: a claim fingerprints every address it sends to.
func BenchmarkFingerprint(b *testing.B) {
	k := mustKeys(b, secretA, "")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k.Fingerprint("email", "ada.lovelace@example.com")
		}
	})
}
