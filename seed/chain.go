package seed

import (
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// chain seals seeded events into the keyed ledger the way adoption seals
// events written before it (models.ConsentEvent.LegacySeal): each keeps
// its unkeyed per-customer hash, and the seal binds it under the ledger
// key to its place in the global chain. A nil ledger (a loader that does
// not chain) leaves events and consent rows unsealed.
type chain struct {
	ledger *store.BulkLedger
	seq    int64
	prev   string
	// The seed's evidence text is the same for every event, so its keyed
	// digests are computed once.
	textDigest, formDigest string
}

func newChain(l *store.BulkLedger) *chain {
	if l == nil {
		return &chain{}
	}
	var ev models.Evidence
	ev.Text, ev.FormVersion = seedEvidence.Text, seedEvidence.FormVersion
	models.DigestEvidenceText(&ev, l.Key)
	return &chain{ledger: l, seq: l.Seq, prev: l.Prev, textDigest: ev.TextDigest, formDigest: ev.FormVersionDigest}
}

// seal gives e its place after the last event sealed and records it as
// the ledger's new end. Events must be sealed in the order they are
// written.
func (c *chain) seal(e *models.ConsentEvent) {
	if c.ledger == nil {
		return
	}
	c.seq++
	e.KeyID, e.GlobalSeq, e.GlobalPrev = c.ledger.KeyID, c.seq, c.prev
	e.Evidence.TextDigest, e.Evidence.FormVersionDigest = c.textDigest, c.formDigest
	e.Seal = e.LegacySeal(c.ledger.Key)
	c.prev = e.Hash
	c.ledger.End(c.seq, e.Hash)
}

// stateMAC returns the key id and MAC of the current consent row that
// reflects e ("", "" without a ledger). It depends on nothing but e, so
// it runs on any goroutine.
func (c *chain) stateMAC(e *models.ConsentEvent) (keyID, mac string) {
	if c.ledger == nil {
		return "", ""
	}
	return c.ledger.KeyID, models.ConsentStateMAC(c.ledger.Key, c.ledger.KeyID, e.CustomerID, e.Topic, e.Status, e.Source, e.Seq, e.Hash)
}
