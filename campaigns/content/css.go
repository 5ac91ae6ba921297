package content

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/andybalholm/cascadia"
	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/css"
	"golang.org/x/net/html"
)

// cssProperties are the properties the visibility judgement reads; the
// rest of a style sheet is skipped. docs/content.md lists what each does.
var cssProperties = map[string]bool{
	"display": true, "visibility": true, "opacity": true, "mso-hide": true,
	"font-size": true, "height": true, "max-height": true, "width": true, "max-width": true,
	"overflow": true, "overflow-x": true, "overflow-y": true,
	"color": true, "background-color": true, "background": true,
	"position": true, "left": true, "top": true, "right": true, "bottom": true,
	"text-indent": true, "margin-left": true, "margin-top": true,
	"clip": true, "clip-path": true, "transform": true,
}

// declaration is one property: value pair of a rule or a style attribute.
type declaration struct {
	prop, value string
	important   bool
}

// cssRule is a rule of a <style> block: one selector of its group, so
// each has its own specificity.
type cssRule struct {
	sel   cascadia.Sel
	spec  cascadia.Specificity
	order int
	decls []declaration
	group string // the selector group as cascadia read it, for the render plans
}

// parseDeclarations reads a style attribute ("color: red; display: none").
func parseDeclarations(style string) []declaration {
	p := css.NewParser(parse.NewInputString(style), true)
	var out []declaration
	for {
		gt, _, data := p.Next()
		switch gt {
		case css.ErrorGrammar:
			return out
		case css.DeclarationGrammar:
			if d, ok := declarationOf(data, p.Values()); ok {
				out = append(out, d)
			}
		}
	}
}

func declarationOf(prop []byte, values []css.Token) (declaration, bool) {
	name := strings.ToLower(string(prop))
	if !cssProperties[name] {
		return declaration{}, false
	}
	var b strings.Builder
	important := false
	for i, v := range values {
		if v.TokenType == css.DelimToken && string(v.Data) == "!" && i+1 < len(values) && strings.EqualFold(string(values[i+1].Data), "important") {
			important = true
			break
		}
		b.Write(v.Data)
	}
	return declaration{prop: name, value: strings.ToLower(strings.TrimSpace(b.String())), important: important}, true
}

// parseStyleSheet reads the rules of <style> blocks. Rules inside @media
// apply as if the media matched: content hidden for some readers is
// hidden. Selectors cascadia cannot compile are skipped.
func parseStyleSheet(sheet string, order *int) []cssRule {
	p := css.NewParser(parse.NewInputString(sheet), false)
	var out []cssRule
	var group cascadia.SelectorGroup
	var groupText string
	var decls []declaration
	for {
		gt, _, data := p.Next()
		switch gt {
		case css.ErrorGrammar:
			return out
		case css.BeginRulesetGrammar, css.QualifiedRuleGrammar:
			var sel strings.Builder
			for _, v := range p.Values() {
				sel.Write(v.Data)
			}
			groupText = sel.String()
			group, _ = cascadia.ParseGroup(groupText)
			decls = nil
		case css.DeclarationGrammar:
			if d, ok := declarationOf(data, p.Values()); ok {
				decls = append(decls, d)
			}
		case css.EndRulesetGrammar:
			for _, s := range group {
				*order++
				out = append(out, cssRule{sel: s, spec: s.Specificity(), order: *order, decls: decls, group: groupText})
			}
			group = nil
		}
	}
}

// sheetCache keeps parsed <style> blocks: every customer's render of a
// template carries the same one. Compiled selectors are read-only, so the
// rules are shared; only their order is renumbered per document.
var sheetCache sync.Map // sheet text -> []cssRule

const maxCachedSheets = 1000

var cachedSheets atomic.Int64

// styleSheet returns the rules of a <style> block, numbered from *order.
func styleSheet(sheet string, order *int) []cssRule {
	var rules []cssRule
	if v, ok := sheetCache.Load(sheet); ok {
		rules = v.([]cssRule)
	} else {
		n := 0
		rules = parseStyleSheet(sheet, &n)
		if cachedSheets.Add(1) <= maxCachedSheets {
			sheetCache.Store(sheet, rules)
		}
	}
	out := make([]cssRule, len(rules))
	for i, r := range rules {
		*order++
		r.order = *order
		out[i] = r
	}
	return out
}

// cascade returns the declarations that apply to n, in increasing
// precedence: sheet rules by specificity and order, then the style
// attribute, then !important sheet rules, then !important inline ones.
func cascade(n *html.Node, rules []cssRule) map[string]string {
	var matched []*cssRule
	for i := range rules {
		if rules[i].sel.Match(n) {
			matched = append(matched, &rules[i])
		}
	}
	sort.SliceStable(matched, func(i, j int) bool {
		a, b := matched[i], matched[j]
		if a.spec != b.spec {
			return a.spec.Less(b.spec)
		}
		return a.order < b.order
	})
	var inline []declaration
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == "style" {
			inline = parseDeclarations(a.Val)
		}
	}
	out := map[string]string{}
	apply := func(ds []declaration, important bool) {
		for _, d := range ds {
			if d.important == important {
				out[d.prop] = d.value
			}
		}
	}
	for _, r := range matched {
		apply(r.decls, false)
	}
	apply(inline, false)
	for _, r := range matched {
		apply(r.decls, true)
	}
	apply(inline, true)
	return out
}
