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
//
// The global chain is sequential, but what a seal needs of it is cheap:
// an event's place (how many events come before it) and the hash of the
// event before it, which is that event's own unkeyed hash. So each chunk
// of customers, once generated, takes the chain's end from the chunk
// before it, hands its own end to the next chunk at once, and then seals
// its events on its own core.
type chain struct {
	ledger *store.BulkLedger
	// The seed's evidence text is the same for every event, so its keyed
	// digests are computed once.
	textDigest, formDigest string
	// ends[i] is where the chain stands after chunk i, set once.
	ends []chainEnd
}

// chainEnd is the chain's position after a chunk: the global sequence
// number and hash of its last event. done is closed once it is set.
type chainEnd struct {
	done chan struct{}
	seq  int64
	hash string
}

func newChain(l *store.BulkLedger, chunks int) *chain {
	if l == nil {
		return &chain{}
	}
	var ev models.Evidence
	ev.Text, ev.FormVersion = seedEvidence.Text, seedEvidence.FormVersion
	models.DigestEvidenceText(&ev, l.Key)
	c := &chain{ledger: l, textDigest: ev.TextDigest, formDigest: ev.FormVersionDigest, ends: make([]chainEnd, chunks)}
	for i := range c.ends {
		c.ends[i].done = make(chan struct{})
	}
	return c
}

// seal gives the events of chunk i (its customers, in order) their
// places after those of chunk i-1, waiting until chunk i-1 has taken its
// own, and records the load's end in the ledger after the last chunk.
// It must be called once per chunk; the chunks of a table start in
// order, so the wait always ends.
func (c *chain) seal(i int, customers []seedCustomer) {
	if c.ledger == nil {
		return
	}
	seq, prev := c.ledger.Seq, c.ledger.Prev
	if i > 0 {
		before := &c.ends[i-1]
		<-before.done
		seq, prev = before.seq, before.hash
	}
	first, firstPrev := seq, prev
	for _, sc := range customers {
		if n := len(sc.events); n > 0 {
			seq += int64(n)
			prev = sc.events[n-1].Hash
		}
	}
	end := &c.ends[i]
	end.seq, end.hash = seq, prev
	if i == len(c.ends)-1 && seq > c.ledger.Seq {
		c.ledger.End(seq, prev)
	}
	close(end.done)

	seq, prev = first, firstPrev
	sealer := models.NewLedgerSealer(c.ledger.Key)
	for _, sc := range customers {
		for k := range sc.events {
			e := &sc.events[k]
			seq++
			e.KeyID, e.GlobalSeq, e.GlobalPrev = c.ledger.KeyID, seq, prev
			e.Evidence.TextDigest, e.Evidence.FormVersionDigest = c.textDigest, c.formDigest
			e.Seal = sealer.LegacySeal(e)
			prev = e.Hash
		}
	}
}

// sealer returns a sealer under the ledger key for one chunk's consent
// rows (nil without a ledger).
func (c *chain) sealer() *models.LedgerSealer {
	if c.ledger == nil {
		return nil
	}
	return models.NewLedgerSealer(c.ledger.Key)
}

// stateMAC returns the key id and MAC of the current consent row that
// reflects e ("", "" without a ledger), computed by sealer (chain.sealer,
// one per goroutine). It depends on nothing but e, so it runs on any
// goroutine.
func (c *chain) stateMAC(sealer *models.LedgerSealer, e *models.ConsentEvent) (keyID, mac string) {
	if c.ledger == nil {
		return "", ""
	}
	return c.ledger.KeyID, sealer.ConsentStateMAC(c.ledger.KeyID, e.CustomerID, e.Topic, e.Status, e.Source, e.Seq, e.Hash)
}
