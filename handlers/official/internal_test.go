package official

import (
	"encoding/xml"
	"strings"
	"testing"
)

// Ensure CDATA output always parses back to the text minus the characters
// XML cannot carry.
func TestAppendCDATA(t *testing.T) {
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
		b := string(appendCDATA([]byte("prefix"), in))[len("prefix"):]
		var v struct {
			S string `xml:",chardata"`
		}
		if err := xml.Unmarshal([]byte("<x>"+b+"</x>"), &v); err != nil {
			t.Errorf("%q: %q does not parse: %v", in, b, err)
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

// Ensure appendCDATA's shortcut for clean text gives what the rune by rune
// path gives, for every input.
func FuzzAppendCDATA(f *testing.F) {
	for _, s := range []string{"", "中文，全角。", "a]]>b", "]]", "tab\tnl\ncr\r", "ctl\x00\x1f", "\xff\xfe",
		"\uFFFE\uFFFF\uFFFD", "\xef\xbf", "\xef\xbf\xbe", "😀", "\x7f\u0085", "张秀兰\n预约请点这里"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := string(appendCDATA(nil, s))
		want := string(appendCDATABody([]byte("<![CDATA["), s))
		if got != want {
			t.Fatalf("appendCDATA(%q) = %q, rune by rune %q", s, got, want)
		}
	})
}
