package content

import (
	"strings"
	"unicode/utf16"
)

// SMS encodings.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// gsm7Basic is the GSM 03.38 basic character set; each costs one septet.
const gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsm7Extension characters need an escape septet, so each costs two.
const gsm7Extension = "^{}\\[~]|€\f"

// SMSSegments describes how an SMS text is split for sending.
type SMSSegments struct {
	Encoding string `json:"encoding"`
	// Units are septets for GSM-7 and UTF-16 code units for UCS-2.
	Units    int `json:"units"`
	Segments int `json:"segments"`
}

// CountSMS returns the encoding and segment count of text. A text that
// fits one segment gets 160 septets (GSM-7) or 70 code units (UCS-2); a
// longer one is sent as concatenated segments of 153 or 67, because each
// carries a 6-byte user data header. A single character outside GSM-7
// switches the whole message to UCS-2.
func CountSMS(text string) SMSSegments {
	septets, gsm := 0, true
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsm7Basic, r):
			septets++
		case strings.ContainsRune(gsm7Extension, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		return SMSSegments{Encoding: EncodingGSM7, Units: septets, Segments: segments(septets, 160, 153)}
	}
	units := len(utf16.Encode([]rune(text)))
	return SMSSegments{Encoding: EncodingUCS2, Units: units, Segments: segments(units, 70, 67)}
}

func segments(units, single, multi int) int {
	switch {
	case units == 0:
		return 0
	case units <= single:
		return 1
	}
	return (units + multi - 1) / multi
}
