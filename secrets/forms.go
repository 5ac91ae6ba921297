package secrets

import (
	"encoding/base64"
	"encoding/binary"
)

// FormToken returns the anti-forgery value of a form shown to a customer:
// an HMAC of the customer's id and the page's state, which the caller
// builds from everything a stale form could overwrite (token epoch,
// preference version, consent sequence). A form is accepted only while
// that state is unchanged, so it cannot be forged without the secret
// (CSRF), nor replayed after the customer changed something since.
func (k *Keys) FormToken(customerID int64, state string) string {
	return base64.RawURLEncoding.EncodeToString(tokenMAC(k.token[0], formPayload(customerID, state)))
}

// VerifyFormToken reports whether tok is FormToken(customerID, state)
// under the current key, or the previous one during a rotation.
func (k *Keys) VerifyFormToken(customerID int64, state, tok string) bool {
	mac, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(mac) != macLen {
		return false
	}
	return k.verifyMAC(formPayload(customerID, state), mac)
}

func formPayload(customerID int64, state string) []byte {
	b := make([]byte, 10, 10+len(state))
	b[0], b[1] = tokenV2, byte(PurposeForm)
	binary.BigEndian.PutUint64(b[2:], uint64(customerID))
	return append(b, state...)
}
