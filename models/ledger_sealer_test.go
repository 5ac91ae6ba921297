package models_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// TestTheLedgerSealerComputesTheFunctionsMACs holds the sealer the seed
// reuses for every event of a chunk to LegacySeal and ConsentStateMAC:
// one sealer over random events, alternating the two MACs and fields of
// every length, so its reused buffer and HMAC carry nothing from one
// digest into the next.
func TestTheLedgerSealerComputesTheFunctionsMACs(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	key := []byte("0123456789abcdef0123456789abcdef")
	sealer := models.NewLedgerSealer(key)
	for i := range 2000 {
		e := &models.ConsentEvent{
			KeyID: randomField(r), CustomerID: r.Int64N(1 << 40), Seq: r.Int64N(100), Topic: randomField(r),
			Status: models.ConsentStatus(randomField(r)), Source: models.ConsentSource(randomField(r)),
			CreatedAt: time.Unix(r.Int64N(1<<31), r.Int64N(1e9)), PrevHash: randomField(r), Hash: randomField(r),
			GlobalSeq: r.Int64N(1 << 40), GlobalPrev: randomField(r),
		}
		e.Evidence.TextDigest, e.Evidence.FormVersionDigest = randomField(r), randomField(r)
		e.Evidence.IPDigest, e.Evidence.UserAgentDigest = randomField(r), randomField(r)
		if got, want := sealer.LegacySeal(e), e.LegacySeal(key); got != want {
			t.Fatalf("event %d: sealer's LegacySeal %s, want %s", i, got, want)
		}
		got := sealer.ConsentStateMAC(e.KeyID, e.CustomerID, e.Topic, e.Status, e.Source, e.Seq, e.Hash)
		if want := models.ConsentStateMAC(key, e.KeyID, e.CustomerID, e.Topic, e.Status, e.Source, e.Seq, e.Hash); got != want {
			t.Fatalf("event %d: sealer's ConsentStateMAC %s, want %s", i, got, want)
		}
	}
}
