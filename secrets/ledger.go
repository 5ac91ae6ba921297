package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// LedgerKeyring holds the consent ledger's keys: one HKDF subkey per
// secret, the first one current (new events are sealed with it), the
// others kept so events sealed before a rotation still verify. Each key
// is named by an id derived from it, recorded on every event it seals;
// the id reveals nothing of the key.
type LedgerKeyring struct {
	ids  []string
	keys [][]byte
}

// NewLedgerKeyring derives the ledger keys of secrets, current first. It
// fails without a secret or when one is shorter than MinSecretLength.
func NewLedgerKeyring(secrets ...string) (*LedgerKeyring, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("the ledger keyring needs at least one secret")
	}
	r := &LedgerKeyring{}
	for i, s := range secrets {
		if len(s) < MinSecretLength {
			return nil, fmt.Errorf("ledger secret %d must be at least %d characters", i+1, MinSecretLength)
		}
		key := derive(s, "candor consent ledger v1")
		id := hmac.New(sha256.New, key)
		id.Write([]byte("candor ledger key id"))
		r.ids = append(r.ids, hex.EncodeToString(id.Sum(nil))[:16])
		r.keys = append(r.keys, key)
	}
	return r, nil
}

// CurrentLedgerKey implements models.LedgerKeys.
func (r *LedgerKeyring) CurrentLedgerKey() (string, []byte) { return r.ids[0], r.keys[0] }

// LedgerKey implements models.LedgerKeys.
func (r *LedgerKeyring) LedgerKey(id string) ([]byte, bool) {
	for i := range r.ids {
		if r.ids[i] == id {
			return r.keys[i], true
		}
	}
	return nil, false
}

// IDs lists the key ids, current first.
func (r *LedgerKeyring) IDs() []string { return append([]string(nil), r.ids...) }

// Ledger returns the consent ledger's keyring: the current secret's key,
// then the previous secret's, if one was given to New.
func (k *Keys) Ledger() *LedgerKeyring { return k.ledger }

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
