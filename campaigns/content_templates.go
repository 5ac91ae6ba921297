package campaigns

import (
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strings"
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
				_, err = pt.execute(templateData{})
			}
			if err != nil {
				p.Add(f.at, "template", "%s", err)
			}
		}
	}
	return p.Err()
}

// parsedTemplate is a checked template and the link variables it uses.
type parsedTemplate struct {
	text *template.Template
	html *htmltemplate.Template
	uses map[string]bool
}

func parseTemplate(f templateField) (*parsedTemplate, error) {
	pt := &parsedTemplate{uses: map[string]bool{}}
	var tree *parse.Tree
	if f.html {
		t, err := htmltemplate.New(f.at).Option("missingkey=zero").Parse(f.src)
		if err != nil {
			return nil, cleanTemplateError(err, f.at)
		}
		pt.html, tree = t, t.Tree
	} else {
		t, err := template.New(f.at).Option("missingkey=zero").Parse(f.src)
		if err != nil {
			return nil, cleanTemplateError(err, f.at)
		}
		pt.text, tree = t, t.Tree
	}
	if tree == nil || tree.Root == nil {
		return pt, nil
	}
	if err := checkNodes(f.src, tree.Root.Nodes, pt.uses); err != nil {
		return nil, err
	}
	return pt, nil
}

// cleanTemplateError drops the package prefix and template name, which
// only repeat the location the problem already carries.
func cleanTemplateError(err error, name string) error {
	msg := strings.TrimPrefix(err.Error(), "template: ")
	msg = strings.TrimPrefix(msg, name+":")
	return fmt.Errorf("line %s", msg)
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
