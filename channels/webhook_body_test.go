package channels

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/candor/candor/models"
)

// webhookBodyAlphabet holds what needs care in a JSON string: every
// escaped ASCII byte, HTML characters, multi-byte runes, U+2028/2029,
// U+FFFD itself and bytes that are not UTF-8 (alone, truncated runes).
var webhookBodyAlphabet = []string{"a", "Z", " ", "\"", "\\", "/", "<", ">", "&", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f",
	"\x7f", "é", "€", "𝄞", "\u2028", "\u2029", "\ufffd", "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "{{.Name}}", "https://x/u/a?b=c&d"}

func randomJSONText(r *rand.Rand) string {
	var b bytes.Buffer
	for range r.IntN(40) {
		b.WriteString(webhookBodyAlphabet[r.IntN(len(webhookBodyAlphabet))])
	}
	return b.String()
}

// TestWebhookBodyIsMarshal: the body is byte for byte what json.Marshal
// gives for the WebhookEvent (receivers verify the signature over these
// bytes, and the outbox stores them), for any text, valid UTF-8 or not.
func TestWebhookBodyIsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := []int64{0, 1, -1, math.MaxInt64, math.MinInt64}
	for i := range 5000 {
		m := &Message{DeliveryID: ids[i%len(ids)] + int64(r.IntN(3)), To: randomJSONText(r), Locale: randomJSONText(r),
			Subject: randomJSONText(r), Text: randomJSONText(r), HTML: randomJSONText(r), UnsubscribeURL: randomJSONText(r),
			PreferencesURL: randomJSONText(r), CampaignID: ids[(i+1)%len(ids)], ContentID: ids[(i+2)%len(ids)],
			ContentVersion: int(ids[(i+3)%len(ids)])}
		want, err := json.Marshal(WebhookEvent{Type: "message.send", DeliveryID: m.DeliveryID, ExternalID: m.To,
			Channel: models.ChannelWebhook, Locale: m.Locale, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
			UnsubscribeURL: m.UnsubscribeURL, PreferencesURL: m.PreferencesURL, CampaignID: m.CampaignID,
			ContentID: m.ContentID, ContentVersion: m.ContentVersion})
		if err != nil {
			t.Fatal(err)
		}
		got, err := WebhookBody(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("message %d: body\n%s\njson.Marshal gives\n%s", i, got, want)
		}
	}
}
