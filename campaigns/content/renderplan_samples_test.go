package content_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

// demoTexts returns the subject and text of each sample of the demo
// (demo/content.go, the arguments of its variants calls), read from the
// source so that the test follows the demo without the demo exporting it.
func demoTexts(t *testing.T) [][2]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "..", "demo", "content.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 2 {
			return true
		}
		if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "variants" {
			return true
		}
		subject, ok1 := constString(call.Args[0])
		text, ok2 := constString(call.Args[1])
		if ok1 && ok2 {
			out = append(out, [2]string{subject, text})
		}
		return true
	})
	if len(out) < 3 {
		t.Fatalf("found %d demo samples in demo/content.go, want its 3", len(out))
	}
	return out
}

// constString evaluates a string literal or a sum of them.
func constString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		s, err := strconv.Unquote(e.Value)
		return s, err == nil && e.Kind == token.STRING
	case *ast.BinaryExpr:
		a, ok1 := constString(e.X)
		b, ok2 := constString(e.Y)
		return a + b, ok1 && ok2 && e.Op == token.ADD
	case *ast.ParenExpr:
		return constString(e.X)
	}
	return "", false
}

// corpusSamples puts every sentence of the labelled corpus into a roadmap
// of its language: in the text after a greeting, and in the HTML both
// whole and with a value after its first word.
func corpusSamples(t *testing.T) []planSample {
	t.Helper()
	files, err := filepath.Glob("testdata/corpus/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	var out []planSample
	for _, path := range files {
		lang, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(path), ".txt"), "-")
		for _, l := range content.ReadCorpus(t, path) {
			first, rest, _ := strings.Cut(l.Text, " ")
			text := "Hello {{.Customer.Name}},\n\n" + l.Text + "\n\nManage your preferences: {{.PreferencesURL}}"
			body := "<p>Hello {{.Customer.Name}},</p><p>" + html.EscapeString(first) + " {{.Customer.Attributes.c}} " +
				html.EscapeString(rest) + "</p><p>" + html.EscapeString(l.Text) + "</p>" + planLinks
			out = append(out, planSample{name: "corpus " + filepath.Base(path) + ":" + strconv.Itoa(l.Line),
				in: &models.ContentInput{Kind: models.KindRoadmap, DefaultLocale: lang, Variants: []models.Variant{
					{Locale: lang, Channel: models.ChannelEmail, Subject: "Plans", Text: text, HTML: body}}}})
		}
	}
	return out
}
