package models_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/candor/candor/models"
)

// consentRowFields are the fields a consent-state MAC covers.
type consentRowFields struct {
	keyID, topic, status, source, eventHash string
	customerID, seq                         int64
}

func (f consentRowFields) mac() string {
	key, _ := testRing.LedgerKey(f.keyID)
	return models.ConsentStateMAC(key, f.keyID, f.customerID, f.topic, models.ConsentStatus(f.status),
		models.ConsentSource(f.source), f.seq, f.eventHash)
}

func (f consentRowFields) verify(v *models.ConsentMACChecker, mac string) bool {
	return v.Verify([]byte(f.keyID), f.customerID, f.topic, []byte(f.status), []byte(f.source), f.seq,
		[]byte(f.eventHash), []byte(mac))
}

func randomField(r *rand.Rand) string {
	const letters = "ab-_01\x00é"
	var b strings.Builder
	for range r.IntN(12) {
		b.WriteString(string([]rune(letters)[r.IntN(len([]rune(letters)))]))
	}
	return b.String()
}

// TestTheBulkConsentCheckDecidesAsComparingTheMAC holds the checker that
// planning runs per customer to the rule it replaces (the row's MAC
// equals ConsentStateMAC's hex): over random rows, their true MAC, a MAC
// of any changed field (fields shifting into each other included), the
// MAC in upper case, cut short, and under a key not in the ring. One
// checker serves every row, as in planning, so its reused buffer and
// hashes are exercised across keys.
func TestTheBulkConsentCheckDecidesAsComparingTheMAC(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 2026))
	v := models.NewConsentMACChecker(testRing)
	for i := range 3000 {
		f := consentRowFields{keyID: []string{"k1", "k2"}[r.IntN(2)], topic: randomField(r), status: randomField(r),
			source: randomField(r), eventHash: randomField(r), customerID: r.Int64N(1 << 40), seq: r.Int64N(100)}
		mac := f.mac()
		if !f.verify(v, mac) {
			t.Fatalf("row %d %+v: its own MAC does not verify", i, f)
		}
		changed := f
		switch r.IntN(6) {
		case 0:
			changed.topic += "x"
		case 1:
			changed.status, changed.source = changed.status+changed.source[:min(1, len(changed.source))], changed.source[min(1, len(changed.source)):]
		case 2:
			changed.eventHash = "x" + changed.eventHash
		case 3:
			changed.customerID++
		case 4:
			changed.seq++
		case 5:
			changed.keyID = map[string]string{"k1": "k2", "k2": "k1"}[changed.keyID]
		}
		if want := changed.mac() == mac; changed.verify(v, mac) != want {
			t.Errorf("row %d changed to %+v: verify = %t, want %t", i, changed, !want, want)
		}
		for _, other := range []string{strings.ToUpper(mac), mac[:len(mac)-1], mac + "0", ""} {
			if other != mac && f.verify(v, other) {
				t.Errorf("row %d: MAC %q verifies, want only %q", i, other, mac)
			}
		}
		unknown := f
		unknown.keyID = "k3"
		if unknown.verify(v, mac) {
			t.Errorf("row %d: a key not in the ring verifies", i)
		}
	}
}

// BenchmarkConsentMACChecker is what planning pays per consent row now
// (compare BenchmarkConsentStateMAC).
func BenchmarkConsentMACChecker(b *testing.B) {
	v := models.NewConsentMACChecker(testRing)
	f := consentRowFields{keyID: "k2", customerID: 123456, topic: "technology-alternatives", status: "opted_in",
		source: "crm", seq: 3, eventHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	keyID, status, source, hash, mac := []byte(f.keyID), []byte(f.status), []byte(f.source), []byte(f.eventHash), []byte(f.mac())
	b.ReportAllocs()
	for b.Loop() {
		if !v.Verify(keyID, f.customerID, f.topic, status, source, f.seq, hash, mac) {
			b.Fatal("does not verify")
		}
	}
}
