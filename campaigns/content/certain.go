package content

import "strings"

// certainDisclaimer reports whether a text made of segs, with a customer's
// value (anything without "{{") between each two, shows a disclaimer in
// lang whatever the values are. When it does, Render need not read each
// customer's message for it.
//
// hasDisclaimer decides clause by clause: a phrase, the negation before
// or after it and the allowed near misses around it all stop at the end
// of a clause, and normalizing a character looks at its neighbours only
// (a joined spelled-out word spans single letters and the separators
// " .-_*/|~+" between them; a 1 or | next to a letter). So a clause that
// lies between two barriers of one static segment reads the same whatever
// surrounds the segment, and a disclaimer found there is in every
// message. A barrier is punctuation that ends a clause, is no separator
// of spelled-out letters and is never rewritten: , ; : ! ? ( ) [ ] " and
// newline, or a full stop right after two letters or digits (the end of a
// word, so no run of single letters can reach across it).
//
// The first segment may be read from the start of the text and the last
// to its end. Each stretch is judged both at the end of a text and with
// a clause after it, because a phrase ending in a gap ("...") matches
// only at the very end and the value after a stretch may be empty.
func certainDisclaimer(lang string, segs []string) bool {
	if strings.Contains(strings.Join(segs, ""), "{{") {
		return false // extractText would read it as an action; rare enough to judge in full
	}
	for i, s := range segs {
		from, to := 0, len(s)
		if i > 0 {
			if from = firstBarrier(s); from < 0 {
				continue
			}
		}
		if i < len(segs)-1 {
			if to = lastBarrier(s) + 1; to <= from {
				continue
			}
		}
		if part := s[from:to]; hasDisclaimer(lang, part) && hasDisclaimer(lang, part+"\nzq") {
			return true
		}
	}
	return false
}

func firstBarrier(s string) int {
	for p := range len(s) {
		if isBarrier(s, p) {
			return p
		}
	}
	return -1
}

func lastBarrier(s string) int {
	for p := len(s) - 1; p >= 0; p-- {
		if isBarrier(s, p) {
			return p
		}
	}
	return -1
}

// isBarrier reports whether s[p] ends a clause in every text s is part of
// (see certainDisclaimer).
func isBarrier(s string, p int) bool {
	switch s[p] {
	case ',', ';', ':', '!', '?', '(', ')', '[', ']', '"', '\n':
		return true
	case '.':
		return p >= 2 && isASCIIWordByte(s[p-1]) && isASCIIWordByte(s[p-2])
	}
	return false
}
