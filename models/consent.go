package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"time"
	"unicode/utf8"
)

// ConsentStatus is a customer's consent for one topic.
type ConsentStatus string

// Consent statuses. StatusNone is never stored: it means "no record".
const (
	ConsentNone     ConsentStatus = "none"
	ConsentPending  ConsentStatus = "pending"
	ConsentOptedIn  ConsentStatus = "opted_in"
	ConsentOptedOut ConsentStatus = "opted_out"
)

// ConsentSource says where a consent change came from.
type ConsentSource string

// Consent sources.
const (
	SourceAPI              ConsentSource = "api"
	SourceCRM              ConsentSource = "crm"
	SourceImport           ConsentSource = "import"
	SourcePreferenceCenter ConsentSource = "preference_center"
	SourceOneClick         ConsentSource = "one_click"
	SourceDoubleOptIn      ConsentSource = "double_opt_in"
	// SourceChannel: a channel provider reported a spam complaint or an
	// SMS STOP reply (only ever an opt-out; see docs/webhooks.md).
	SourceChannel ConsentSource = "channel"
)

// APISources are the sources an API client may claim. The others are
// recorded only by Candor itself, when the customer acted on a Candor page.
var APISources = []ConsentSource{SourceAPI, SourceCRM, SourceImport}

// Evidence documents how consent was obtained. IP and UserAgent are PII:
// the hash chain covers only their salted digests, so erasure can delete
// the raw values while the chain still verifies.
type Evidence struct {
	Text        string `json:"text,omitempty"`
	FormVersion string `json:"form_version,omitempty"`
	IP          string `json:"ip,omitempty"`
	UserAgent   string `json:"user_agent,omitempty"`

	// Set by Candor, never by clients (so not decoded from JSON).
	Salt            string `json:"-"`
	IPDigest        string `json:"-"`
	UserAgentDigest string `json:"-"`
	// TextDigest and FormVersionDigest are keyed digests of the free text
	// (EvidenceDigest): the chain covers them, and they are all that
	// remains of the text after erasure.
	TextDigest        string `json:"-"`
	FormVersionDigest string `json:"-"`
}

// MarshalJSON adds the digests to the output, so an erased ledger still
// shows what its chain covers. The salt stays private, so a digest cannot
// be used to test guesses of an erased IP address.
func (e Evidence) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Text              string `json:"text,omitempty"`
		FormVersion       string `json:"form_version,omitempty"`
		IP                string `json:"ip,omitempty"`
		UserAgent         string `json:"user_agent,omitempty"`
		TextDigest        string `json:"text_digest,omitempty"`
		FormVersionDigest string `json:"form_version_digest,omitempty"`
		IPDigest          string `json:"ip_digest,omitempty"`
		UserAgentDigest   string `json:"user_agent_digest,omitempty"`
	}{e.Text, e.FormVersion, e.IP, e.UserAgent, e.TextDigest, e.FormVersionDigest, e.IPDigest, e.UserAgentDigest})
}

// ConsentInput is the body of PUT /v1/customers/{id}/consents/{topic}.
type ConsentInput struct {
	Status   ConsentStatus `json:"status"`
	Source   ConsentSource `json:"source"`
	Evidence Evidence      `json:"evidence"`
}

// Validate checks an API consent change. An empty source means "api".
func (in *ConsentInput) Validate() error {
	var p Problems
	if in.Status != ConsentOptedIn && in.Status != ConsentOptedOut {
		p.Add("/status", "enum", "must be opted_in or opted_out, got %q", in.Status)
	}
	if in.Source == "" {
		in.Source = SourceAPI
	}
	allowed := false
	for _, s := range APISources {
		allowed = allowed || s == in.Source
	}
	if !allowed {
		p.Add("/source", "enum", "must be api, crm or import (other sources are recorded by Candor's own pages), got %q", in.Source)
	}
	ValidateEvidence(&p, in.Evidence)
	return p.Err()
}

// ValidateEvidence checks the size and shape of consent evidence.
func ValidateEvidence(p *Problems, ev Evidence) {
	checkText(p, "/evidence/text", ev.Text)
	checkText(p, "/evidence/form_version", ev.FormVersion)
	checkText(p, "/evidence/ip", ev.IP)
	checkText(p, "/evidence/user_agent", ev.UserAgent)
	if utf8.RuneCountInString(ev.Text) > 10000 {
		p.Add("/evidence/text", "max_length", "must be at most 10000 characters")
	}
	if utf8.RuneCountInString(ev.FormVersion) > 100 {
		p.Add("/evidence/form_version", "max_length", "must be at most 100 characters")
	}
	if ev.IP != "" {
		if _, err := netip.ParseAddr(ev.IP); err != nil {
			p.Add("/evidence/ip", "ip_address", "must be an IPv4 or IPv6 address")
		}
	}
	if utf8.RuneCountInString(ev.UserAgent) > 1000 {
		p.Add("/evidence/user_agent", "max_length", "must be at most 1000 characters")
	}
}

// ConsentEvent is one entry of a customer's append-only consent ledger.
// Seq numbers a customer's events 1, 2, 3, ... (unique per customer) and
// Hash chains each event to the previous one (a keyed MAC, KeyedHash;
// see ledger.go). GlobalSeq numbers every customer's events together and
// GlobalPrev is the Hash of the event before in that order.
type ConsentEvent struct {
	ID         int64         `json:"-"`
	CustomerID int64         `json:"-"`
	Seq        int64         `json:"seq"`
	Topic      string        `json:"topic"`
	Status     ConsentStatus `json:"status"`
	Source     ConsentSource `json:"source"`
	Evidence   Evidence      `json:"evidence"`
	CreatedAt  time.Time     `json:"created_at"`
	PrevHash   string        `json:"prev_hash"`
	Hash       string        `json:"hash"`
	// KeyID names the ledger key the event is sealed with.
	KeyID      string `json:"key_id"`
	GlobalSeq  int64  `json:"global_seq"`
	GlobalPrev string `json:"-"`
	// Seal is the MAC of an event written before the ledger was keyed
	// (LegacySeal); empty for keyed events, whose Hash is their MAC.
	Seal string `json:"-"`
}

// Consent is the current state of one (customer, topic) pair.
type Consent struct {
	Topic     string        `json:"topic"`
	Status    ConsentStatus `json:"status"`
	Source    ConsentSource `json:"source,omitempty"`
	UpdatedAt *time.Time    `json:"updated_at,omitempty"`
}

// ChainStatus reports whether a consent ledger verifies.
type ChainStatus struct {
	Verified bool   `json:"verified"`
	Length   int    `json:"length"`
	BrokenAt int64  `json:"broken_at,omitempty"` // seq of the first bad event
	Reason   string `json:"reason,omitempty"`
}

// ConsentLedger is the answer of GET /v1/customers/{id}/consents.
type ConsentLedger struct {
	Current []Consent      `json:"current"`
	History []ConsentEvent `json:"history"`
	Chain   ChainStatus    `json:"chain"`
}

// TimeFormat is the canonical UTC timestamp format at microsecond
// precision, used in hashes and wherever times are stored as text.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// DigestPII returns the salted SHA-256 of a PII value ("" for "").
func DigestPII(salt, value string) string {
	if value == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(salt + "\x00" + value))
	return hex.EncodeToString(sum[:])
}

// SealEvidence fills the salted digests of ev's PII from its raw values.
func SealEvidence(ev *Evidence, salt string) {
	ev.Salt = salt
	ev.IPDigest = DigestPII(salt, ev.IP)
	ev.UserAgentDigest = DigestPII(salt, ev.UserAgent)
}

// ComputeHash returns the unkeyed SHA-256 (hex) of the event's canonical
// content as events were chained before the ledger was keyed (kept for
// data written that way, such as seed data before it is adopted): a JSON
// array of every field in fixed order, the UTC timestamp at microsecond
// precision, PII as salted digests, and the previous hash.
func (e *ConsentEvent) ComputeHash() string {
	canonical, _ := json.Marshal([]any{
		"candor-consent-v1", e.CustomerID, e.Seq, e.Topic, string(e.Status), string(e.Source),
		e.Evidence.Text, e.Evidence.FormVersion, e.Evidence.IPDigest, e.Evidence.UserAgentDigest,
		e.CreatedAt.UTC().Format(TimeFormat), e.PrevHash,
	})
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}
