package web

import (
	"strings"
	"testing"

	"golang.org/x/text/language"
)

func TestRender(t *testing.T) {
	pages, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		page     string
		data     any
		want     []string
		unwanted []string
	}{
		{"the unsubscribe page posts the one-click form", PageUnsubscribe, UnsubscribeData{Action: "tok_123"},
			[]string{`<form method="post" action="tok_123">`, `name="List-Unsubscribe" value="One-Click"`, `<title>Unsubscribe</title>`}, []string{"<script"}},
		{"the done page says when nothing changed", PageUnsubscribed, UnsubscribedData{Changed: 0},
			[]string{"already unsubscribed"}, []string{"You are unsubscribed"}},
		{"the done page confirms a change", PageUnsubscribed, UnsubscribedData{Changed: 3},
			[]string{"You are unsubscribed"}, []string{"already unsubscribed"}},
		{"the error page escapes its text", PageError, ErrorData{Title: "Oops <b>", Message: "<script>alert(1)</script>"},
			[]string{"Oops &lt;b&gt;", "&lt;script&gt;"}, []string{"<script>", "<b>"}},
		{"a javascript action is neutralised", PageUnsubscribe, UnsubscribeData{Action: "javascript:alert(1)"},
			[]string{`action="#ZgotmplZ"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := pages.Render(tt.page, language.English, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, u := range tt.unwanted {
				if strings.Contains(string(out), u) {
					t.Errorf("output contains %q:\n%s", u, out)
				}
			}
		})
	}
}

func TestRenderUnknownPageFails(t *testing.T) {
	pages, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pages.Render("nope", language.English, nil); err == nil {
		t.Error("rendering an unknown page succeeded")
	}
}
