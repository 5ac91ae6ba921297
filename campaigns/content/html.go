package content

import "golang.org/x/net/html/atom"

// hiddenElements hold markup a reader of the email never sees as body
// text or as a link: a URL or a disclaimer inside them does not count.
var hiddenElements = map[atom.Atom]bool{
	atom.Head: true, atom.Title: true, atom.Script: true, atom.Style: true,
	atom.Template: true, atom.Noscript: true,
}
