package models

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Shorten is s when it has at most n characters, else its first n
// characters followed by more: "…" for text a person reads, "" to fit a
// column. It is the one place text is cut to a number of characters.
func Shorten(s string, n int, more string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:max(n, 0)]) + more
}

// hiddenRune reports whether r is a character a person never means to type
// and that changes how the text around it is shown: a control character
// (C0, DEL, C1) or a bidirectional formatting character (embeddings and
// overrides U+202A–U+202E, isolates U+2066–U+2069, the marks U+200E, U+200F
// and U+061C).
func hiddenRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// CleanText cleans multi-line text a person typed (opinion content,
// replies, notes, comments) before it is checked and stored: bytes that are
// not UTF-8, control characters other than newline and tab, and
// bidirectional formatting characters are dropped; a carriage return
// becomes a newline; surrounding white space is trimmed.
func CleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return clean(s, func(r rune) rune {
		switch r {
		case '\n', '\t':
			return r
		case '\r':
			return '\n'
		}
		return -1
	})
}

// CleanLine cleans one line a person typed (a name, a topic, a reason, a
// field of a form) like CleanText, except that newlines and tabs become
// spaces. A name that is empty afterwards is refused by its caller.
func CleanLine(s string) string {
	return clean(s, func(r rune) rune {
		switch r {
		case '\n', '\r', '\t':
			return ' '
		}
		return -1
	})
}

// clean drops invalid UTF-8 and hidden characters, except those keep maps
// to something (not -1), and trims the result.
func clean(s string, keep func(rune) rune) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if hiddenRune(r) {
			return keep(r)
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// MaxID is the largest id a row can have: ids are signed 64-bit integers in
// the database, and the SQLite driver refuses an unsigned argument above
// this.
const MaxID = 1<<63 - 1

// ValidID reports whether id can name a row: 1 to MaxID.
func ValidID(id uint64) bool { return id != 0 && id <= MaxID }

// ParseID reads an id written in decimal; anything that cannot name a row
// (0, a sign, more digits than fit, letters) is not one.
func ParseID(s string) (uint64, bool) {
	id, err := strconv.ParseUint(s, 10, 64)
	return id, err == nil && ValidID(id)
}

// escapeLike escapes s for a LIKE pattern written with ESCAPE '!' (SQLite
// has no default escape character), so "%", "_" and "!" match themselves.
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}
