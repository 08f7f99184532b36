package models

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestJoinThing(t *testing.T) {
	for _, c := range []struct {
		items []string
		want  string
	}{
		{nil, "无"},
		{[]string{"张秀兰", "李建国"}, "张秀兰、李建国"},
		{[]string{"欧阳娜娜娜", "司马相如如", "诸葛亮亮亮", "上官婉儿儿"}, "欧阳娜娜娜、司马相如如、诸葛亮亮亮…"},
		{[]string{strings.Repeat("长", 30)}, strings.Repeat("长", 19) + "…"},
	} {
		if got := joinThing(c.items, "、"); got != c.want || utf8.RuneCountInString(got) > 20 {
			t.Errorf("joinThing(%v) = %q, want %q", c.items, got, c.want)
		}
	}
}
