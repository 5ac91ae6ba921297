package content

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// normText is text as every check reads it, with the way back to what the
// author wrote: orig[i] is the byte offset in the source of byte i of s,
// and orig[len(s)] the end of the source.
type normText struct {
	s    string
	orig []int32
}

// sourceOffset returns the byte offset in the source of byte i of t.
func (t normText) sourceOffset(i int) int {
	if i >= len(t.orig) {
		return int(t.orig[len(t.orig)-1])
	}
	return int(t.orig[i])
}

// normalize prepares text for matching so that what a reader sees as the
// same word is the same string:
//
//  1. Unicode compatibility decomposition (NFKD; the compatibility
//     mappings of NFKC: fullwidth, ligatures, mathematical letters);
//  2. format characters (category Cf: zero-width spaces and joiners, soft
//     hyphens, bidi controls), other default-ignorable code points,
//     variation selectors and combining marks removed, so accents and
//     marks stacked on letters do not split a word ("garantía" reads as
//     "garantia", which is also how many people type it);
//  3. full case folding (golang.org/x/text/cases);
//  4. letters confusable with a Latin letter under Unicode TS #39 (a
//     Cyrillic "а", a Greek "ο") replaced by that letter (confusables.go);
//  5. a right single quote read as an apostrophe;
//  6. runs of at least three single letters spaced or punctuated apart
//     ("g u a r a n t e e", "g.u.a.r.a.n.t.e.e") joined into one word.
//
// ASCII text skips the Unicode steps, which keeps the common case fast.
func normalize(src string) normText {
	b := make([]byte, 0, len(src)+8)
	orig := make([]int32, 0, len(src)+9)
	emit := func(r rune, at int) {
		n := len(b)
		b = utf8.AppendRune(b, r)
		for ; n < len(b); n++ {
			orig = append(orig, int32(at))
		}
	}
	if isASCII(src) {
		for i := 0; i < len(src); i++ {
			c := src[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			orig = append(orig, int32(i))
		}
	} else {
		var it norm.Iter
		it.InitString(norm.NFKD, src)
		folder := cases.Fold()
		var buf [16]byte
		for !it.Done() {
			at := it.Pos()
			seg := it.Next()
			for len(seg) > 0 {
				r, size := utf8.DecodeRune(seg)
				seg = seg[size:]
				switch {
				case r < utf8.RuneSelf:
					if 'A' <= r && r <= 'Z' {
						r += 'a' - 'A'
					}
					emit(r, at)
					continue
				case r == '’' || r == 'ʼ' || r == '‘' || r == '′':
					emit('\'', at)
					continue
				case r == '·' || r == '•' || r == '‧' || r == '∙' || r == '⋅':
					emit('.', at) // separators of spelled-out letters
					continue
				}
				folder.Reset()
				n, _, err := folder.Transform(buf[:], []byte(string(r)), true)
				if err != nil { // cannot happen for one rune; keep it as it is
					n = copy(buf[:], string(r))
				}
				for f := buf[:n]; len(f) > 0; {
					fr, fs := utf8.DecodeRune(f)
					f = f[fs:]
					if ignorable(fr) {
						continue
					}
					if l, ok := confusableLatin[fr]; ok {
						fr = l
					}
					emit(fr, at)
				}
			}
		}
	}
	orig = append(orig, int32(len(src)))
	t := joinSpacedLetters(normText{s: string(b), orig: orig})
	if strings.ContainsAny(t.s, "1|") {
		b := []byte(t.s)
		lookalikesOfL(b)
		t.s = string(b)
	}
	return t
}

// lookalikesOfL reads a 1 or | next to a letter as the l it imitates
// ("1imited", "revo|utionary"; TS #39 holds both confusable with l, and
// NFKD has already turned ¹, ₁, 𝟏 and ｜ into them). A 1 among digits or
// alone ("#1", "2 in 1", "10") stays a digit; "Q1" reads "ql", which no
// list holds.
func lookalikesOfL(b []byte) {
	for i, c := range b {
		if c != '1' && c != '|' {
			continue
		}
		before := i > 0 && isLetterBefore(b[:i])
		after := i+1 < len(b) && isLetterAfter(b[i+1:])
		digitNear := (i > 0 && b[i-1] >= '0' && b[i-1] <= '9') || (i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9')
		if (before || after) && !digitNear {
			b[i] = 'l'
		}
	}
}

func isLetterBefore(b []byte) bool {
	r, _ := utf8.DecodeLastRune(b)
	return unicode.IsLetter(r)
}

func isLetterAfter(b []byte) bool {
	r, _ := utf8.DecodeRune(b)
	return unicode.IsLetter(r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// ignorable reports whether r changes nothing a reader sees in a word:
// format characters, other default-ignorable code points, variation
// selectors and combining marks.
func ignorable(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// minSpacedLetters: runs of one or two single letters are ordinary words
// ("a", "I", "y a", "e.g."), three or more are a spelled-out word.
const minSpacedLetters = 3

// joinSpacedLetters removes the separators inside runs of at least
// minSpacedLetters single letters that are separated alike ("g u a r",
// "g.u.a.r"). A different separator ends the run, so "a c t  n o w" (two
// spaces between the words) stays two words.
func joinSpacedLetters(t normText) normText {
	s := t.s
	// Fast exit: no single letter followed by a separator and a letter.
	if !hasSpacedLetter(s) {
		return t
	}
	var b []byte
	var orig []int32
	last := 0 // bytes of s before last are copied
	i := 0
	for i < len(s) {
		if i > 0 && isASCIIWordByte(s[i-1]) { // inside a word: cannot start a single letter
			i++
			continue
		}
		if !singleLetterAt(s, i) {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		// Collect the run starting at the single letter at i.
		letters := []int{i}
		_, size := utf8.DecodeRuneInString(s[i:])
		j := i + size
		sep := ""
		for {
			k := j
			for k < len(s) && k-j < 3 && isSeparatorByte(s, k) {
				k++
			}
			if k == j || k >= len(s) || (sep != "" && s[j:k] != sep) || !singleLetterAt(s, k) {
				break
			}
			sep = s[j:k]
			letters = append(letters, k)
			_, size := utf8.DecodeRuneInString(s[k:])
			j = k + size
		}
		if len(letters) >= minSpacedLetters {
			if b == nil {
				b = make([]byte, 0, len(s))
				orig = make([]int32, 0, len(t.orig))
			}
			b = append(b, s[last:i]...)
			orig = append(orig, t.orig[last:i]...)
			for _, at := range letters {
				_, size := utf8.DecodeRuneInString(s[at:])
				if s[at] == '1' {
					b = append(b, 'l') // "u n b e a t a b 1 e"
					orig = append(orig, t.orig[at])
					continue
				}
				b = append(b, s[at:at+size]...)
				orig = append(orig, t.orig[at:at+size]...)
			}
			last = j
		}
		i = j
	}
	if b == nil {
		return t
	}
	b = append(b, s[last:]...)
	orig = append(orig, t.orig[last:]...)
	return normText{s: string(b), orig: orig}
}

// hasSpacedLetter reports whether s may hold a spelled-out word: two
// single letters, each followed by a separator. Most text has none, and
// this look is cheaper than joinSpacedLetters' own.
func hasSpacedLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if i > 0 && !isSeparatorByte(s, i-1) {
			continue
		}
		if !singleLetterAt(s, i) {
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		j := i + size
		for j < len(s) && j-i-size < 3 && isSeparatorByte(s, j) {
			j++
		}
		if j > i+size && singleLetterAt(s, j) {
			return true
		}
	}
	return false
}

func isASCIIWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z'
}

func isSeparatorByte(s string, i int) bool {
	c := s[i]
	if c < utf8.RuneSelf {
		return c == ' ' || c == '.' || c == '-' || c == '_' || c == '*' || c == '/' || c == '|' || c == '~' || c == '+'
	}
	return false
}

// singleLetterAt reports whether a letter starts at i with no letter or
// digit directly before or after it.
func singleLetterAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	if i+1 < len(s) && isASCIIWordByte(s[i]) && isASCIIWordByte(s[i+1]) {
		return false // the common case: the start of a longer word
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if !unicode.IsLetter(r) && r != '1' {
		return false
	}
	if i > 0 {
		p, _ := utf8.DecodeLastRuneInString(s[:i])
		if isWordRune(p) || p == '\'' {
			return false
		}
	}
	if i+size < len(s) {
		n, _ := utf8.DecodeRuneInString(s[i+size:])
		if isWordRune(n) || n == '\'' {
			return false
		}
	}
	return true
}
