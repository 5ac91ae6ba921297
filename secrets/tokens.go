package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// Purpose separates token kinds so a token for one page cannot be used on
// another.
type Purpose byte

// Token purposes.
const (
	PurposeUnsubscribe Purpose = 'u'
	PurposePreferences Purpose = 'p'
)

const (
	tokenVersion = 1
	payloadLen   = 1 + 1 + 8 // version, purpose, customer id
	macLen       = 16        // 128-bit truncated HMAC-SHA256
)

// ErrBadToken is returned for a token that is malformed, forged, signed
// with an unknown key or meant for another purpose.
var ErrBadToken = errors.New("invalid or expired link")

// CustomerToken returns a URL-safe token naming a customer by internal id
// (no PII), signed with the current token key.
func (k *Keys) CustomerToken(p Purpose, customerID int64) string {
	buf := make([]byte, payloadLen, payloadLen+macLen)
	buf[0], buf[1] = tokenVersion, byte(p)
	binary.BigEndian.PutUint64(buf[2:], uint64(customerID))
	buf = append(buf, tokenMAC(k.token[0], buf)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// ParseCustomerToken verifies a token with the current or previous key and
// returns the customer id. It returns ErrBadToken on any failure.
func (k *Keys) ParseCustomerToken(p Purpose, token string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != payloadLen+macLen || raw[0] != tokenVersion || raw[1] != byte(p) {
		return 0, ErrBadToken
	}
	for _, key := range k.token {
		if hmac.Equal(raw[payloadLen:], tokenMAC(key, raw[:payloadLen])) {
			id := int64(binary.BigEndian.Uint64(raw[2:payloadLen]))
			if id <= 0 {
				return 0, ErrBadToken
			}
			return id, nil
		}
	}
	return 0, ErrBadToken
}

func tokenMAC(key, payload []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(payload)
	return mac.Sum(nil)[:macLen]
}
