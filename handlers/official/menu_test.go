package official_test

import (
	"encoding/json"
	"testing"

	"deputylink/handlers/official"
	"deputylink/wechat"
)

// Ensure the menu has the four click keys, mini-program entries with a
// fallback url, stays within WeChat's limits, and compares equal to itself
// as WeChat echoes it back.
func TestMenuButtons(t *testing.T) {
	menu := official.MenuButtons(official.MenuOptions{MPAppID: "wxmp"})
	if len(menu) < 1 || len(menu) > 3 {
		t.Fatalf("%d top-level buttons", len(menu))
	}
	keys, minis := map[string]bool{}, 0
	for _, top := range menu {
		if len(top.SubButtons) > 5 {
			t.Errorf("%s has %d sub-buttons", top.Name, len(top.SubButtons))
		}
		for _, b := range append([]*wechat.MenuButton{top}, top.SubButtons...) {
			switch b.Type {
			case "click":
				keys[b.Key] = true
			case "miniprogram":
				minis++
				if b.AppID != "wxmp" || b.PagePath == "" || b.URL == "" {
					t.Errorf("mini-program button %+v lacks appid, pagepath or url", b)
				}
			}
		}
	}
	for _, k := range []string{official.MenuBook, official.MenuFile, official.MenuMy, official.MenuStations} {
		if !keys[k] {
			t.Errorf("no click button with key %s", k)
		}
	}
	if minis != 2 {
		t.Errorf("%d mini-program entries, want 2 (booking, filing)", minis)
	}

	// WeChat's menu/get echoes the stored JSON, sometimes with empty sub_button lists.
	raw, _ := json.Marshal(menu)
	var echoed []wechat.MenuButton
	if err := json.Unmarshal(raw, &echoed); err != nil {
		t.Fatal(err)
	}
	echoed[0].SubButtons[1].SubButtons = []*wechat.MenuButton{}
	if !official.SameMenu(echoed, menu) {
		t.Error("a menu differs from its echo")
	}
	echoed[1].SubButtons[0].PagePath = "pages/other/index"
	if official.SameMenu(echoed, menu) {
		t.Error("a changed page path went unnoticed")
	}
	if official.SameMenu(nil, menu) {
		t.Error("no menu equals a menu")
	}

	plain := official.MenuButtons(official.MenuOptions{})
	for _, top := range plain {
		for _, b := range append([]*wechat.MenuButton{top}, top.SubButtons...) {
			if b.Type == "miniprogram" {
				t.Errorf("mini-program entry %q without a mini-program", b.Name)
			}
		}
	}
}

// Ensure the deputies' entry 代表履职 is a web page under 我的 when the
// site's public address is known, and absent without it.
func TestMenuDeputyEntry(t *testing.T) {
	url := official.DeputyPagesURL("https://rd.example.gov.cn/")
	if url != "https://rd.example.gov.cn/console/me" || official.DeputyPagesURL("") != "" {
		t.Fatalf("deputy pages URL %q", url)
	}
	find := func(menu []*wechat.MenuButton) *wechat.MenuButton {
		for _, top := range menu {
			for _, b := range top.SubButtons {
				if b.Name == "代表履职" {
					return b
				}
			}
		}
		return nil
	}
	for _, mp := range []string{"", "wxmp"} {
		menu := official.MenuButtons(official.MenuOptions{MPAppID: mp, DeputyURL: url})
		b := find(menu)
		if b == nil || b.Type != "view" || b.URL != url {
			t.Fatalf("mini-program %q: deputy entry %+v", mp, b)
		}
		if len(menu) > 3 {
			t.Fatalf("%d top-level buttons", len(menu))
		}
		for _, top := range menu {
			if len(top.SubButtons) > 5 || len([]rune(top.Name)) > 4 {
				t.Errorf("%s: %d sub-buttons", top.Name, len(top.SubButtons))
			}
		}
		if find(official.MenuButtons(official.MenuOptions{MPAppID: mp})) != nil {
			t.Errorf("mini-program %q: deputy entry without a public URL", mp)
		}
	}
}
