package content_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/content"
)

func TestCountSMS(t *testing.T) {
	tests := []struct {
		name string
		text string
		want content.SMSSegments
	}{
		{"an empty text needs no segment", "", content.SMSSegments{Encoding: "GSM-7"}},
		{"160 GSM-7 characters fit one segment", strings.Repeat("a", 160), content.SMSSegments{Encoding: "GSM-7", Units: 160, Segments: 1}},
		{"161 GSM-7 characters need two segments of 153", strings.Repeat("a", 161), content.SMSSegments{Encoding: "GSM-7", Units: 161, Segments: 2}},
		{"extension characters such as the euro sign cost two septets", strings.Repeat("€", 80), content.SMSSegments{Encoding: "GSM-7", Units: 160, Segments: 1}},
		{"German umlauts of the basic set stay GSM-7", "Grüße aus Köln, Ihr Team", content.SMSSegments{Encoding: "GSM-7", Units: 24, Segments: 1}},
		{"one character outside GSM-7 switches to UCS-2", "Ça coûte 5 €", content.SMSSegments{Encoding: "UCS-2", Units: 12, Segments: 1}},
		{"71 UCS-2 units need two segments of 67", strings.Repeat("ú", 71), content.SMSSegments{Encoding: "UCS-2", Units: 71, Segments: 2}},
		{"an emoji counts as two UTF-16 units", "ok 👍", content.SMSSegments{Encoding: "UCS-2", Units: 5, Segments: 1}},
		{"a Spanish text with á is UCS-2 and 202 units need four segments", strings.Repeat("á", 202), content.SMSSegments{Encoding: "UCS-2", Units: 202, Segments: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, content.CountSMS(tt.text)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
