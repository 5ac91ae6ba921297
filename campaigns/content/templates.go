package content

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"text/template/parse"

	"github.com/candor/candor/models"
)

// Template variables a variant may use. Nothing else is reachable: no
// functions, no range, no other fields, so content cannot read data it was
// not meant to see or loop over a customer's attributes.
const (
	varPreferencesURL = "PreferencesURL"
	varUnsubscribeURL = "UnsubscribeURL"
)

var attributeKeyRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// templateField is one template part of a variant and its JSON pointer.
type templateField struct {
	at   string
	src  string
	html bool
}

func variantFields(i int, v *models.Variant) []templateField {
	at := fmt.Sprintf("/variants/%d/", i)
	var out []templateField
	for _, f := range []templateField{
		{at + "subject", v.Subject, false},
		{at + "title", v.Title, false},
		{at + "text", v.Text, false},
		{at + "html", v.HTML, true},
	} {
		if f.src != "" {
			out = append(out, f)
		}
	}
	return out
}

// ValidateTemplates parses every template of every variant and returns
// EINVALID naming the variant field and the line:column of each template
// that does not parse or uses anything but the allowed variables
// ({{.Customer.Name}}, {{.Customer.Attributes.key}}, {{.PreferencesURL}},
// {{.UnsubscribeURL}}, and {{if}}/{{else}} on them).
func ValidateTemplates(in *models.ContentInput) error {
	var p models.Problems
	for i := range in.Variants {
		for _, f := range variantFields(i, &in.Variants[i]) {
			pt, err := parseTemplate(f)
			if err == nil {
				// html/template finds some problems (an action inside an
				// unclosed tag or attribute) only when it escapes, on the
				// first execution: run one now rather than at send time.
				_, err = pt.execute(templateData{}, f.at)
			}
			if err != nil {
				p.Add(f.at, "template", "%s", err)
			}
		}
	}
	return p.Err()
}

// parsedTemplate is a checked template and the link variables it uses,
// with what Render learns about it once rather than for every message
// (renderplan.go).
type parsedTemplate struct {
	text *template.Template
	html *htmltemplate.Template
	uses map[string]bool
	form templateForm

	planOnce sync.Once
	plan     *htmlPlan // an html template's plan, built on first use
	certain  langFlags // the static text shows a disclaimer, per language
}

// errDefine refuses named templates: a {{define}} body is a separate tree
// that the checks of the main one never see, and {{template}} runs one.
const errDefine = "{{define}} and {{template}} are not allowed; write the text where it is used"

// definesTemplates reports whether src defines a named template
// ({{define}} or {{block}}). It parses src twice under two names no
// define can both match: a define shows up as a second tree in at least
// one parse, even one that replaces an empty main template by its name.
func definesTemplates(src string) bool {
	for _, main := range []string{"\x00candor-a", "\x00candor-b"} {
		tr := parse.New(main)
		tr.Mode = parse.SkipFuncCheck
		trees := map[string]*parse.Tree{}
		if _, err := tr.Parse(src, "", "", trees); err != nil {
			return false // the real parse reports the syntax error
		}
		for name := range trees {
			if name != main {
				return true
			}
		}
	}
	return false
}

func parseTemplate(f templateField) (*parsedTemplate, error) {
	if definesTemplates(f.src) {
		return nil, errors.New(errDefine)
	}
	pt := &parsedTemplate{uses: map[string]bool{}}
	var tree *parse.Tree
	if f.html {
		t, err := htmltemplate.New(f.at).Option("missingkey=zero").Parse(f.src)
		if err != nil {
			return nil, cleanTemplateError(err, f.src, f.at)
		}
		pt.html, tree = t, t.Tree
	} else {
		t, err := template.New(f.at).Option("missingkey=zero").Parse(f.src)
		if err != nil {
			return nil, cleanTemplateError(err, f.src, f.at)
		}
		pt.text, tree = t, t.Tree
	}
	if tree == nil || tree.Root == nil {
		return pt, nil
	}
	if err := checkNodes(f.src, tree.Root.Nodes, pt.uses); err != nil {
		return nil, err
	}
	// Read now: html/template rewrites the tree when it first escapes.
	pt.form = formOf(tree.Root.Nodes)
	pt.form.marker = containsFold(f.src, holeOpen) || containsFold(f.src, holeClose)
	return pt, nil
}

// parsedTemplates caches parsed templates by field (pointer, source and
// kind): a campaign's messages are rendered from a few templates, and
// parsing them again for every message was a third of the send path's
// CPU. Parsed templates may be executed concurrently. The cache is
// cleared when it reaches maxParsedTemplates, which bounds its memory.
var (
	parsedTemplates  sync.Map
	parsedTemplatesN atomic.Int64
)

const maxParsedTemplates = 4096

// parseTemplateCached is parseTemplate through parsedTemplates; only
// templates that parse are kept.
func parseTemplateCached(f templateField) (*parsedTemplate, error) {
	if pt, ok := parsedTemplates.Load(f); ok {
		return pt.(*parsedTemplate), nil
	}
	pt, err := parseTemplate(f)
	if err != nil {
		return nil, err
	}
	if parsedTemplatesN.Add(1) > maxParsedTemplates {
		parsedTemplates.Clear()
		parsedTemplatesN.Store(1)
	}
	parsedTemplates.Store(f, pt)
	return pt, nil
}

// cleanTemplateError turns a parse or escaping error into a message for
// the author: "line L:C: ..." for syntax errors, and for html/template
// escaping errors a plain sentence naming the field, because their text
// dumps the escaper's internal state ({stateURL delimDoubleQuote ...}).
func cleanTemplateError(err error, src, at string) error {
	var he *htmltemplate.Error
	if errors.As(err, &he) {
		return errors.New(htmlErrorMessage(he, at))
	}
	msg := strings.TrimPrefix(err.Error(), "template: ")
	msg = strings.TrimPrefix(msg, at+":")
	if line, rest, ok := strings.Cut(msg, ": "); ok && isDigits(line) {
		return fmt.Errorf("line %s: %s", badActionAt(src, line), rest)
	}
	return fmt.Errorf("%s: %s", at, msg)
}

// badActionAt returns the "line:column" of the action a syntax error is
// about: text/template reports only a line. It parses ever longer prefixes, one action more
// each time, and returns the offset of the first action that fails for a
// reason other than the end of input (an unclosed {{if}} is only known at
// the end). It falls back to the last action on the reported line.
func badActionAt(src, line string) string {
	const maxTries = 200 // the error path must stay cheap on 64 KiB bodies
	for from, tries := 0, 0; tries < maxTries; tries++ {
		i := strings.Index(src[from:], "{{")
		if i < 0 {
			break
		}
		open := from + i
		end := len(src)
		if j := strings.Index(src[open:], "}}"); j >= 0 {
			end = open + j + 2
		}
		_, err := template.New("").Parse(src[:end])
		if err != nil && !strings.HasSuffix(err.Error(), "unexpected EOF") {
			return lineCol(src, parse.Pos(open+len("{{")))
		}
		from = end
	}
	start := 0
	for n := 1; n < atoi(line); n++ {
		j := strings.IndexByte(src[start:], '\n')
		if j < 0 {
			break
		}
		start += j + 1
	}
	end := len(src)
	if j := strings.IndexByte(src[start:], '\n'); j >= 0 {
		end = start + j
	}
	if i := strings.LastIndex(src[start:end], "{{"); i >= 0 {
		return lineCol(src, parse.Pos(start+i+len("{{")))
	}
	return line + ":1"
}

// htmlErrorMessage explains an html/template escaping error in words.
func htmlErrorMessage(e *htmltemplate.Error, at string) string {
	where := at
	if e.Line > 0 {
		where = fmt.Sprintf("%s (line %d)", at, e.Line)
	}
	switch e.ErrorCode {
	case htmltemplate.ErrEndContext:
		return where + ": the HTML ends inside an unclosed tag, attribute value, comment, script or style; close it"
	case htmltemplate.ErrBranchEnd:
		return where + ": the branches of an {{if}} leave the HTML in different states (one opens a tag, attribute or quote the other does not); put whole elements in each branch"
	case htmltemplate.ErrBadHTML:
		return where + ": malformed HTML around a variable; quote attribute values and close every tag"
	case htmltemplate.ErrAmbigContext:
		return where + ": a variable's place in a URL is ambiguous; put it where the URL is whole, as in href=\"{{.UnsubscribeURL}}\""
	default:
		return where + ": a variable is in a place of the HTML where it cannot be escaped safely; put it in text or a quoted attribute value"
	}
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
		if n > 1<<20 {
			break
		}
	}
	return n
}

func checkNodes(src string, nodes []parse.Node, uses map[string]bool) error {
	for _, n := range nodes {
		switch n := n.(type) {
		case *parse.TextNode, *parse.CommentNode:
		case *parse.ActionNode:
			if err := checkPipe(src, n.Pipe, n.Position(), uses); err != nil {
				return err
			}
		case *parse.IfNode:
			if err := checkPipe(src, n.Pipe, n.Position(), uses); err != nil {
				return err
			}
			if err := checkNodes(src, n.List.Nodes, uses); err != nil {
				return err
			}
			if n.ElseList != nil {
				if err := checkNodes(src, n.ElseList.Nodes, uses); err != nil {
					return err
				}
			}
		case *parse.TemplateNode:
			return fmt.Errorf("line %s: %s", lineCol(src, n.Position()), errDefine)
		default:
			return fmt.Errorf("line %s: only {{.Variable}} and {{if .Variable}} are allowed, not %q", lineCol(src, n.Position()), shorten(n.String()))
		}
	}
	return nil
}

func checkPipe(src string, pipe *parse.PipeNode, pos parse.Pos, uses map[string]bool) error {
	if pipe == nil || len(pipe.Decl) > 0 || len(pipe.Cmds) != 1 || len(pipe.Cmds[0].Args) != 1 {
		return fmt.Errorf("line %s: use a single variable such as {{.Customer.Name}}; pipelines, functions and assignments are not allowed", lineCol(src, pos))
	}
	field, ok := pipe.Cmds[0].Args[0].(*parse.FieldNode)
	if !ok {
		return fmt.Errorf("line %s: %q is not an allowed variable; use {{.Customer.Name}}, {{.Customer.Attributes.key}}, {{.PreferencesURL}} or {{.UnsubscribeURL}}", lineCol(src, pos), shorten(pipe.String()))
	}
	id := field.Ident
	switch {
	case len(id) == 1 && (id[0] == varPreferencesURL || id[0] == varUnsubscribeURL):
		uses[id[0]] = true
	case len(id) == 2 && id[0] == "Customer" && id[1] == "Name":
	case len(id) == 3 && id[0] == "Customer" && id[1] == "Attributes" && attributeKeyRE.MatchString(id[2]):
	default:
		return fmt.Errorf("line %s: unknown variable %q; use {{.Customer.Name}}, {{.Customer.Attributes.key}}, {{.PreferencesURL}} or {{.UnsubscribeURL}}", lineCol(src, field.Position()), field.String())
	}
	return nil
}

// lineCol turns a node's byte offset into the "line:column" (both from 1)
// of the "{{" that opens its action, which is where an author looks.
func lineCol(src string, pos parse.Pos) string {
	p := min(max(int(pos), 0), len(src))
	if open := strings.LastIndex(src[:p], "{{"); open >= 0 {
		p = open
	}
	before := src[:p]
	line := strings.Count(before, "\n") + 1
	col := len([]rune(before[strings.LastIndexByte(before, '\n')+1:])) + 1
	return fmt.Sprintf("%d:%d", line, col)
}

func shorten(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
