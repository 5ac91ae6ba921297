package content

import "github.com/candor/candor/models"

// RenderFull is the judgement of every message on its own output, the
// reference Render's plans are held to.
var RenderFull = renderFull

// PlanApplies reports whether Render judges the HTML body of v for d by
// the template's plan, and if not why.
func PlanApplies(in *models.ContentInput, v *models.Variant, d RenderInput) (bool, string) {
	m, r, err := renderTemplates(in, v, d)
	switch {
	case err != nil:
		return false, err.Error()
	case r.html == nil || m.HTML == "":
		return false, "no html body"
	}
	p := r.html.planHTML()
	if p.why != "" {
		return false, p.why
	}
	if _, ok := r.html.judgePlanned(&r.data, languageOf(v.Locale), in.Kind == models.KindRoadmap); !ok {
		return false, "the plan does not hold for these values"
	}
	return true, ""
}

// TextCertain reports whether Render takes a text template's disclaimer
// from its static text rather than from each message.
func TextCertain(src, lang string) bool {
	pt, err := parseTemplate(templateField{at: "/variants/0/text", src: src})
	return err == nil && pt.certainIn(lang)
}
