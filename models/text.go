package models

import "unicode/utf8"

// Shorten is s when it has at most n characters, else its first n
// characters followed by more: "…" for text a person reads, "" to fit a
// column. It is the one place text is cut to a number of characters.
func Shorten(s string, n int, more string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:max(n, 0)]) + more
}
