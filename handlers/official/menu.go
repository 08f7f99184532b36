package official

import (
	"strings"

	"deputylink/wechat"
)

// Click keys of the official account's custom menu. "deputylink wechat menu"
// publishes them and the push endpoint answers the CLICK events they raise.
const (
	MenuBook     = "MENU_BOOK"     // 预约接待
	MenuFile     = "MENU_FILE"     // 反映意见
	MenuMy       = "MENU_MY"       // 我的事项
	MenuStations = "MENU_STATIONS" // 附近联络站
)

// Mini-program pages the official account links to (no leading "/"). The
// deputy page is where a scanned mini-program code lands: it reads the code
// from options.scene.
const (
	MPPageDeputy = "pages/deputy/index"
	MPPageBook   = "pages/booking/index"
	MPPageFile   = "pages/opinion/new"
)

// MenuFallbackURL is the page WeChat clients too old for mini-programs open
// instead of a miniprogram button; WeChat requires one on every such button.
const MenuFallbackURL = "https://mp.weixin.qq.com/"

// MenuOptions says where the menu's mini-program entries lead.
type MenuOptions struct {
	// MPAppID is the mini-program; empty leaves the mini-program entries out.
	MPAppID string
	// BookPage and FilePage default to MPPageBook and MPPageFile.
	BookPage, FilePage string
	// FallbackURL defaults to MenuFallbackURL.
	FallbackURL string
	// DeputyURL is the deputies' own pages (<public URL>/console/me, see
	// DeputyPagesURL); empty leaves the entry 代表履职 out.
	DeputyURL string
}

// MenuDeputyPath is where the menu's 代表履职 entry leads on the site.
const MenuDeputyPath = "/console/me"

// DeputyPagesURL is the 代表履职 entry's address on the site at publicURL
// (DEPUTYLINK_PUBLIC_URL); "" without one.
func DeputyPagesURL(publicURL string) string {
	if publicURL == "" {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + MenuDeputyPath
}

// MenuButtons builds the official account's custom menu: three top-level
// buttons (WeChat allows 3, each with up to 5 sub-buttons).
//
//	预约接待: 小程序预约 (mini-program), 预约接待 (MENU_BOOK)
//	反映意见: 小程序反映 (mini-program), 反映意见 (MENU_FILE)
//	我的:     我的事项 (MENU_MY), 附近联络站 (MENU_STATIONS), 代表履职 (a web page, with DeputyURL)
//
// Without a mini-program the first two are plain click buttons.
func MenuButtons(opt MenuOptions) []*wechat.MenuButton {
	if opt.BookPage == "" {
		opt.BookPage = MPPageBook
	}
	if opt.FilePage == "" {
		opt.FilePage = MPPageFile
	}
	if opt.FallbackURL == "" {
		opt.FallbackURL = MenuFallbackURL
	}
	click := func(name, key string) *wechat.MenuButton {
		return &wechat.MenuButton{Type: "click", Name: name, Key: key}
	}
	mini := func(name, page string) *wechat.MenuButton {
		return &wechat.MenuButton{Type: "miniprogram", Name: name, AppID: opt.MPAppID, PagePath: page, URL: opt.FallbackURL}
	}
	parent := func(name string, subs ...*wechat.MenuButton) *wechat.MenuButton {
		return &wechat.MenuButton{Name: name, SubButtons: subs}
	}
	mine := parent("我的", click("我的事项", MenuMy), click("附近联络站", MenuStations))
	if opt.DeputyURL != "" {
		// The deputies' pages sign in with WeChat's web authorization.
		mine.SubButtons = append(mine.SubButtons, &wechat.MenuButton{Type: "view", Name: "代表履职", URL: opt.DeputyURL})
	}
	if opt.MPAppID == "" {
		return []*wechat.MenuButton{click("预约接待", MenuBook), click("反映意见", MenuFile), mine}
	}
	return []*wechat.MenuButton{
		parent("预约接待", mini("小程序预约", opt.BookPage), click("预约接待", MenuBook)),
		parent("反映意见", mini("小程序反映", opt.FilePage), click("反映意见", MenuFile)),
		mine,
	}
}

// SameMenu reports whether two menus are the same for the user. WeChat's
// menu/get echoes what menu/create stored, but may add empty sub_button
// lists, so those are compared as absent.
func SameMenu(a []wechat.MenuButton, b []*wechat.MenuButton) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if b[i] == nil || !sameButton(&a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameButton(a, b *wechat.MenuButton) bool {
	if a.Type != b.Type || a.Name != b.Name || a.Key != b.Key || a.URL != b.URL ||
		a.MediaID != b.MediaID || a.AppID != b.AppID || a.PagePath != b.PagePath ||
		len(a.SubButtons) != len(b.SubButtons) {
		return false
	}
	for i := range a.SubButtons {
		if a.SubButtons[i] == nil || b.SubButtons[i] == nil {
			if a.SubButtons[i] != b.SubButtons[i] {
				return false
			}
			continue
		}
		if !sameButton(a.SubButtons[i], b.SubButtons[i]) {
			return false
		}
	}
	return true
}
