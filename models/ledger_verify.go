package models

import (
	"crypto/hmac"
	"crypto/sha256"
)

// ChainVerifier checks events and chains under one keyring, keeping one
// keyed HMAC and one buffer per key: a full verification MACs every event
// of the ledger (1.44M at 1M customers), and keying a new HMAC for each
// digest was about a seventh of the verifier's CPU (docs/benchmarks.md,
// "Session 11"). The digests are the functions' own (the same field
// encoding runs). Not safe for concurrent use.
type ChainVerifier struct {
	keys LedgerKeys
	macs map[string]*ledgerMAC
}

// NewChainVerifier returns a verifier over keys.
func NewChainVerifier(keys LedgerKeys) *ChainVerifier {
	return &ChainVerifier{keys: keys, macs: map[string]*ledgerMAC{}}
}

// VerifyEvent checks one event on its own: its key is in the ring, its
// MAC (KeyedHash, or LegacySeal for an event written before the ledger
// was keyed) matches, and raw evidence still present matches its digest.
// It returns "" or why the event does not verify.
func VerifyEvent(e *ConsentEvent, keys LedgerKeys) string {
	return NewChainVerifier(keys).Event(e)
}

// VerifyChain checks a customer's events in seq order: consecutive seq
// numbers from 1, each PrevHash equal to the previous Hash, and each event
// verifying on its own (VerifyEvent). Whether the customer's last events
// are all there is the global chain's business (store.VerifyLedger).
func VerifyChain(events []ConsentEvent, keys LedgerKeys) ChainStatus {
	return NewChainVerifier(keys).Chain(events)
}

// Event is VerifyEvent under v's keyring.
func (v *ChainVerifier) Event(e *ConsentEvent) string {
	if e.KeyID == "" {
		return "event is not sealed with a ledger key (written before the keyed ledger and never adopted)"
	}
	m := v.macs[e.KeyID]
	if m == nil {
		key, ok := v.keys.LedgerKey(e.KeyID)
		if !ok {
			return "event is sealed with key " + e.KeyID + ", which is not in the keyring"
		}
		m = &ledgerMAC{key: key, buf: make([]byte, 0, 512), h: hmac.New(sha256.New, key)}
		v.macs[e.KeyID] = m
	}
	if e.Seal != "" {
		if !hmac.Equal([]byte(e.content(m.restart(legacySealDomain)).str(e.Hash).hex()), []byte(e.Seal)) {
			return "content does not match its seal"
		}
	} else if !hmac.Equal([]byte(e.content(m.restart(keyedHashDomain)).hex()), []byte(e.Hash)) {
		return "content does not match its hash"
	}
	evidence := func(field, value string) string { return m.restart(evidenceDomain).str(field).str(value).hex() }
	switch {
	case e.Evidence.Text != "" && evidence("text", e.Evidence.Text) != e.Evidence.TextDigest:
		return "evidence text does not match its digest"
	case e.Evidence.FormVersion != "" && evidence("form_version", e.Evidence.FormVersion) != e.Evidence.FormVersionDigest:
		return "evidence form_version does not match its digest"
	case e.Evidence.IP != "" && DigestPII(e.Evidence.Salt, e.Evidence.IP) != e.Evidence.IPDigest:
		return "evidence ip does not match its digest"
	case e.Evidence.UserAgent != "" && DigestPII(e.Evidence.Salt, e.Evidence.UserAgent) != e.Evidence.UserAgentDigest:
		return "evidence user_agent does not match its digest"
	}
	return ""
}

// Chain is VerifyChain under v's keyring.
func (v *ChainVerifier) Chain(events []ConsentEvent) ChainStatus {
	prev := ""
	for i := range events {
		e := &events[i]
		reason := ""
		switch {
		case e.Seq != int64(i+1):
			reason = "sequence gap or duplicate"
		case e.PrevHash != prev:
			reason = "prev_hash does not match the previous event"
		default:
			reason = v.Event(e)
		}
		if reason != "" {
			return ChainStatus{Verified: false, Length: len(events), BrokenAt: e.Seq, Reason: reason}
		}
		prev = e.Hash
	}
	return ChainStatus{Verified: true, Length: len(events)}
}
