package content

import (
	"strings"
	"testing"
)

// FuzzViewHTML: judging arbitrary HTML and CSS never panics, and every
// visible link is a link of the document.
func FuzzViewHTML(f *testing.F) {
	for _, s := range []string{
		`<p style="display:none">x</p>`,
		`<style>.a{color:#fff!important}@media(max-width:1px){p{opacity:0}}</style><p class=a>x</p>`,
		`<table bgcolor=#000><tr><td><font color=#111><a href="u">y</a></font>`,
		`<div style="font-size:0"><span style="font-size:1.5em;color:rgba(0,0,0,.1)">z</span></div>`,
		`<style>p:nth-child(2n+1)>a[href^=h]{left:-9999px;position:absolute}</style><p><a href=h>q</a>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		v := viewHTML(src)
		for _, l := range v.links {
			if l.visible && !strings.Contains(src, l.href) && l.href != "" && !strings.Contains(src, "&") {
				t.Fatalf("visible link %q is not in the document", l.href)
			}
		}
		_ = v.visibleText()
	})
}
