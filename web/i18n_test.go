package web

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/language"

	"github.com/candor/candor/models"
)

// loadPages loads the pages, which also registers the templates' messages.
func loadPages(t *testing.T) *Pages {
	t.Helper()
	p, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var placeholder = regexp.MustCompile(`%(\[\d+\])?[a-z]`)

// placeholders lists the verbs of a message, sorted: a translation may
// reorder them but must keep each one.
func placeholders(s string) []string {
	p := placeholder.FindAllString(s, -1)
	slices.Sort(p)
	return p
}

// TestEveryMessageHasATranslationInEveryCatalogue fails when a text a
// page shows (a literal passed to t or th in a template, or a message
// declared in Go with msg) has no translation in a catalogue of
// locales/. To fix it, add the listed entries to each file (the failure
// prints them in the file's layout) and translate them.
func TestEveryMessageHasATranslationInEveryCatalogue(t *testing.T) {
	loadPages(t)
	ids := Messages()
	slices.Sort(ids)
	files, err := readCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if strings.ContainsAny(id, "<>&") {
			t.Errorf("message %q has markup (<, > or &); messages are plain text", id)
		}
	}
	for _, tag := range Languages[1:] {
		t.Run("the "+tag.String()+" catalogue", func(t *testing.T) {
			f, ok := files[tag]
			if !ok {
				t.Fatalf("locales/%s.json is missing", tag)
			}
			have := map[string]catalogueMessage{}
			for _, m := range f.Messages {
				if _, dup := have[m.ID]; dup {
					t.Errorf("message %q is in the catalogue twice", m.ID)
				}
				have[m.ID] = m
			}
			var missing []catalogueMessage
			for _, id := range ids {
				m, ok := have[id]
				if !ok || strings.TrimSpace(m.Translation) == "" {
					missing = append(missing, catalogueMessage{ID: id, Message: id})
					continue
				}
				if diff := cmp.Diff(placeholders(id), placeholders(m.Translation)); diff != "" {
					t.Errorf("message %q: the translation's placeholders differ (-source +translation):\n%s", id, diff)
				}
				if strings.ContainsAny(m.Translation, "<>&") {
					t.Errorf("message %q: the translation has markup (<, > or &); translations are plain text", id)
				}
				if m.Message != id {
					t.Errorf("message %q: its \"message\" field is %q, want the id", id, m.Message)
				}
			}
			if len(missing) > 0 {
				out, _ := json.MarshalIndent(missing, "    ", "  ")
				t.Errorf("%d messages have no %s translation; add them to locales/%s.json and translate them:\n    %s",
					len(missing), tag, tag, out)
			}
			for id := range have {
				if !slices.Contains(ids, id) {
					t.Errorf("message %q is in the catalogue but no page shows it any more: remove it", id)
				}
			}
		})
	}
}

// TestTemplatesWriteNoTextOutsideTheCatalogue fails when a template
// writes words itself instead of through t or th, which no catalogue
// could translate.
func TestTemplatesWriteNoTextOutsideTheCatalogue(t *testing.T) {
	p := loadPages(t)
	for name, page := range p.pages[language.English] {
		for _, tmpl := range page.Templates() {
			if text := untranslatedText(tmpl); len(text) > 0 {
				t.Errorf("page %s, template %s writes text that is not in the catalogue:\n  %s", name, tmpl.Name(), strings.Join(text, "\n  "))
			}
		}
	}
}

func TestTheUntranslatedTextCheckFindsText(t *testing.T) {
	p, err := parsePages(localizer{tag: language.English}.funcs())
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := p[PageError].Clone()
	if err == nil {
		_, err = tmpl.New("probe").Parse(`<p>Hello {{t "x"}}</p><input type="submit" value="Send"><code>mon-fri</code><p title="{{t "y"}}">{{.}}</p>`)
	}
	if err != nil {
		t.Fatal(err)
	}
	got := untranslatedText(tmpl.Lookup("probe"))
	if diff := cmp.Diff([]string{"Hello", "input@value: Send"}, got); diff != "" {
		t.Errorf("untranslated text (-want +got):\n%s", diff)
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct {
		name, locale, accept string
		want                 language.Tag
	}{
		{"the customer's locale decides", "de", "fr", language.German},
		{"a regional locale reads its language", "de-AT", "", language.German},
		{"Latin American Spanish reads Spanish", "es-419", "", language.Spanish},
		{"Canadian French reads French", "fr-CA", "", language.French},
		{"a locale without a catalogue reads English, not the browser's language", "pt-BR", "de", language.English},
		{"without a locale the browser's language decides", "", "fr-CH, fr;q=0.9, en;q=0.8", language.French},
		{"the browser's first supported language wins", "", "pt, es;q=0.8", language.Spanish},
		{"an unreadable locale falls back to the browser", "not a locale!", "es", language.Spanish},
		{"nothing known reads English", "", "", language.English},
		{"a hostile Accept-Language reads English", "", strings.Repeat("x-", 5000), language.English},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Language(tt.locale, tt.accept); got != tt.want {
				t.Errorf("Language(%q, %q) = %s, want %s", tt.locale, tt.accept, got, tt.want)
			}
		})
	}
}

// samplePages fills every page with data that reaches its branches: a
// page whose branches exclude each other has one sample per branch.
func samplePages() map[string][]any {
	sent := time.Date(2026, time.March, 12, 9, 30, 0, 0, time.UTC)
	// 08:00 UTC is 09:00 in Berlin, where the sample customer lives.
	planned := time.Date(2026, time.December, 2, 8, 0, 0, 0, time.UTC)
	const zone = "Europe/Berlin"
	cust := &models.Customer{ExternalID: "crm-1", Email: "ada@example.com", PreferredChannel: models.ChannelEmail}
	msgCopy := &models.SentMessageCopy{SentMessage: models.SentMessage{Title: "Pricing guide", SentAt: sent, Channel: models.ChannelEmail},
		Subject: "Our prices", Text: "Hello."}
	receipt := &models.ContentReceipt{ReceivedAt: &sent, Channel: models.ChannelEmail}
	pending := &models.ContentReceipt{Pending: &models.PendingSend{DeliveryID: 7, ScheduledAt: planned, Channel: models.ChannelSMS}}
	form := &RequestForm{State: "s", CSRF: "x", Action: "9/request", Channel: models.ChannelEmail, Timezone: zone}
	topic := &models.Topic{Key: "roadmap", Name: "Roadmap", Description: "What we build next.", DoubleOptIn: true}
	confirmation := &models.PendingConfirmation{Topic: topic, ConsentSeq: 4, ExpiresAt: time.Date(2026, time.April, 11, 9, 30, 0, 0, time.UTC)}
	requested := func(r models.ContentRequest) RequestedData {
		r.Title = "Pricing guide"
		return RequestedData{Request: &r, Timezone: zone, ReadURL: "https://c.example/p/tok/content/9", BackURL: "https://c.example/p/tok"}
	}
	return map[string][]any{
		PageUnsubscribe:  {UnsubscribeData{Action: "tok"}},
		PageUnsubscribed: {UnsubscribedData{Changed: 2, PreferencesURL: "https://c.example/p/tok"}},
		PageError:        {ErrorData{Title: MsgLinkNotValidTitle, Message: MsgLinkNotValid}},
		PageTooMany:      {TooManyData{RetryAfter: "7"}},
		PageMessage:      {MessageData{Message: msgCopy, BackURL: "https://c.example/p/tok"}},
		PageContent: {
			ContentData{Message: msgCopy, Receipt: receipt, BackURL: "https://c.example/p/tok", Request: form},
			ContentData{Message: msgCopy, Receipt: pending, BackURL: "https://c.example/p/tok", Request: form},
			ContentData{Message: msgCopy, Receipt: &models.ContentReceipt{}, BackURL: "https://c.example/p/tok", Request: form},
		},
		PageErase:  {EraseData{State: "erase", CSRF: "x", Action: "erase", BackURL: "https://c.example/p/tok", Error: MsgEraseUnconfirmed}},
		PageErased: {nil},
		PagePreferences: {PreferencesData{
			Page: &models.PreferencePage{Customer: cust, Channels: []models.Channel{models.ChannelEmail, models.ChannelSMS},
				Topics:        []models.PreferenceTopic{{Topic: models.Topic{Key: "roadmap", Name: "Roadmap", Description: "What we build next."}, Status: models.ConsentOptedIn}},
				Sent:          []models.SentMessage{{DeliveryID: 1, SentAt: sent, Channel: models.ChannelEmail, Title: "Pricing guide"}},
				ChainVerified: true},
			Form:   PreferenceValues{Wanted: map[string]bool{"roadmap": true}, Channel: models.ChannelEmail, CadencePer: "7d"},
			Errors: []FieldError{{Field: models.PreferenceFieldTimezone, Label: FieldLabels[models.PreferenceFieldTimezone], Message: FieldMessage("de", "timezone", "iana_timezone", "")}},
			Notice: MsgSaved, Action: "tok", BaseURL: "https://c.example/p/tok", Timezones: []string{"Europe/Berlin"},
		}},
		PageRequested: {
			requested(models.ContentRequest{Outcome: models.RequestPlanned, Repeated: true,
				Delivery: &models.Delivery{Channel: models.ChannelEmail, ScheduledAt: planned}}),
			requested(models.ContentRequest{Outcome: models.RequestAlreadyReceived, Receipt: *receipt}),
			requested(models.ContentRequest{Outcome: models.RequestOnItsWay, Receipt: *pending}),
			requested(models.ContentRequest{Outcome: models.RequestTooMany}),
			requested(models.ContentRequest{Outcome: models.RequestRefused, Reason: models.ReasonNoTimezone}),
			requested(models.ContentRequest{Outcome: models.RequestRefused, Reason: models.Reason("a reason the page does not know")}),
		},
		PageConfirm:   {ConfirmData{Confirmation: confirmation, Action: "roadmap", Code: "c", BackURL: "https://c.example/p/tok"}},
		PageConfirmed: {ConfirmData{Confirmation: &models.PendingConfirmation{Topic: topic, Confirmed: true}, BackURL: "https://c.example/p/tok"}},
	}
}

// TestEveryPageRendersInEveryLanguage renders each page in each language
// and checks the document's lang attribute; on the pages listed in want,
// texts each language must show (dates and times in that language's
// form) and the absence of an English original.
func TestEveryPageRendersInEveryLanguage(t *testing.T) {
	p := loadPages(t)
	samples := samplePages()
	want := map[string]map[language.Tag][]string{
		PagePreferences: {
			language.English: {"Save preferences", "12 March 2026", "Time zone: is not a time zone in the list"},
			language.German:  {"Einstellungen speichern", "12. März 2026", "Zeitzone: ist keine Zeitzone aus der Liste"},
			language.French:  {"Enregistrer les préférences", "12 mars 2026", "Fuseau horaire : n’est pas"},
			language.Spanish: {"Guardar preferencias", "12 de marzo de 2026", "Zona horaria: no es una zona horaria"},
		},
		// The first sample: planned for 08:00 UTC, 09:00 in Berlin.
		PageRequested: {
			language.English: {"2 December 2026 at 09:00", "(Europe/Berlin)"},
			language.German:  {"2. Dezember 2026 um 09:00", "(Europe/Berlin)"},
			language.French:  {"2 décembre 2026 à 09:00", "(Europe/Berlin)"},
			language.Spanish: {"2 de diciembre de 2026 a las 09:00", "(Europe/Berlin)"},
		},
		PageConfirm: {
			language.English: {"11 April 2026", "Yes, send me messages about Roadmap"},
			language.German:  {"11. April 2026"},
			language.French:  {"11 avril 2026"},
			language.Spanish: {"11 de abril de 2026"},
		},
	}
	english := map[string]string{PagePreferences: "Save preferences", PageRequested: "inside the times you chose", PageConfirm: "Yes, send me messages"}
	for _, tag := range Languages {
		for _, name := range pageNames {
			t.Run(tag.String()+" "+name, func(t *testing.T) {
				if len(samples[name]) == 0 {
					t.Fatalf("page %s has no sample data", name)
				}
				for i, data := range samples[name] {
					out, err := p.Render(name, tag, data)
					if err != nil {
						t.Fatalf("sample %d: %v", i, err)
					}
					body := string(out)
					if lang := `<html lang="` + tag.String() + `">`; !strings.Contains(body, lang) {
						t.Errorf("sample %d: the page lacks %s", i, lang)
					}
					if i > 0 {
						continue
					}
					for _, w := range want[name][tag] {
						if !strings.Contains(body, w) {
							t.Errorf("the page lacks %q:\n%s", w, body)
						}
					}
					if en, ok := english[name]; ok && tag != language.English && strings.Contains(body, en) {
						t.Errorf("the page still says %q in English", en)
					}
				}
			})
		}
	}
}

func TestAnUnsupportedLanguageRendersEnglish(t *testing.T) {
	out, err := loadPages(t).Render(PageUnsubscribe, language.Portuguese, UnsubscribeData{Action: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `<html lang="en">`) || !strings.Contains(string(out), "Unsubscribe from everything") {
		t.Errorf("a Portuguese page did not fall back to English:\n%s", out)
	}
}

func TestTextFromOutsideTheCatalogueIsPrintedAsItIs(t *testing.T) {
	out, err := loadPages(t).Render(PageError, language.German, ErrorData{Title: "100% <b>sure</b>", Message: MsgLinkNotValid})
	if err != nil {
		t.Fatal(err)
	}
	body := string(out)
	if !strings.Contains(body, "100% &lt;b&gt;sure&lt;/b&gt;") || strings.Contains(body, "MISSING") {
		t.Errorf("an unregistered title was not printed escaped and verbatim:\n%s", body)
	}
	if !strings.Contains(body, "Dieser Link ist ungültig.") {
		t.Errorf("the registered message was not translated:\n%s", body)
	}
}
