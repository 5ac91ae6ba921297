package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/candor/candor/models"
)

// The pages are written in English; every other language comes from a
// catalogue file in locales/, one per language, in the JSON layout of
// x/text's gotext tool (messages with id, message and translation), so
// translators and reviewers read one plain file per language and the
// gotext tool can update them. golang.org/x/text does the rest: language
// matching (de-AT and de-CH read German, pt reads English) and the
// message printer that formats placeholders as the translation orders them.

//go:embed locales/*.json
var localeFiles embed.FS

// Languages are the languages the public pages are written in; English
// first, as every other one falls back to it.
var Languages = []language.Tag{language.English, language.German, language.French, language.Spanish}

var matcher = language.NewMatcher(Languages)

// Language chooses the language of a public page: the customer's locale
// when Candor has one for them (a BCP 47 tag such as de-AT), else the
// browser's Accept-Language, else English. A locale of a language Candor
// has no catalogue for falls back to English, not to the browser's:
// the customer's locale is what they told the company.
func Language(customerLocale, acceptLanguage string) language.Tag {
	if customerLocale != "" {
		if t, err := language.Parse(customerLocale); err == nil {
			return match(t)
		}
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return language.English
	}
	return match(tags...)
}

// match returns the supported language closest to tags, or English when
// none is close enough.
func match(tags ...language.Tag) language.Tag {
	_, i, conf := matcher.Match(tags...)
	if conf < language.High {
		return language.English
	}
	return Languages[i]
}

// catalogueFile is one language's translations as gotext writes them
// (only the fields Candor uses).
type catalogueFile struct {
	Language string             `json:"language"`
	Messages []catalogueMessage `json:"messages"`
}

type catalogueMessage struct {
	ID          string `json:"id"`
	Message     string `json:"message"`
	Translation string `json:"translation"`
	Comment     string `json:"comment,omitempty"`
}

// readCatalogues reads every file in locales/ by language.
func readCatalogues() (map[language.Tag]catalogueFile, error) {
	entries, err := localeFiles.ReadDir("locales")
	if err != nil {
		return nil, err
	}
	out := map[language.Tag]catalogueFile{}
	for _, e := range entries {
		raw, err := localeFiles.ReadFile(path.Join("locales", e.Name()))
		if err != nil {
			return nil, err
		}
		var f catalogueFile
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", e.Name(), err)
		}
		tag, err := language.Parse(f.Language)
		if err != nil || strings.TrimSuffix(e.Name(), ".json") != f.Language {
			return nil, fmt.Errorf("web: catalogue %s names language %q", e.Name(), f.Language)
		}
		out[tag] = f
	}
	return out, nil
}

// newCatalog builds the x/text catalogue of every translation. A message
// missing from a language prints its English source.
func newCatalog() (catalog.Catalog, error) {
	files, err := readCatalogues()
	if err != nil {
		return nil, err
	}
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for tag, f := range files {
		for _, m := range f.Messages {
			if m.Translation == "" {
				continue // untranslated: English shows, and the catalogue test fails
			}
			if err := b.SetString(tag, m.ID, m.Translation); err != nil {
				return nil, fmt.Errorf("web: catalogue %s, message %q: %w", f.Language, m.ID, err)
			}
		}
	}
	return b, nil
}

// registry holds every message id the pages may print: those declared in
// Go with msg and the literal ones templates pass to t or th (added by
// Load). Only registered ids are looked up in the catalogue; any other
// text handed to t (a validation detail from the domain) is printed as
// it is, so a "%" in it can never be read as a placeholder.
var registry = struct {
	sync.RWMutex
	ids map[string]bool
}{ids: map[string]bool{}}

// msg declares a message shown to customers from Go code and returns its
// id (its English text), so declaring a message registers it for
// translation: the catalogue test lists every one.
func msg(id string) string {
	registry.Lock()
	defer registry.Unlock()
	registry.ids[id] = true
	return id
}

func registered(id string) bool {
	registry.RLock()
	defer registry.RUnlock()
	return registry.ids[id]
}

// Messages returns every registered message id: those declared in Go and,
// once Load has run, those of the templates.
func Messages() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.ids))
	for id := range registry.ids {
		out = append(out, id)
	}
	return out
}

// localizer prints messages in one language.
type localizer struct {
	tag     language.Tag
	printer *message.Printer
}

// translate prints id with args in the localizer's language; an id that
// is not registered (text from elsewhere) is returned unchanged.
func (l localizer) translate(id string, args ...any) string {
	if !registered(id) {
		return id
	}
	return l.printer.Sprintf(id, args...)
}

// translateHTML is translate for sentences with markup in them (a <time>
// or <code> element): string arguments are escaped, template.HTML ones
// are kept, and the translation itself is plain text (the catalogue test
// forbids markup in it).
func (l localizer) translateHTML(id string, args ...any) template.HTML {
	safe := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case template.HTML:
			safe[i] = string(v)
		case string:
			safe[i] = html.EscapeString(v)
		default:
			safe[i] = html.EscapeString(fmt.Sprint(v))
		}
	}
	if !registered(id) {
		return template.HTML(html.EscapeString(id))
	}
	return template.HTML(l.printer.Sprintf(id, safe...)) // #nosec G203 -- text from our catalogues, arguments escaped
}

// longDate writes a day as "12 March 2026" in the localizer's language:
// unambiguous in every country, unlike 03/12/2026.
func (l localizer) longDate(t time.Time) string {
	return l.day(t.UTC())
}

// day writes t's calendar day, in t's own zone, as longDate does.
func (l localizer) day(t time.Time) string {
	return l.translate(dateFormat, strconv.Itoa(t.Day()), l.translate(monthNames[t.Month()-1]), strconv.Itoa(t.Year()))
}

// localTime writes an instant in the customer's zone, as they read their
// own clock: "2 December 2026 at 09:00" in the localizer's language (a
// 24-hour clock, which every language of the pages reads). An unknown or
// empty zone reads UTC.
func (l localizer) localTime(t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	t = t.In(loc)
	return l.translate(dateTimeFormat, l.day(t), t.Format("15:04"))
}

// localTimeTag is localTime in a <time> element a machine can read (the
// instant in UTC).
func (l localizer) localTimeTag(t time.Time, zone string) template.HTML {
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `">` + html.EscapeString(l.localTime(t, zone)) + `</time>`) // #nosec G203 -- escaped
}

// timeTag is longDate in a <time> element a machine can read.
func (l localizer) timeTag(t time.Time) template.HTML {
	return template.HTML(`<time datetime="` + t.UTC().Format("2006-01-02") + `">` + html.EscapeString(l.longDate(t)) + `</time>`) // #nosec G203 -- escaped
}

// funcs are the helpers templates in this language may call.
func (l localizer) funcs() template.FuncMap {
	return template.FuncMap{
		"t":            l.translate,
		"th":           l.translateHTML,
		"longDate":     l.longDate,
		"timeTag":      l.timeTag,
		"channelLabel": func(ch any) string { return l.translate(channelLabel(fmt.Sprint(ch))) },
		"statusLabel":  func(s any) string { return l.translate(statusLabels[fmt.Sprint(s)]) },
		"lang":         func() string { return l.tag.String() },
		// The content-request page's helpers (web/requests.go).
		"refusalText":     func(r models.Reason) string { return l.translate(refusalText(r)) },
		"localTime":       l.localTime,
		"localTimeTag":    l.localTimeTag,
		"maxOpenRequests": func() int { return models.MaxOpenRequests },
	}
}
