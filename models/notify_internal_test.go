package models

import (
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"deputylink/config"
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

func TestHeadSummaryLabel(t *testing.T) {
	by := map[uint64]StuckCount{1: {StationID: 1, Dead: 1}, 2: {StationID: 2, Overdue: 2}, 3: {StationID: 3, Dead: 1}}
	long := Station{ID: 1, Name: "某某县某某镇某某村第一代表联络站某某分站点"}
	sum, label := headSummary([]Station{long, {ID: 2, Name: "乙站"}, {ID: 3, Name: "丙站"}, {ID: 4, Name: "丁站"}}, by)
	if sum.Dead != 2 || sum.Overdue != 2 || utf8.RuneCountInString(label) > 20 || !strings.HasSuffix(label, "等3个站点") {
		t.Fatalf("summary %+v %q", sum, label)
	}
	if _, label := headSummary([]Station{long}, by); utf8.RuneCountInString(label) != 20 {
		t.Fatalf("one long name: %q", label)
	}
	if _, label := headSummary([]Station{{ID: 2, Name: "乙站"}, {ID: 3, Name: "丙站"}}, by); label != "乙站、丙站" {
		t.Fatalf("short names: %q", label)
	}
}

func TestFillTemplate(t *testing.T) {
	values := map[string]string{"title": "通知", "count": "3", "extra": "x"}
	spec := config.TemplateSpec{ID: "t", Fields: map[string]string{"title": "thing1", "count": "number2", "time": "time3"}}
	if got := fill(spec, values); !maps.Equal(got, map[string]string{"thing1": "通知", "number2": "3"}) {
		t.Fatalf("mapped = %v", got)
	}
	if got := fill(config.TemplateSpec{ID: "t"}, values); !maps.Equal(got, values) {
		t.Fatalf("unmapped = %v", got)
	}
}

func TestShortenAndThing(t *testing.T) {
	for _, c := range []struct {
		s, more string
		n       int
		want    string
	}{
		{"意见内容", "…", 4, "意见内容"},
		{"意见内容很长", "…", 4, "意见内容…"},
		{"意见内容很长", "", 4, "意见内容"},
		{"abc", "…", 0, "…"},
	} {
		if got := Shorten(c.s, c.n, c.more); got != c.want {
			t.Errorf("Shorten(%q, %d, %q) = %q, want %q", c.s, c.n, c.more, got, c.want)
		}
	}
	for _, c := range []struct{ s, want string }{
		{"  城关  联络站 ", "城关 联络站"},
		{strings.Repeat("长", 20), strings.Repeat("长", 20)},
		{strings.Repeat("长", 21), strings.Repeat("长", 19) + "…"},
		{strings.Repeat("长", 18) + " …长长", strings.Repeat("长", 18) + "…"},
	} {
		if got := Thing(c.s); got != c.want || utf8.RuneCountInString(got) > ThingMax {
			t.Errorf("Thing(%q) = %q, want %q", c.s, got, c.want)
		}
	}
}
