package models_test

import (
	"crypto/hmac"
	"math/rand/v2"
	"testing"

	"github.com/candor/candor/models"
)

// TestOneChainVerifierDecidesEveryEventAsTheFreshDigestsDo checks a
// ChainVerifier reused over thousands of events of both keys, sealed,
// legacy-sealed or hashed, some of them changed, against the oracle of
// digests keyed afresh for each event (KeyedHash, LegacySeal,
// EvidenceDigest): reusing its HMACs across keys and domains must never
// carry state from one event into the next.
func TestOneChainVerifierDecidesEveryEventAsTheFreshDigestsDo(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 2026))
	v := models.NewChainVerifier(testRing)
	base := chain(4)
	var accepted, refused int
	for i := range 4000 {
		e := base[r.IntN(len(base))]
		e.KeyID = []string{"k1", "k2", "k3"}[r.IntN(3)] // k3 is not in the ring
		key, inRing := testRing.LedgerKey(e.KeyID)
		legacy := r.IntN(3) == 0
		if inRing {
			models.DigestEvidenceText(&e.Evidence, key)
			if legacy {
				e.Hash = "unkeyed-" + e.Topic
				e.Seal = e.LegacySeal(key)
			} else {
				e.Hash = e.KeyedHash(key)
			}
		}
		switch r.IntN(5) { // change one field after sealing, or none
		case 0:
			e.Topic += "x"
		case 1:
			e.Evidence.Text += "!"
		case 2:
			e.GlobalPrev = "elsewhere"
		}
		want := oracleVerifies(&e, key, inRing, legacy)
		if got := v.Event(&e) == ""; got != want {
			t.Fatalf("event %d (key %s, legacy %v): the reused verifier says %v, fresh digests say %v", i, e.KeyID, legacy, got, want)
		}
		if want {
			accepted++
		} else {
			refused++
		}
	}
	if accepted < 500 || refused < 500 {
		t.Fatalf("the draw did not exercise both answers: %d accepted, %d refused", accepted, refused)
	}
}

// oracleVerifies is VerifyEvent's rule for events with no raw PII left,
// with every digest keyed afresh.
func oracleVerifies(e *models.ConsentEvent, key []byte, inRing, legacy bool) bool {
	if !inRing {
		return false
	}
	mac, want := e.KeyedHash(key), e.Hash
	if legacy {
		mac, want = e.LegacySeal(key), e.Seal
	}
	return hmac.Equal([]byte(mac), []byte(want)) &&
		models.EvidenceDigest(key, "text", e.Evidence.Text) == e.Evidence.TextDigest &&
		models.EvidenceDigest(key, "form_version", e.Evidence.FormVersion) == e.Evidence.FormVersionDigest &&
		(e.Evidence.IP == "" || models.DigestPII(e.Evidence.Salt, e.Evidence.IP) == e.Evidence.IPDigest) &&
		(e.Evidence.UserAgent == "" || models.DigestPII(e.Evidence.Salt, e.Evidence.UserAgent) == e.Evidence.UserAgentDigest)
}
