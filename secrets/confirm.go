package secrets

import "strconv"

// ConfirmationCode signs a double opt-in link for the customer, the topic
// and the ledger seq of the pending consent it confirms: once that consent
// changes (confirmed, opted out, asked again) the code no longer matches.
// It is a form token over a state no form carries (forms' states never
// hold a NUL), so neither can stand in for the other.
func (k *Keys) ConfirmationCode(customerID int64, topic string, seq int64) string {
	return k.FormToken(customerID, confirmationState(topic, seq))
}

// VerifyConfirmationCode reports whether code is ConfirmationCode of the
// same customer, topic and seq, under the current or previous key.
func (k *Keys) VerifyConfirmationCode(customerID int64, topic string, seq int64, code string) bool {
	return k.VerifyFormToken(customerID, confirmationState(topic, seq), code)
}

func confirmationState(topic string, seq int64) string {
	return "confirm\x00" + topic + "\x00" + strconv.FormatInt(seq, 10)
}
