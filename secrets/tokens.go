package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"time"
)

// Purpose separates token kinds so a token for one page cannot be used on
// another.
type Purpose byte

// Token purposes.
const (
	PurposeUnsubscribe Purpose = 'u'
	PurposePreferences Purpose = 'p'
	// PurposeForm binds a preference center form to the page that showed
	// it (see FormToken).
	PurposeForm Purpose = 'f'
)

// Token layouts. Version 1 (before revocation existed) carries only the
// customer id; it still verifies while the customer's tokens were never
// revoked (epoch 0), so links already sent keep working. Version 2 adds
// the customer's token epoch, which revocation increases, and the day the
// token was issued, which expiry compares.
const (
	tokenV1      = 1
	tokenV2      = 2
	payloadLenV1 = 1 + 1 + 8            // version, purpose, customer id
	payloadLenV2 = payloadLenV1 + 4 + 4 // + epoch, issued day
	macLen       = 16                   // 128-bit truncated HMAC-SHA256
	day          = 24 * time.Hour
)

// ErrBadToken is returned for a token that is malformed, forged, signed
// with an unknown or retired key, meant for another purpose or expired.
var ErrBadToken = errors.New("invalid or expired link")

// TokenPolicy says how long tokens stay valid. The zero value accepts
// tokens of every age, signed with the current or the previous key.
type TokenPolicy struct {
	// PreviousUntil, if set, is when the previous secret stops verifying
	// tokens (CANDOR_SECRET_KEY_PREVIOUS_UNTIL): the end of a rotation.
	PreviousUntil time.Time
	// MaxAge per purpose, if set, is how long after issue a token of that
	// purpose verifies. Version 1 tokens carry no issue date and are
	// exempt.
	MaxAge map[Purpose]time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// TokenClaims is what a verified token says.
type TokenClaims struct {
	CustomerID int64
	// Epoch is the customer's token epoch when the token was issued; the
	// caller compares it with the customer's current one (revocation).
	Epoch uint32
	// IssuedAt is the day (UTC midnight) the token was issued; zero for
	// version 1 tokens.
	IssuedAt time.Time
}

// SetTokenPolicy installs the policy. Call it once at start, before the
// keys are used concurrently.
func (k *Keys) SetTokenPolicy(p TokenPolicy) { k.policy = p }

func (k *Keys) now() time.Time {
	if k.policy.Now != nil {
		return k.policy.Now()
	}
	return time.Now()
}

// CustomerToken returns a URL-safe token naming a customer by internal id
// and token epoch (no PII), issued today and signed with the current
// token key. Tokens of one customer, purpose and epoch are equal within a
// day, so a message rendered twice carries the same links.
func (k *Keys) CustomerToken(p Purpose, customerID int64, epoch uint32) string {
	var raw [payloadLenV2 + sha256.Size]byte
	buf := raw[:payloadLenV2]
	buf[0], buf[1] = tokenV2, byte(p)
	binary.BigEndian.PutUint64(buf[2:], uint64(customerID))
	binary.BigEndian.PutUint32(buf[10:], epoch)
	binary.BigEndian.PutUint32(buf[14:], uint32(k.now().Unix()/int64(day/time.Second)))
	// Every message sent carries two tokens: a pooled MAC keyed once
	// instead of a new HMAC keyed for each.
	mac := k.tokenMACs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(buf)
	mac.Sum(buf) // into raw after the payload
	k.tokenMACs.Put(mac)
	return base64.RawURLEncoding.EncodeToString(raw[:payloadLenV2+macLen])
}

// ParseCustomerToken verifies a token of purpose p with the current key,
// or with the previous one until the policy's PreviousUntil, checks its
// age against the policy and returns its claims. ErrBadToken on any
// failure. The caller must still compare Epoch with the customer's.
func (k *Keys) ParseCustomerToken(p Purpose, token string) (TokenClaims, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	// The decoder skips CR and LF; only the canonical spelling of a token
	// is the token, so a link means one thing wherever it is logged or
	// compared.
	if err != nil || len(raw) < 2 || raw[1] != byte(p) || base64.RawURLEncoding.EncodeToString(raw) != token {
		return TokenClaims{}, ErrBadToken
	}
	n := payloadLenV2
	if raw[0] == tokenV1 {
		n = payloadLenV1
	} else if raw[0] != tokenV2 {
		return TokenClaims{}, ErrBadToken
	}
	if len(raw) != n+macLen || !k.verifyMAC(raw[:n], raw[n:]) {
		return TokenClaims{}, ErrBadToken
	}
	c := TokenClaims{CustomerID: int64(binary.BigEndian.Uint64(raw[2:10]))}
	if c.CustomerID <= 0 {
		return TokenClaims{}, ErrBadToken
	}
	if raw[0] == tokenV2 {
		c.Epoch = binary.BigEndian.Uint32(raw[10:14])
		c.IssuedAt = time.Unix(int64(binary.BigEndian.Uint32(raw[14:18]))*int64(day/time.Second), 0).UTC()
		// A token counts as issued at the start of its day, so a max age
		// of N days lets it live N to N+1 days: never less than promised.
		if maxAge := k.policy.MaxAge[p]; maxAge > 0 && k.now().After(c.IssuedAt.Add(maxAge+day)) {
			return TokenClaims{}, ErrBadToken
		}
	}
	return c, nil
}

// verifyMAC accepts the current key always and the previous one until
// the rotation's end.
func (k *Keys) verifyMAC(payload, mac []byte) bool {
	for i, key := range k.token {
		if i > 0 && !k.policy.PreviousUntil.IsZero() && !k.now().Before(k.policy.PreviousUntil) {
			return false
		}
		if hmac.Equal(mac, tokenMAC(key, payload)) {
			return true
		}
	}
	return false
}

func tokenMAC(key, payload []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(payload)
	return mac.Sum(nil)[:macLen]
}
