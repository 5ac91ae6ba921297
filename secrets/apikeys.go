package secrets

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// APIKeyPrefix starts every Candor API key, so leaked keys are easy to
// recognise by secret scanners.
const APIKeyPrefix = "cnd_"

// NewAPIKey returns a new random API key (256 bits of entropy).
func NewAPIKey() string {
	return APIKeyPrefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// HashAPIKey returns the stored form of a key. A fast hash is right here:
// keys are random with 256 bits of entropy, so there is nothing to
// brute-force, and lookups stay cheap on every request.
func HashAPIKey(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// DisplayPrefix returns the part of a key shown in listings.
func DisplayPrefix(plain string) string {
	if len(plain) > len(APIKeyPrefix)+6 {
		return plain[:len(APIKeyPrefix)+6]
	}
	return strings.Repeat("*", 4)
}
