package models_test

import (
	"testing"

	"deputylink/models"
)

func TestNormalizePlace(t *testing.T) {
	for in, want := range map[string]string{
		"东门社区":        "东门",
		" 东门 社区 ":     "东门",
		"桃花村":         "桃花",
		"村":           "村",
		"滨江小区。":       "滨江",
		"溪东新村":        "溪东新",
		"ＡＢＣ小区":       "abc",
		"东门社区居委会":     "东门",
		"新华路18号":      "新华路18号",
		"“文昌阁”":       "文昌阁",
		"sha wan cun": "shawancun",
	} {
		if got := models.NormalizePlace(in); got != want {
			t.Errorf("NormalizePlace(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchCommunities(t *testing.T) {
	e := newOpEnv(t)
	cases := []struct {
		query string
		want  string // the best match; "" = none
		score int
	}{
		{"东门", "东门社区", 100},
		{"东门社区", "东门社区", 100},
		{"老东门", "东门社区", 95},
		{"东门街12号", "东门社区", 80},
		{"桃花", "桃花村", 100},
		{"桃花村", "桃花村", 100},
		{" 滨江小区 ", "滨江社区", 100},
		{"江边", "滨江社区", 95},
		{"溪东新村", "溪东社区", 95},
		{"金沙湾小区", "金沙社区", 95},
		{"城西", "城西村", 100},
		{"上梅岭", "梅岭村", 95},
		{"杏林湾", "杏林村", 95},
		{"龙潭坑村", "龙潭村", 95},
		{"文昌阁附近", "文昌社区", 80},
		{"住在云峰", "云峰村", 60},
		{"望江门外", "望江社区", 80},
		{"茶山坞口", "茶山村", 80},
		{"芦花", "芦荡村", 0}, // a shared prefix of "芦花荡"
		{"火星基地", "", 0},
	}
	for _, c := range cases {
		got, err := models.MatchCommunities(e.ctx, e.db, c.query, 3)
		if err != nil {
			t.Fatal(err)
		}
		if c.want == "" {
			if len(got) != 0 {
				t.Errorf("%q matched %s", c.query, got[0].Community.Name)
			}
			continue
		}
		if len(got) == 0 || got[0].Community.Name != c.want {
			t.Errorf("%q: got %+v, want %s", c.query, got, c.want)
			continue
		}
		if c.score != 0 && got[0].Score != c.score {
			t.Errorf("%q: score %d, want %d (matched %s)", c.query, got[0].Score, c.score, got[0].Matched)
		}
		if got[0].Community.StationID == 0 {
			t.Errorf("%q: no station", c.query)
		}
	}
	if _, err := models.MatchCommunities(e.ctx, e.db, " ，。 ", 3); opCode(err) != "invalid_query" {
		t.Fatalf("empty query: %v", err)
	}
	// Several candidates come best first, limited.
	got, _ := models.MatchCommunities(e.ctx, e.db, "溪", 10)
	if len(got) < 3 {
		t.Fatalf("溪: %d matches", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Score > got[i-1].Score {
			t.Fatalf("not sorted: %+v", got)
		}
	}
	if got, _ := models.MatchCommunities(e.ctx, e.db, "溪", 2); len(got) != 2 {
		t.Fatalf("limit: %d", len(got))
	}
}

// Character overlap catches a reordered or partly remembered name.
func TestMatchCommunityListOverlap(t *testing.T) {
	list := []models.Community{
		{ID: 1, Name: "长桥社区", Aliases: "长桥|长桥头"},
		{ID: 2, Name: "高峰村", Aliases: "高峰岭"},
	}
	got := models.MatchCommunityList(list, "桥长头", 5)
	if len(got) != 1 || got[0].Community.ID != 1 || got[0].Score != 40 {
		t.Fatalf("overlap: %+v", got)
	}
	if got := models.MatchCommunityList(list, "峰", 5); len(got) != 1 || got[0].Community.ID != 2 {
		t.Fatalf("one character: %+v", got)
	}
	if got := models.MatchCommunityList(list, "东峰桥", 5); len(got) != 0 {
		t.Fatalf("one shared character is no match: %+v", got)
	}
}
