package content_test

import (
	"testing"

	"github.com/candor/candor/campaigns/content"
)

// Real sample texts: the plain ones are customer notices as we would
// write them; the hard ones are licence clauses of the kind the checks
// exist to catch.
var (
	plainEN = "We changed how invoices work. You can now pay by bank transfer. The fee is the same as before. If you have questions, reply to this email and a person will answer. We read every reply."
	hardEN  = "Notwithstanding the aforementioned provisions, the licensee shall, pursuant to the terms hereinafter enumerated, indemnify the licensor against any and all liabilities, obligations, damages, penalties, claims, actions, and proceedings arising from unauthorized utilization of the documentation."
	plainDE = "Wir haben die Rechnungen geändert. Sie können jetzt per Überweisung zahlen. Die Gebühr bleibt gleich. Bei Fragen antworten Sie einfach auf diese Mail. Ein Mensch liest jede Antwort und hilft Ihnen gern weiter."
	hardDE  = "Ungeachtet der vorstehenden Bestimmungen verpflichtet sich der Lizenznehmer vorbehaltlich abweichender Individualvereinbarungen zur vollumfänglichen Schadloshaltung des Lizenzgebers hinsichtlich sämtlicher Verbindlichkeiten, Verpflichtungen, Schadensersatzforderungen und Vertragsstrafen infolge unberechtigter Nutzung."
	plainFR = "Nous avons changé les factures. Vous pouvez payer par virement. Le prix reste le même. Si vous avez une question, répondez à ce mail. Une personne lit chaque réponse et vous aide."
	hardFR  = "Nonobstant les dispositions susmentionnées, le licencié s'engage, conformément aux modalités ci-après énumérées, à indemniser intégralement le concédant contre toutes responsabilités, obligations, indemnisations, pénalités, réclamations et procédures consécutives à une utilisation non autorisée de la documentation."
	plainES = "Hemos cambiado las facturas. Ahora puedes pagar por transferencia. El precio es el mismo. Si tienes dudas, responde a este correo. Una persona lee cada respuesta y te ayuda."
	hardES  = "Sin perjuicio de las disposiciones antedichas, el licenciatario se compromete, en virtud de las condiciones enumeradas a continuación, a indemnizar íntegramente al licenciante frente a cualesquiera responsabilidades, obligaciones, indemnizaciones, penalizaciones, reclamaciones y procedimientos derivados de una utilización no autorizada de la documentación."
)

func TestReadingEaseSeparatesPlainFromHardText(t *testing.T) {
	tests := []struct {
		lang, plain, hard string
	}{
		{"en", plainEN, hardEN},
		{"de", plainDE, hardDE},
		{"fr", plainFR, hardFR},
		{"es", plainES, hardES},
	}
	for _, tt := range tests {
		t.Run("a plain "+tt.lang+" notice scores above the threshold and a licence clause below it", func(t *testing.T) {
			plain, ok := content.ReadingEase(tt.lang, tt.plain)
			if !ok || plain < content.MinReadingEase+10 {
				t.Errorf("plain text: score %.1f (ok=%v), want at least %.0f", plain, ok, content.MinReadingEase+10)
			}
			hard, ok := content.ReadingEase(tt.lang, tt.hard)
			if !ok || hard >= content.MinReadingEase {
				t.Errorf("hard text: score %.1f (ok=%v), want below %.0f", hard, ok, content.MinReadingEase)
			}
		})
	}
}

func TestReadingEaseFormulas(t *testing.T) {
	// 20 one-syllable words in 4 sentences: ASL 5, ASW 1, so each formula
	// can be checked by hand.
	text := "The cat sat on mat. The dog ran to park. We all had fun now. It was a hot day."
	tests := []struct {
		lang string
		want float64
	}{
		{"en", 206.835 - 1.015*5 - 84.6*1},
		{"de", 180 - 5 - 58.5*1},
		{"fr", 207 - 1.015*5 - 73.6*1},
		{"es", 206.84 - 0.60*100 - 1.02*20},
	}
	for _, tt := range tests {
		t.Run("the "+tt.lang+" formula matches its published coefficients", func(t *testing.T) {
			if st := content.Stats(tt.lang, text); st.Words != 20 || st.Sentences != 4 || st.Syllables != 20 {
				t.Fatalf("stats = %+v, want 20 words, 4 sentences, 20 syllables", st)
			}
			got, ok := content.ReadingEase(tt.lang, text)
			if !ok || got < tt.want-0.001 || got > tt.want+0.001 {
				t.Errorf("score = %.3f (ok=%v), want %.3f", got, ok, tt.want)
			}
		})
	}
	t.Run("short texts and unsupported languages get no score", func(t *testing.T) {
		if _, ok := content.ReadingEase("en", "Your invoice is ready."); ok {
			t.Error("a four-word text was scored")
		}
		if _, ok := content.ReadingEase("it", text); ok {
			t.Error("Italian was scored without a formula")
		}
	})
}

func TestStatsFindLongSentences(t *testing.T) {
	st := content.Stats("es", hardES)
	if len(st.LongSentences) != 1 || st.LongSentences[0] <= content.MaxSentenceWords {
		t.Errorf("long sentences = %v, want the one clause of %d words", st.LongSentences, st.LongestSentence)
	}
	if st := content.Stats("en", "First line\n\nSecond line. Third one!"); st.Sentences != 3 {
		t.Errorf("sentences = %d, want 3 (a blank line ends a heading)", st.Sentences)
	}
}
