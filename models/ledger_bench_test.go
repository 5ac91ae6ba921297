package models_test

import (
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// BenchmarkConsentStateMAC is what planning adds per customer: one MAC
// of the consent row it already loaded.
func BenchmarkConsentStateMAC(b *testing.B) {
	key := testRing["k2"]
	for b.Loop() {
		models.ConsentStateMAC(key, "0123456789abcdef", 123456, "technology-alternatives", models.ConsentOptedIn,
			models.SourceCRM, 3, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	}
}

// BenchmarkKeyedHash is what verification pays per event.
func BenchmarkKeyedHash(b *testing.B) {
	e := models.ConsentEvent{CustomerID: 123456, Seq: 3, Topic: "technology-alternatives", Status: models.ConsentOptedIn,
		Source: models.SourceCRM, CreatedAt: time.Now(), PrevHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		KeyID: "0123456789abcdef", GlobalSeq: 1234567, GlobalPrev: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	key := testRing["k2"]
	for b.Loop() {
		e.KeyedHash(key)
	}
}
