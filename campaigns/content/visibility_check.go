package content

import (
	"fmt"
	"strings"

	"github.com/candor/candor/models"
)

// htmlVisibility judges each HTML body as a reader sees it: a required
// element (the preferences and unsubscribe links, a link to a source, a
// roadmap's disclaimer) that is hidden is an error, because it only looks
// present; other hidden text is a warning. It renders for a customer with
// no name and no attributes, like roadmapDisclaimer.
func (c *checker) htmlVisibility(i int) {
	v := &c.in.Variants[i]
	if strings.TrimSpace(v.HTML) == "" {
		return
	}
	sample := c.sampleInput()
	m, _, err := renderTemplates(c.in, v, RenderInput{PreferencesURL: sample.PreferencesURL, UnsubscribeURL: sample.UnsubscribeURL})
	if err != nil || m.HTML == "" {
		return // ValidateTemplates reports broken templates at save time
	}
	view := viewHTML(m.HTML)
	at := fmt.Sprintf("/variants/%d/html", i)
	required := c.requiredLinks(sample)
	skip := map[int]bool{}
	for _, l := range view.links {
		name, ok := required[l.href]
		if !ok || l.visible {
			continue
		}
		for k := l.from; k < l.to; k++ {
			skip[k] = true
		}
		c.add(RuleHTMLHiddenRequired, models.SeverityError, at, "%s is hidden (%s): it does not count as present; show it", name, l.why)
	}
	lang := languageOf(v.Locale)
	roadmap := c.in.Kind == models.KindRoadmap
	disclaimerSeen := roadmap && hasDisclaimer(lang, view.visibleText())
	for k := 0; k < len(view.hidden); k++ {
		if skip[k] {
			continue
		}
		part := view.hidden[k]
		for k+1 < len(view.hidden) && !skip[k+1] && view.hidden[k+1].why == part.why {
			k++
			part.text += " " + view.hidden[k].text
		}
		if roadmap && !disclaimerSeen && hasDisclaimer(lang, part.text) {
			c.add(RuleHTMLHiddenRequired, models.SeverityError, at, "the disclaimer %q is hidden (%s): it does not count as present; show it", shorten(part.text), part.why)
			continue
		}
		c.add(RuleHTMLHiddenText, models.SeverityWarning, at, "%q is hidden (%s): readers do not see it", shorten(part.text), part.why)
	}
}

// requiredLinks names the links a reader must be able to see, by URL.
func (c *checker) requiredLinks(sample RenderInput) map[string]string {
	out := map[string]string{
		sample.PreferencesURL: "the preferences link",
		sample.UnsubscribeURL: "the unsubscribe link",
	}
	add := func(u string) {
		if u = strings.TrimSpace(u); u != "" {
			out[u] = fmt.Sprintf("the link to the source %s", u)
		}
	}
	for _, s := range c.in.Sources {
		add(s.URL)
	}
	for _, p := range c.in.Points {
		add(p.Source)
	}
	for _, p := range c.in.Prices {
		add(p.Source)
	}
	return out
}
