package models

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
	"time"
)

// The keyed consent ledger (issue 15). Every consent event is bound by a
// MAC under a ledger key (an HKDF subkey of CANDOR_SECRET_KEY, named by a
// key id recorded on the event) to its content, to the previous event of
// its customer (PrevHash) and to the previous event of all customers
// (GlobalSeq, GlobalPrev). A head row holds the last global event under a
// MAC of its own. So without the secret nobody can change an event, add
// one, or delete one (a customer's whole history or its last events)
// without breaking the chain; see docs/ledger.md.

// LedgerKeys is the keyring that seals and verifies the ledger: the
// current key, with which new events are sealed, and previous ones, which
// still verify the events sealed before a rotation.
type LedgerKeys interface {
	// CurrentLedgerKey returns the id and the key new events are sealed with.
	CurrentLedgerKey() (id string, key []byte)
	// LedgerKey returns the key of a key id, false if it is not in the ring.
	LedgerKey(id string) ([]byte, bool)
}

// ledgerMAC builds one keyed digest over length-prefixed fields, so no two
// field lists encode alike. The fields are gathered in one buffer and
// hashed once (verification computes millions of these).
type ledgerMAC struct {
	key []byte
	buf []byte
	// h, when set, is a keyed HMAC under key that hex reuses (a
	// LedgerSealer's); otherwise hex keys a new one.
	h hash.Hash
}

func newLedgerMAC(key []byte, domain string) *ledgerMAC {
	m := &ledgerMAC{key: key, buf: make([]byte, 0, 512)}
	return m.str(domain)
}

// restart empties m for a new digest in domain, keeping its buffer.
func (m *ledgerMAC) restart(domain string) *ledgerMAC {
	m.buf = m.buf[:0]
	return m.str(domain)
}

func (m *ledgerMAC) str(s string) *ledgerMAC {
	m.buf = binary.AppendUvarint(m.buf, uint64(len(s)))
	m.buf = append(m.buf, s...)
	return m
}

func (m *ledgerMAC) int(i int64) *ledgerMAC {
	var n [20]byte
	return m.str(string(strconv.AppendInt(n[:0], i, 10)))
}

func (m *ledgerMAC) hex() string {
	h := m.h
	if h == nil {
		h = hmac.New(sha256.New, m.key)
	} else {
		h.Reset()
	}
	h.Write(m.buf)
	var sum [sha256.Size]byte
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], h.Sum(sum[:0]))
	return string(out[:])
}

// EvidenceDigest returns the keyed digest of a free-text evidence field
// ("" for ""). The chain covers the digest, not the text, so erasure can
// drop the text and the chain still verifies; the key keeps a short text
// from being guessed by hashing candidates.
func EvidenceDigest(key []byte, field, value string) string {
	if value == "" {
		return ""
	}
	return newLedgerMAC(key, evidenceDomain).str(field).str(value).hex()
}

// DigestEvidenceText fills ev's text digests from its text under key.
func DigestEvidenceText(ev *Evidence, key []byte) {
	ev.TextDigest = EvidenceDigest(key, "text", ev.Text)
	ev.FormVersionDigest = EvidenceDigest(key, "form_version", ev.FormVersion)
}

// KeyedHash returns the MAC that is the Hash of a keyed (version 2)
// event: its content with free text and PII as digests, its customer's
// previous hash, and its place in the global chain.
func (e *ConsentEvent) KeyedHash(key []byte) string {
	return e.content(newLedgerMAC(key, keyedHashDomain)).hex()
}

// LegacySeal returns the MAC that seals an event written before the
// ledger was keyed: the same fields as KeyedHash plus its unkeyed Hash,
// which stays as it was so that links to it keep holding.
func (e *ConsentEvent) LegacySeal(key []byte) string {
	return e.content(newLedgerMAC(key, legacySealDomain)).str(e.Hash).hex()
}

func (e *ConsentEvent) content(m *ledgerMAC) *ledgerMAC {
	return m.str(e.KeyID).int(e.CustomerID).int(e.Seq).str(e.Topic).str(string(e.Status)).str(string(e.Source)).
		str(e.Evidence.TextDigest).str(e.Evidence.FormVersionDigest).str(e.Evidence.IPDigest).
		str(e.Evidence.UserAgentDigest).str(e.CreatedAt.UTC().Format(TimeFormat)).str(e.PrevHash).
		int(e.GlobalSeq).str(e.GlobalPrev)
}

// ConsentStateMAC binds a current consent row to the ledger event it
// reflects, so planning can trust the row without reading the ledger.
func ConsentStateMAC(key []byte, keyID string, customerID int64, topic string, status ConsentStatus, source ConsentSource, seq int64, eventHash string) string {
	return consentState(newLedgerMAC(key, consentStateDomain), keyID, customerID, topic, status, source, seq, eventHash).hex()
}

// The domains of the MACs that a LedgerSealer or a ChainVerifier also
// computes.
const (
	keyedHashDomain    = "candor-consent-v2"
	legacySealDomain   = "candor-consent-legacy-v1"
	consentStateDomain = "candor-consent-state-v1"
	evidenceDomain     = "candor-evidence-v1"
)

// consentState writes the fields of a consent-state MAC after its domain.
func consentState(m *ledgerMAC, keyID string, customerID int64, topic string, status ConsentStatus, source ConsentSource, seq int64, eventHash string) *ledgerMAC {
	return m.str(keyID).int(customerID).str(topic).str(string(status)).str(string(source)).int(seq).str(eventHash)
}

// LedgerSealer computes LegacySeal and ConsentStateMAC under one key for
// many events, reusing one keyed HMAC and one buffer: the seed seals
// 1.44M events and MACs 1.25M consent rows at 1M customers, and keying a
// new HMAC and buffer for each was a third of what it allocated. The
// digests are the functions' own (the same field encoding runs). Not safe
// for concurrent use.
type LedgerSealer struct{ m ledgerMAC }

// NewLedgerSealer returns a sealer under key.
func NewLedgerSealer(key []byte) *LedgerSealer {
	return &LedgerSealer{m: ledgerMAC{key: key, buf: make([]byte, 0, 512), h: hmac.New(sha256.New, key)}}
}

// LegacySeal returns e.LegacySeal(key).
func (s *LedgerSealer) LegacySeal(e *ConsentEvent) string {
	return e.content(s.m.restart(legacySealDomain)).str(e.Hash).hex()
}

// ConsentStateMAC returns ConsentStateMAC(key, ...) of the same fields.
func (s *LedgerSealer) ConsentStateMAC(keyID string, customerID int64, topic string, status ConsentStatus, source ConsentSource, seq int64, eventHash string) string {
	return consentState(s.m.restart(consentStateDomain), keyID, customerID, topic, status, source, seq, eventHash).hex()
}

// LedgerHeadMAC seals the head of the global chain: its length and the
// hash of its last event, so cutting events off its end shows.
func LedgerHeadMAC(key []byte, keyID string, seq int64, hash string) string {
	return newLedgerMAC(key, "candor-ledger-head-v1").str(keyID).int(seq).str(hash).hex()
}

// LedgerVerificationMAC seals the record of a completed verification
// (its instant to the microsecond, the head it verified, what it counted
// and found, and who ran it), so that a database writer without the
// secret cannot forge one that postpones the next verification or lowers
// the head a later one must reach, nor alter a kept one unseen. A record
// with the head's hash is sealed in a domain of its own (v2); one without
// (written before the hash was kept, or of an empty ledger) as before.
func LedgerVerificationMAC(key []byte, keyID string, v *LedgerVerification) string {
	m := newLedgerMAC(key, "candor-ledger-verification-v1")
	if v.HeadHash != "" {
		m.restart("candor-ledger-verification-v2").str(v.HeadHash)
	}
	return m.str(keyID).int(v.FinishedAt.UnixMicro()).int(v.HeadSeq).
		int(v.Customers).int(v.Events).int(v.Problems).int(v.Duration.Milliseconds()).str(v.Worker).hex()
}

// LedgerAnchorMAC seals a ledger head kept outside the database
// (worker.RedisHeadAnchor): its length and, when known, the hash of its
// event and of the ledger's first event (in a domain of its own, as
// LedgerVerificationMAC), so that a value there that the ledger did not
// write counts for nothing.
func LedgerAnchorMAC(key []byte, keyID string, head LedgerFloor) string {
	if head.Hash == "" && head.Genesis == "" {
		return newLedgerMAC(key, "candor-ledger-anchor-v1").str(keyID).int(head.Seq).hex()
	}
	return newLedgerMAC(key, "candor-ledger-anchor-v2").str(keyID).int(head.Seq).str(head.Hash).str(head.Genesis).hex()
}

// LedgerFloor is a head of the global chain that an earlier verification
// found intact. A later verification must find the chain at least Seq
// long and, when Hash is known, event Seq to be the same event: a ledger
// cut back below a verified head and grown past it again by new events
// is as long as before, but holds another event there.
type LedgerFloor struct {
	Seq  int64
	Hash string
	// Genesis is the hash of the ledger's first event, for a floor kept
	// outside the database ("" when not known): a floor of another ledger
	// (a database recreated while Redis kept its anchor) is no floor,
	// and no writer without the secret can give a ledger another first
	// event that verifies.
	Genesis string
	// Source says which verification found it, for the report.
	Source string
}

// SealCheck is how a value sealed under a ledger key (a MAC and the id of
// the key that made it) stands against the keyring.
type SealCheck int

const (
	// SealUnknownKey: no MAC, or a key id the ring does not hold (a key
	// retired by a second rotation, or a made-up id). The value counts
	// for nothing, but proves no tampering either.
	SealUnknownKey SealCheck = iota
	// SealValid: the MAC verifies under the key of the ring it names.
	SealValid
	// SealBroken: the key is in the ring and the MAC does not verify:
	// the value was altered after it was sealed, or forged.
	SealBroken
)

// CheckSeal looks up keyID in keys and compares mac, in constant time,
// with seal's MAC under that key.
func CheckSeal(keys LedgerKeys, keyID, mac string, seal func(key []byte) string) SealCheck {
	if mac == "" {
		return SealUnknownKey
	}
	key, ok := keys.LedgerKey(keyID)
	switch {
	case !ok:
		return SealUnknownKey
	case hmac.Equal([]byte(seal(key)), []byte(mac)):
		return SealValid
	default:
		return SealBroken
	}
}

// LedgerProblem is one break found by a full ledger verification.
type LedgerProblem struct {
	// CustomerID is the customer whose chain broke (0 for the global
	// chain or its head).
	CustomerID int64 `json:"customer_id,omitempty"`
	// Seq is the customer's event (0 if none in particular).
	Seq int64 `json:"seq,omitempty"`
	// GlobalSeq is the event's place in the global chain (0 if none).
	GlobalSeq int64  `json:"global_seq,omitempty"`
	Reason    string `json:"reason"`
}

// LedgerReport is the outcome of a full ledger verification.
type LedgerReport struct {
	Customers int64 `json:"customers"`
	Events    int64 `json:"events"`
	// HeadSeq and HeadHash are the global chain's head as verified;
	// GenesisHash is the hash of its first event ("" when empty).
	HeadSeq     int64  `json:"head_seq"`
	HeadHash    string `json:"head_hash"`
	GenesisHash string `json:"genesis_hash"`
	// Problems found, at most MaxLedgerProblems of them; Broken counts all.
	Problems []LedgerProblem `json:"problems"`
	Broken   int64           `json:"broken"`
}

// LedgerVerification is one completed verification of the whole ledger,
// as the worker keeps it: when it finished, the head it verified and what
// it found. The newest one tells every process when the ledger is due
// again and which head a later verification must not fall behind.
type LedgerVerification struct {
	FinishedAt time.Time
	HeadSeq    int64
	// HeadHash is the hash of event HeadSeq: a later verification finds
	// the same event there, not only a chain as long.
	HeadHash  string
	Customers int64
	Events    int64
	Problems  int64
	Duration  time.Duration
	Worker    string
}

// MaxLedgerProblems bounds the problems a report lists.
const MaxLedgerProblems = 100

// OK reports whether the ledger verified.
func (r *LedgerReport) OK() bool { return r.Broken == 0 }

// Add records a problem.
func (r *LedgerReport) Add(p LedgerProblem) {
	r.Broken++
	if len(r.Problems) < MaxLedgerProblems {
		r.Problems = append(r.Problems, p)
	}
}

// LedgerProgress is reported while a verification runs.
type LedgerProgress struct {
	Phase               string // "global" or "customers"
	Done, Total, Events int64
}
