package web

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestConfirmationMessageIsWrittenInTheCustomersLanguage(t *testing.T) {
	const link = "https://c.example/p/tok/confirm/roadmap?code=x"
	expires := time.Date(2026, time.December, 8, 23, 30, 0, 0, time.UTC)
	topic := &models.Topic{Key: "roadmap", Name: "Roadmap", Description: "What we build next"}
	bare := &models.Topic{Key: "offers", Name: "100% offers"}
	tests := []struct {
		name   string
		locale string
		topic  *models.Topic
		sms    bool
		want   ConfirmationText
	}{
		{"an English email names the topic with its description, the link and the lapse date", "en-GB", topic, false, ConfirmationText{
			Subject:  "Please confirm: Roadmap",
			Text:     "You asked to hear from us about Roadmap (What we build next).\n\nPlease confirm it was you by opening this link:\n" + link + "\n\nIf it was not you, ignore this message: we will send you nothing about it, and the request lapses on 8 December 2026.\n",
			Language: "en"}},
		{"a German email has German month names", "de-AT", topic, false, ConfirmationText{
			Subject:  "Bitte bestätigen: Roadmap",
			Text:     "Sie haben darum gebeten, von uns Nachrichten zu Roadmap (What we build next) zu erhalten.\n\nBitte bestätigen Sie, dass Sie es waren, indem Sie diesen Link öffnen:\n" + link + "\n\nFalls Sie das nicht waren, ignorieren Sie diese Nachricht: Wir senden Ihnen dazu nichts, und die Anfrage verfällt am 8. Dezember 2026.\n",
			Language: "de"}},
		{"a French text message is one line", "fr-CA", topic, true, ConfirmationText{
			Subject:  "Veuillez confirmer : Roadmap",
			Text:     "Confirmez que vous voulez des messages sur Roadmap : " + link + " (ignorez pour refuser)",
			Language: "fr"}},
		{"a Spanish email of a topic without a description", "es", bare, false, ConfirmationText{
			Subject:  "Por favor, confirme: 100% offers",
			Text:     "Ha pedido recibir nuestros mensajes sobre 100% offers.\n\nConfirme que fue usted abriendo este enlace:\n" + link + "\n\nSi no fue usted, ignore este mensaje: no le enviaremos nada al respecto y la solicitud caduca el 8 de diciembre de 2026.\n",
			Language: "es"}},
		{"a locale without a catalogue reads English", "pt-BR", bare, true, ConfirmationText{
			Subject:  "Please confirm: 100% offers",
			Text:     "Confirm you want messages about 100% offers: " + link + " (ignore to decline)",
			Language: "en"}},
		{"no locale reads English", "", bare, true, ConfirmationText{
			Subject:  "Please confirm: 100% offers",
			Text:     "Confirm you want messages about 100% offers: " + link + " (ignore to decline)",
			Language: "en"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ConfirmationMessage(tt.locale, tt.topic, link, expires, tt.sms)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ConfirmationMessage(%q) (-want +got):\n%s", tt.locale, diff)
			}
		})
	}
}

func TestConfirmLinkStaleMessage(t *testing.T) {
	const detail = "This confirmation link expired on 8 December 2026."
	tests := []struct{ name, lang, detail, want string }{
		{"an English page says which and when", "en", detail, detail + " Nothing was changed."},
		{"an English page without a detail reads the catalogue's message", "en", "", MsgConfirmLinkStale},
		{"a German page reads the catalogue's message, not the English detail", "de", detail, MsgConfirmLinkStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConfirmLinkStaleMessage(tt.lang, tt.detail); got != tt.want {
				t.Errorf("ConfirmLinkStaleMessage(%q, %q) = %q, want %q", tt.lang, tt.detail, got, tt.want)
			}
		})
	}
}
