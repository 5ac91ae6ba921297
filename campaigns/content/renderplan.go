package content

import (
	"strings"
	"sync"
	"sync/atomic"
	"text/template/parse"
)

// A render plan lets Render judge an HTML body once per template instead
// of parsing every customer's message (issue 10: that parse was most of
// the CPU of a send). The template is rendered with a marker (a "hole")
// for each variable and the result is judged as Render judges a message.
// The judgement holds for a customer when their values cannot change what
// the HTML parser builds or what a reader sees:
//
//   - the template has no {{if}}: a branch can add or drop any markup;
//   - every hole lands whole in the text of an ordinary element (not a
//     script, style, title, textarea or other raw-text element) or as the
//     whole href of an <a>, and nowhere else (no class, style or other
//     attribute, no comment), exactly once per action;
//   - no hole follows an unfinished character reference ("&am"), which a
//     value could complete;
//   - style sheets do not select on href or on text (:contains,
//     :matches) and use no escapes;
//   - the cascade and the quick look without it agree (a value that
//     contains "color" turns the cascade on for that message);
//   - per message, a value in text is empty (then the plan of that
//     emptiness is used: a link whose only text is empty is invisible) or
//     has no space at either end, no NUL, CR or "{", and is valid UTF-8,
//     so the parser treats it like the hole; a value in an href is a URL
//     html/template leaves as it is (safe scheme, no character it
//     percent-encodes), so the link's href is the value.
//
// html/template escapes every value in text, so a value cannot add
// markup. A customer or template that fails a condition is judged in full
// (renderFull), as before. TestPlannedRenderMatchesTheFullJudgement holds
// the two byte for byte.

// holeOpen and holeClose frame a hole's number, written in holeDigits.
// None of their letters is in "style", "hidden" or "color", so a word
// mayHide looks for is never made of a hole; letters pass every escaper
// unchanged.
const (
	holeOpen   = "zqxj"
	holeClose  = "jxqz"
	holeDigits = "abfgkmpuvw"
)

// maxPlanVars bounds the variables a planned template may use, and
// maxShapes the plans kept per template (one per set of empty values).
const (
	maxPlanVars = 16
	maxShapes   = 64
)

// templateForm is what Render needs to know of a template's tree, read
// when it is parsed.
type templateForm struct {
	fields   []string // the variables used, each once: "Customer.Name", "PreferencesURL", ...
	branches bool     // it has an {{if}}
	marker   bool     // its source holds holeOpen or holeClose
	// segs is the static text at the top level, split at each action and
	// {{if}}: what every output holds, whatever the values.
	segs []string
}

func formOf(nodes []parse.Node) templateForm {
	var f templateForm
	var cur strings.Builder
	seen := map[string]bool{}
	var visit func(nodes []parse.Node, top bool)
	visit = func(nodes []parse.Node, top bool) {
		for _, n := range nodes {
			switch n := n.(type) {
			case *parse.TextNode:
				if top {
					cur.Write(n.Text)
				}
				continue
			case *parse.ActionNode:
				if field, ok := n.Pipe.Cmds[0].Args[0].(*parse.FieldNode); ok {
					if name := strings.Join(field.Ident, "."); !seen[name] {
						seen[name] = true
						f.fields = append(f.fields, name)
					}
				}
			case *parse.IfNode:
				f.branches = true
				visit(n.List.Nodes, false)
				if n.ElseList != nil {
					visit(n.ElseList.Nodes, false)
				}
			default:
				continue // comments write nothing; checkNodes refused the rest
			}
			if top {
				f.segs = append(f.segs, cur.String())
				cur.Reset()
			}
		}
	}
	visit(nodes, true)
	f.segs = append(f.segs, cur.String())
	return f
}

// htmlPlan is what is known of an html template for every customer.
type htmlPlan struct {
	why      string // not "" when messages are judged in full, and why
	fields   []string
	textVars uint64 // bit i: fields[i] is in text
	hrefVars uint64 // bit i: fields[i] is a whole href
	shapes   sync.Map
	nShapes  atomic.Int32
}

// htmlShape is the judgement of the template for customers whose values
// in text are empty exactly where its mask says.
type htmlShape struct {
	why      string
	textVars uint64
	hrefVars uint64
	links    []shapeLink // the links a reader sees
	// The text a reader sees is text[0] value(holes[0]) text[1] ...
	text    []string
	holes   []int
	certain langFlags // text shows a disclaimer whatever the values
}

// shapeLink is a visible link: its href, or the field whose value it is.
type shapeLink struct {
	href  string
	field int // -1: href is static
}

// planHTML returns the plan of an html template, built on first use.
func (pt *parsedTemplate) planHTML() *htmlPlan {
	pt.planOnce.Do(func() { pt.plan = newHTMLPlan(pt) })
	return pt.plan
}

func newHTMLPlan(pt *parsedTemplate) *htmlPlan {
	p := &htmlPlan{fields: pt.form.fields}
	switch {
	case pt.html == nil:
		p.why = "not an html template"
	case pt.form.branches:
		p.why = "it has an {{if}}"
	case len(p.fields) > maxPlanVars:
		p.why = "it uses too many variables"
	case pt.form.marker:
		p.why = "its text holds the hole marker"
	}
	if p.why != "" {
		return p
	}
	base := buildShape(pt, p, 0, ^uint64(0), ^uint64(0))
	if base.why != "" {
		p.why = base.why
		return p
	}
	p.textVars, p.hrefVars = base.textVars, base.hrefVars
	p.shapes.Store(uint64(0), base)
	p.nShapes.Store(1)
	return p
}

// shape returns the judgement for a mask of empty text values, or nil
// when too many masks were seen.
func (p *htmlPlan) shape(pt *parsedTemplate, mask uint64) *htmlShape {
	if s, ok := p.shapes.Load(mask); ok {
		return s.(*htmlShape)
	}
	if p.nShapes.Add(1) > maxShapes {
		return nil
	}
	s, _ := p.shapes.LoadOrStore(mask, buildShape(pt, p, mask, p.textVars, p.hrefVars))
	return s.(*htmlShape)
}

// skeleton is the data that renders hole i for field i, or "" where mask
// has bit i.
func (p *htmlPlan) skeleton(mask uint64) templateData {
	var d templateData
	d.Customer.Attributes = map[string]string{}
	for i, f := range p.fields {
		v := ""
		if mask&(1<<i) == 0 {
			v = holeName(i)
		}
		switch f {
		case "Customer.Name":
			d.Customer.Name = v
		case varPreferencesURL:
			d.PreferencesURL = v
		case varUnsubscribeURL:
			d.UnsubscribeURL = v
		default:
			d.Customer.Attributes[strings.TrimPrefix(f, "Customer.Attributes.")] = v
		}
	}
	return d
}

// fieldValue is the value of a field as the template shows it.
func fieldValue(d *templateData, f string) string {
	switch f {
	case "Customer.Name":
		return d.Customer.Name
	case varPreferencesURL:
		return d.PreferencesURL
	case varUnsubscribeURL:
		return d.UnsubscribeURL
	}
	return d.Customer.Attributes[strings.TrimPrefix(f, "Customer.Attributes.")]
}

func holeName(i int) string {
	digits := ""
	for {
		digits = string(holeDigits[i%10]) + digits
		if i /= 10; i == 0 {
			break
		}
	}
	return holeOpen + digits + holeClose
}

// holesIn returns the field of each hole in s, in order; ok is false when
// a marker is not a whole hole.
func holesIn(s string) (fields []int, ok bool) {
	for {
		i := strings.Index(s, holeOpen)
		if i < 0 {
			return fields, true
		}
		s = s[i+len(holeOpen):]
		n, j := 0, 0
		for ; j < len(s) && strings.IndexByte(holeDigits, s[j]) >= 0; j++ {
			n = n*10 + strings.IndexByte(holeDigits, s[j])
		}
		if j == 0 || j > 4 || !strings.HasPrefix(s[j:], holeClose) {
			return nil, false
		}
		fields = append(fields, n)
		s = s[j+len(holeClose):]
	}
}

// wholeHole returns the field whose hole s is, if s is exactly one.
func wholeHole(s string) (int, bool) {
	if !strings.HasPrefix(s, holeOpen) || !strings.HasSuffix(s, holeClose) {
		return 0, false
	}
	f, ok := holesIn(s)
	if !ok || len(f) != 1 || holeName(f[0]) != s {
		return 0, false
	}
	return f[0], true
}
