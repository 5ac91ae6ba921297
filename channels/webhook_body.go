package channels

import (
	"strconv"
	"unicode/utf8"
)

// appendWebhookBody appends the JSON of e: the bytes json.Marshal gives
// for a WebhookEvent (fields in order, strings escaped as encoding/json
// escapes them, HTML characters included), built in one buffer sized up
// front instead of through reflection (TestWebhookBodyIsMarshal).
func appendWebhookBody(dst []byte, e *WebhookEvent) []byte {
	dst = appendJSONField(dst, `{"type":`, e.Type)
	dst = strconv.AppendInt(append(dst, `,"delivery_id":`...), e.DeliveryID, 10)
	dst = appendJSONField(dst, `,"external_id":`, e.ExternalID)
	dst = appendJSONField(dst, `,"channel":`, string(e.Channel))
	dst = appendJSONField(dst, `,"locale":`, e.Locale)
	dst = appendJSONField(dst, `,"subject":`, e.Subject)
	dst = appendJSONField(dst, `,"text":`, e.Text)
	dst = appendJSONField(dst, `,"html":`, e.HTML)
	dst = appendJSONField(dst, `,"unsubscribe_url":`, e.UnsubscribeURL)
	dst = appendJSONField(dst, `,"preferences_url":`, e.PreferencesURL)
	dst = strconv.AppendInt(append(dst, `,"campaign_id":`...), e.CampaignID, 10)
	dst = strconv.AppendInt(append(dst, `,"content_id":`...), e.ContentID, 10)
	dst = strconv.AppendInt(append(dst, `,"content_version":`...), int64(e.ContentVersion), 10)
	return append(dst, '}')
}

// webhookBodySize is a buffer size that holds e's JSON unless its strings
// need escapes.
func webhookBodySize(e *WebhookEvent) int {
	return 256 + len(e.Type) + len(e.ExternalID) + len(e.Channel) + len(e.Locale) + len(e.Subject) + len(e.Text) + len(e.HTML) +
		len(e.UnsubscribeURL) + len(e.PreferencesURL)
}

func appendJSONField(dst []byte, name, s string) []byte {
	return appendJSONString(append(dst, name...), s)
}

// appendJSONString appends s as encoding/json writes a string with HTML
// escaping on (its appendString): quotes, backslashes, control
// characters, <, > and & escaped, invalid UTF-8 as \ufffd, U+2028 and
// U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(dst, s[start:]...), '"')
}
