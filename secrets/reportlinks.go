package secrets

import (
	"encoding/base64"
	"encoding/binary"
	"time"
)

// PurposeReportLink separates report links from customer tokens: a
// link's MAC covers this purpose, so no customer token verifies as one.
const PurposeReportLink Purpose = 'r'

// reportLinkLen is the decoded length of a report link token: the expiry
// (Unix seconds) and the MAC.
const reportLinkLen = 8 + macLen

// ReportLinkToken signs access to one report page until expires: an HMAC
// of scope (the page's path and canonical query, which the caller
// builds) and the expiry. Anyone holding the token may read that page,
// and no other, until it expires; it rotates with the token keys.
func (k *Keys) ReportLinkToken(scope string, expires time.Time) string {
	b := make([]byte, reportLinkLen)
	binary.BigEndian.PutUint64(b, uint64(expires.Unix()))
	copy(b[8:], tokenMAC(k.token[0], reportLinkPayload(scope, b[:8])))
	return base64.RawURLEncoding.EncodeToString(b)
}

// VerifyReportLinkToken reports whether tok was made by ReportLinkToken
// for scope (under the current key, or the previous one during a
// rotation) and has not expired at now.
func (k *Keys) VerifyReportLinkToken(scope, tok string, now time.Time) bool {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != reportLinkLen {
		return false
	}
	if expires := time.Unix(int64(binary.BigEndian.Uint64(b)), 0); !now.Before(expires) {
		return false
	}
	return k.verifyMAC(reportLinkPayload(scope, b[:8]), b[8:])
}

func reportLinkPayload(scope string, expiry []byte) []byte {
	p := make([]byte, 0, 2+len(expiry)+len(scope))
	p = append(p, tokenV2, byte(PurposeReportLink))
	p = append(p, expiry...)
	return append(p, scope...)
}
