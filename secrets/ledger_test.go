package secrets_test

import (
	"bytes"
	"testing"

	"github.com/candor/candor/secrets"
)

func TestLedgerKeyring(t *testing.T) {
	const a, b = "ledger-secret-a-0123456789abcdefghijkl", "ledger-secret-b-0123456789abcdefghijkl"
	rotated, err := secrets.NewLedgerKeyring(b, a)
	if err != nil {
		t.Fatal(err)
	}
	before, err := secrets.NewLedgerKeyring(a)
	if err != nil {
		t.Fatal(err)
	}
	oldID, oldKey := before.CurrentLedgerKey()
	newID, newKey := rotated.CurrentLedgerKey()
	t.Run("the key id is stable for a secret and differs between secrets", func(t *testing.T) {
		if oldID == newID || len(oldID) != 16 {
			t.Errorf("ids %q and %q", oldID, newID)
		}
		if ids := rotated.IDs(); len(ids) != 2 || ids[0] != newID || ids[1] != oldID {
			t.Errorf("rotated ids = %v, want [%s %s]", ids, newID, oldID)
		}
	})
	t.Run("the previous key still verifies after a rotation", func(t *testing.T) {
		k, ok := rotated.LedgerKey(oldID)
		if !ok || !bytes.Equal(k, oldKey) || bytes.Equal(k, newKey) {
			t.Errorf("LedgerKey(old) = %x, %t", k, ok)
		}
	})
	t.Run("an unknown id is not in the ring", func(t *testing.T) {
		if _, ok := before.LedgerKey(newID); ok {
			t.Error("the new key was found in the old ring")
		}
	})
	t.Run("the ledger key is not the secret nor another purpose's key", func(t *testing.T) {
		keys, err := secrets.New(a, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, k := keys.Ledger().CurrentLedgerKey(); !bytes.Equal(k, oldKey) || bytes.Contains(k, []byte(a)) ||
			bytes.Equal(k, keys.DerivedFingerprintKey()) {
			t.Errorf("Keys.Ledger() key %x", k)
		}
	})
	t.Run("short or missing secrets are refused", func(t *testing.T) {
		if _, err := secrets.NewLedgerKeyring(); err == nil {
			t.Error("no secret: no error")
		}
		if _, err := secrets.NewLedgerKeyring(a, "short"); err == nil {
			t.Error("short secret: no error")
		}
	})
}
