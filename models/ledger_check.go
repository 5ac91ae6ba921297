package models

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
)

// ConsentMACChecker verifies the MACs of current consent rows in bulk
// (planning checks one per customer of a launch): it decides exactly as
// comparing ConsentStateMAC's hex with the stored MAC, but reads the
// row's fields as bytes and reuses its buffer and one keyed HMAC per key
// id, so a check allocates nothing. Not safe for concurrent use.
type ConsentMACChecker struct {
	keys LedgerKeys
	macs map[string]hash.Hash
	buf  []byte
	sum  [sha256.Size]byte
	hex  [2 * sha256.Size]byte
}

// NewConsentMACChecker returns a checker over keys.
func NewConsentMACChecker(keys LedgerKeys) *ConsentMACChecker {
	return &ConsentMACChecker{keys: keys, macs: map[string]hash.Hash{}, buf: make([]byte, 0, 512)}
}

// Verify reports whether mac is the consent-state MAC of the row's fields
// under the key named keyID; false for a key not in the ring.
func (v *ConsentMACChecker) Verify(keyID []byte, customerID int64, topic string, status, source []byte, seq int64,
	eventHash, mac []byte) bool {
	h, ok := v.macs[string(keyID)]
	if !ok {
		key, found := v.keys.LedgerKey(string(keyID))
		if !found {
			return false
		}
		h = hmac.New(sha256.New, key)
		v.macs[string(keyID)] = h
	}
	b := appendField(v.buf[:0], "candor-consent-state-v1")
	b = appendField(b, keyID)
	b = appendInt(b, customerID)
	b = appendField(b, topic)
	b = appendField(b, status)
	b = appendField(b, source)
	b = appendInt(b, seq)
	b = appendField(b, eventHash)
	v.buf = b
	h.Reset()
	h.Write(b)
	hex.Encode(v.hex[:], h.Sum(v.sum[:0]))
	return hmac.Equal(v.hex[:], mac)
}

// appendField is ledgerMAC.str for strings and bytes.
func appendField[T string | []byte](b []byte, s T) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendInt is ledgerMAC.int.
func appendInt(b []byte, i int64) []byte {
	var n [20]byte
	return appendField(b, strconv.AppendInt(n[:0], i, 10))
}
