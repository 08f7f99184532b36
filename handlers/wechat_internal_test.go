package handlers

import (
	"encoding/xml"
	"strings"
	"testing"
)

// Ensure CDATA output always parses back to the text minus the characters
// XML cannot carry.
func TestWriteCDATA(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"plain ASCII +/=":         "plain ASCII +/=",
		"中文，全角。":                  "中文，全角。",
		"a]]>b":                   "a]]>b",
		"]]>]]>":                  "]]>]]>",
		"]]":                      "]]",
		"tab\tnl\ncr\r":           "tab\tnl\ncr\n", // XML normalises CR to LF on reading
		"ctl\x00\x02\x1f end":     "ctl end",
		"bad utf8 \xff\xfe ok":    "bad utf8  ok",
		"nonchar \uFFFE\uFFFF ok": "nonchar  ok",
		"emoji 😀":                 "emoji 😀",
	} {
		var b strings.Builder
		writeCDATA(&b, in)
		var v struct {
			S string `xml:",chardata"`
		}
		if err := xml.Unmarshal([]byte("<x>"+b.String()+"</x>"), &v); err != nil {
			t.Errorf("%q: %q does not parse: %v", in, b.String(), err)
			continue
		}
		if v.S != want {
			t.Errorf("%q: read back %q, want %q", in, v.S, want)
		}
	}
}

// Ensure clipBytes never splits a character.
func TestClipBytes(t *testing.T) {
	s := "代表abc"
	for n := range len(s) + 2 {
		got := clipBytes(s, n)
		if len(got) > n || !strings.HasPrefix(s, got) || strings.ContainsRune(got, '\uFFFD') {
			t.Errorf("clipBytes(%q, %d) = %q", s, n, got)
		}
	}
}
