package web

import (
	"html/template"
	"slices"
	"strings"
	"text/template/parse"
	"unicode"

	"golang.org/x/net/html"
)

// translators are the template functions whose first argument is a
// message id.
var translators = []string{"t", "th"}

// templateMessages lists the literal message ids the templates of one
// language pass to t or th, sorted and without repeats.
func templateMessages(pages map[string]*template.Template) []string {
	var ids []string
	eachTree(pages, func(root parse.Node) {
		walk(root, func(n parse.Node) {
			cmd, ok := n.(*parse.CommandNode)
			if !ok || len(cmd.Args) < 2 {
				return
			}
			fn, ok := cmd.Args[0].(*parse.IdentifierNode)
			if !ok || !slices.Contains(translators, fn.Ident) {
				return
			}
			if s, ok := cmd.Args[1].(*parse.StringNode); ok {
				ids = append(ids, s.Text)
			}
		})
	})
	slices.Sort(ids)
	return slices.Compact(ids)
}

// eachTree calls fn with the root of every template of every page.
func eachTree(pages map[string]*template.Template, fn func(parse.Node)) {
	for _, p := range pages {
		for _, t := range p.Templates() {
			if t.Tree != nil && t.Tree.Root != nil {
				fn(t.Tree.Root)
			}
		}
	}
}

// walk visits n and every node below it.
func walk(n parse.Node, visit func(parse.Node)) {
	if n == nil {
		return
	}
	visit(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, visit)
		}
	case *parse.ActionNode:
		walk(n.Pipe, visit)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, visit)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, visit)
		}
	case *parse.IfNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.TemplateNode:
		walk(n.Pipe, visit)
	}
}

func walkBranch(b *parse.BranchNode, visit func(parse.Node)) {
	walk(b.Pipe, visit)
	walk(b.List, visit)
	if b.ElseList != nil {
		walk(b.ElseList, visit)
	}
}

// notWords are texts a template may write as they are in every language.
var notWords = []string{"Candor"}

// untranslatedText lists the words a template writes itself instead of
// through the catalogue: text between tags, and the attributes people
// read (title, alt, aria-label, placeholder, a button's value), outside
// <style> and <code> (syntax the customer types, the same in every
// language). Template actions count as translated.
func untranslatedText(t *template.Template) []string {
	var b strings.Builder
	if t.Tree != nil {
		walk(t.Tree.Root, func(n parse.Node) {
			switch n := n.(type) {
			case *parse.TextNode:
				b.Write(n.Text)
			case *parse.ActionNode, *parse.TemplateNode:
				b.WriteString("\x00") // translated by t, or data
			}
		})
	}
	var found []string
	z := html.NewTokenizer(strings.NewReader(b.String()))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return found
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "style" || tok.Data == "code" {
				skip++
			}
			for _, a := range tok.Attr {
				readable := slices.Contains([]string{"title", "alt", "aria-label", "placeholder"}, a.Key) ||
					(a.Key == "value" && tok.Data == "input" && slices.ContainsFunc(tok.Attr, func(x html.Attribute) bool {
						return x.Key == "type" && (x.Val == "submit" || x.Val == "button")
					}))
				if readable && hasWords(a.Val) {
					found = append(found, tok.Data+"@"+a.Key+": "+a.Val)
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "style" || string(name) == "code" {
				skip--
			}
		case html.TextToken:
			if s := strings.TrimSpace(strings.ReplaceAll(string(z.Text()), "\x00", " ")); skip == 0 && hasWords(s) {
				found = append(found, s)
			}
		}
	}
}

// hasWords reports whether s has a letter outside template actions and
// the words allowed as they are.
func hasWords(s string) bool {
	for _, w := range notWords {
		s = strings.ReplaceAll(s, w, "")
	}
	return strings.ContainsFunc(s, unicode.IsLetter)
}
