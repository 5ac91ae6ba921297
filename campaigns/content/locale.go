package content

import (
	"sync"
	"sync/atomic"

	"golang.org/x/text/language"
)

// languageOf returns the base language of a locale ("de-AT" -> "de"), or
// "" when it cannot be parsed.
func languageOf(locale string) string {
	if lang, ok := languages.Load(locale); ok {
		return lang.(string)
	}
	lang := parseLanguage(locale)
	if languagesKept.Add(1) <= maxLanguagesKept {
		languages.Store(locale, lang)
	}
	return lang
}

// languages remembers languageOf's answers: every message rendered asks
// for its variant's locale, and parsing a tag was a few hundred bytes of
// garbage and a microsecond each time. At most maxLanguagesKept locales
// are kept, so odd inputs never grow it without bound.
var (
	languages     sync.Map // locale -> base language
	languagesKept atomic.Int64
)

const maxLanguagesKept = 1024

// parseLanguage is languageOf without the memory.
func parseLanguage(locale string) string {
	tag, err := language.Parse(locale)
	if err != nil {
		return ""
	}
	base, _ := tag.Base()
	return base.String()
}

// labels are the words of the links Candor appends.
type labels struct{ preferences, unsubscribe string }

var linkLabelsByLang = map[string]labels{
	"en": {"Manage your preferences", "Unsubscribe"},
	"de": {"Einstellungen verwalten", "Abmelden"},
	"fr": {"Gérer vos préférences", "Se désabonner"},
	"es": {"Gestionar tus preferencias", "Darte de baja"},
}

func linkLabels(lang string) labels {
	if l, ok := linkLabelsByLang[lang]; ok {
		return l
	}
	return linkLabelsByLang["en"]
}

// disclaimers are appended to roadmap content that has none of its own.
var disclaimers = map[string]string{
	"en": "These plans may change. We share them so you can decide with what we know today; they are not a promise.",
	"de": "Diese Pläne können sich ändern. Wir teilen sie, damit Sie mit unserem heutigen Wissen entscheiden können; sie sind kein Versprechen.",
	"fr": "Ces projets peuvent changer. Nous les partageons pour que vous décidiez avec ce que nous savons aujourd'hui ; ce n'est pas une promesse.",
	"es": "Estos planes pueden cambiar. Los compartimos para que decidas con lo que sabemos hoy; no son promesas.",
}

func disclaimerText(lang string) string {
	if d, ok := disclaimers[lang]; ok {
		return d
	}
	return disclaimers["en"]
}
