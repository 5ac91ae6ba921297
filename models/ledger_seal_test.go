package models_test

import (
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// ringOf is a LedgerKeys of fixed keys, the first one current.
type ringOf []struct{ id, key string }

func (r ringOf) CurrentLedgerKey() (string, []byte) { return r[0].id, []byte(r[0].key) }

func (r ringOf) LedgerKey(id string) ([]byte, bool) {
	for _, k := range r {
		if k.id == id {
			return []byte(k.key), true
		}
	}
	return nil, false
}

func TestCheckSealTellsForgedFromUnknown(t *testing.T) {
	ring := ringOf{{"current", "0123456789abcdef0123456789abcdef"}, {"previous", "fedcba9876543210fedcba9876543210"}}
	v := &models.LedgerVerification{FinishedAt: time.Unix(1_800_000_000, 0), HeadSeq: 42, HeadHash: "abc", Worker: "w1"}
	seal := func(kid string) string {
		key, _ := ring.LedgerKey(kid)
		return models.LedgerVerificationMAC(key, kid, v)
	}
	check := func(kid, mac string) models.SealCheck {
		return models.CheckSeal(ring, kid, mac, func(key []byte) string { return models.LedgerVerificationMAC(key, kid, v) })
	}
	tests := []struct {
		name     string
		kid, mac string
		want     models.SealCheck
	}{
		{"a MAC under the current key is valid", "current", seal("current"), models.SealValid},
		{"a MAC under the previous key is valid", "previous", seal("previous"), models.SealValid},
		{"no MAC counts for nothing", "current", "", models.SealUnknownKey},
		{"a key the ring does not hold counts for nothing", "retired", seal("current"), models.SealUnknownKey},
		{"another key's MAC under a ring key is broken", "previous", seal("current"), models.SealBroken},
		{"a MAC of other content is broken", "current", models.LedgerAnchorMAC([]byte(ring[0].key), "current", models.LedgerFloor{Seq: 42}), models.SealBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := check(tt.kid, tt.mac); got != tt.want {
				t.Errorf("CheckSeal = %d, want %d", got, tt.want)
			}
		})
	}
}

// The head's hash is part of what a verification record's and an
// anchor's MAC seal: the same record without it, or with another, has
// another MAC.
func TestLedgerFloorMACsCoverTheHeadsHash(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	v := models.LedgerVerification{FinishedAt: time.Unix(1_800_000_000, 0), HeadSeq: 42, HeadHash: "abc", Worker: "w1"}
	without, other := v, v
	without.HeadHash, other.HeadHash = "", "abd"
	macs := map[string]bool{}
	for _, r := range []*models.LedgerVerification{&v, &without, &other} {
		macs[models.LedgerVerificationMAC(key, "k", r)] = true
	}
	for _, f := range []models.LedgerFloor{{Seq: 42, Hash: "abc"}, {Seq: 42}, {Seq: 42, Hash: "abd"}} {
		macs[models.LedgerAnchorMAC(key, "k", f)] = true
	}
	if len(macs) != 6 {
		t.Errorf("%d distinct MACs of six records and anchors, want 6", len(macs))
	}
}

// The MACs of records and anchors without the head's hash are the ones
// the release before migration 00031 wrote (computed with d34bc53): a
// change to them would make every record and anchor already kept look
// forged.
func TestLedgerFloorMACsWithoutTheHashAreUnchanged(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	v := &models.LedgerVerification{FinishedAt: time.Unix(1_800_000_000, 123456000), HeadSeq: 42, Customers: 3, Events: 9,
		Duration: 1500 * time.Millisecond, Worker: "w1"}
	if got, want := models.LedgerVerificationMAC(key, "k1", v), "8a85055f463cfd89b172180595a3ff15e5cdbd291a977be236acf55e5b839775"; got != want {
		t.Errorf("verification record MAC = %s, want %s", got, want)
	}
	if got, want := models.LedgerAnchorMAC(key, "k1", models.LedgerFloor{Seq: 42}), "15fb949da6e4fae32548172d57a7251276c7e436818b461fd138fd4d7d2c6967"; got != want {
		t.Errorf("anchor MAC = %s, want %s", got, want)
	}
}
