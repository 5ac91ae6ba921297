// Package secrets derives Candor's per-purpose keys from CANDOR_SECRET_KEY
// and implements what they are used for: signed customer tokens, address
// fingerprints, API key hashing and encryption of stored secrets.
//
// Subkeys are derived with HKDF-SHA256, one per purpose, so a leak of one
// derived key does not expose the others. Token keys rotate (the previous
// secret still verifies tokens); the fingerprint key is derived from the
// fingerprint key must never change, or erased addresses would no longer
// be recognised: Candor keeps it in the database, sealed with the
// (rotatable) encryption subkey, and installs it with UseFingerprintKey.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// MinSecretLength is the minimum length of CANDOR_SECRET_KEY.
const MinSecretLength = 32

// Keys holds the derived subkeys.
type Keys struct {
	token       [][]byte // current first, then previous
	fingerprint []byte
	// fingerprints pools HMACs keyed with fingerprint (Fingerprint).
	fingerprints *sync.Pool
	// tokenMACs pools HMACs keyed with the current token key
	// (CustomerToken).
	tokenMACs  *sync.Pool
	encryption [][]byte // current first, then previous
	ledger     *LedgerKeyring
	policy     TokenPolicy
}

// New derives the subkeys from secret and, if set, previous (which only
// verifies tokens). It fails if a secret is shorter than MinSecretLength.
func New(secret, previous string) (*Keys, error) {
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("secret key must be at least %d characters", MinSecretLength)
	}
	k := &Keys{
		token:       [][]byte{derive(secret, "candor customer tokens v1")},
		fingerprint: derive(secret, "candor suppression fingerprints v1"),
		encryption:  [][]byte{derive(secret, "candor secret encryption v1")},
	}
	if previous != "" {
		if len(previous) < MinSecretLength {
			return nil, fmt.Errorf("previous secret key must be at least %d characters", MinSecretLength)
		}
		k.token = append(k.token, derive(previous, "candor customer tokens v1"))
		k.encryption = append(k.encryption, derive(previous, "candor secret encryption v1"))
	}
	k.fingerprints = fingerprintPool(k.fingerprint)
	current := k.token[0]
	k.tokenMACs = &sync.Pool{New: func() any { return hmac.New(sha256.New, current) }}
	var err error
	if k.ledger, err = NewLedgerKeyring(nonEmpty(secret, previous)...); err != nil {
		return nil, err
	}
	return k, nil
}

func derive(secret, purpose string) []byte {
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, purpose, 32)
	if err != nil {
		panic(err) // only possible for an output length HKDF cannot produce
	}
	return key
}

// GenerateSecret returns a new random secret suitable for CANDOR_SECRET_KEY.
func GenerateSecret() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}

// RandomHex returns n random bytes, hex encoded (salts, ids).
func RandomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

// Fingerprint returns a keyed hash of an address (email or phone) that
// recognises the address again without storing it. Emails are compared
// case-insensitively.
func (k *Keys) Fingerprint(kind, value string) string {
	if kind == "email" {
		value = strings.ToLower(value)
	}
	f := k.fingerprints.Get().(*fingerprinter)
	defer k.fingerprints.Put(f)
	f.buf = append(append(append(f.buf[:0], kind...), 0), value...)
	f.mac.Reset()
	f.mac.Write(f.buf)
	hex.Encode(f.hex[:], f.mac.Sum(f.sum[:0]))
	return string(f.hex[:])
}

// fingerprinter is the reusable state of one Fingerprint call: keying an
// HMAC costs two SHA-256 blocks and its allocations, and a claim
// fingerprints every address it sends to, so Keys pools them.
type fingerprinter struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
	hex [2 * sha256.Size]byte
}

// fingerprintPool returns a pool of fingerprinters keyed with key.
func fingerprintPool(key []byte) *sync.Pool {
	return &sync.Pool{New: func() any {
		return &fingerprinter{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 128)}
	}}
}

// DerivedFingerprintKey returns the fingerprint key derived from the
// current secret: the value a database adopts when it has none yet, so
// fingerprints made before the key was stored keep matching.
func (k *Keys) DerivedFingerprintKey() []byte { return append([]byte(nil), k.fingerprint...) }

// UseFingerprintKey installs the database's fingerprint key. Call it once
// at start, before the keys are used concurrently.
func (k *Keys) UseFingerprintKey(key []byte) {
	k.fingerprint = append([]byte(nil), key...)
	k.fingerprints = fingerprintPool(k.fingerprint)
}

// Encrypt seals plaintext with AES-256-GCM under the current encryption
// subkey.
func (k *Keys) Encrypt(plaintext []byte) []byte {
	gcm := k.gcm(0)
	nonce := randomBytes(gcm.NonceSize())
	return gcm.Seal(nonce, nonce, plaintext, nil)
}

// Decrypt opens a value sealed by Encrypt under the current or the
// previous secret; stale reports the previous one, so callers can reseal.
func (k *Keys) Decrypt(sealed []byte) (plaintext []byte, stale bool, err error) {
	for i := range k.encryption {
		gcm := k.gcm(i)
		if len(sealed) < gcm.NonceSize() {
			return nil, false, errors.New("sealed value too short")
		}
		if p, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], nil); err == nil {
			return p, i > 0, nil
		}
	}
	return nil, false, errors.New("sealed value does not open with the current or previous secret key")
}

func (k *Keys) gcm(i int) cipher.AEAD {
	block, err := aes.NewCipher(k.encryption[i])
	if err != nil {
		panic(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}
