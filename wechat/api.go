package wechat

import (
	"context"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/miniprogram/business"
	"github.com/silenceper/wechat/v2/miniprogram/qrcode"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
)

// Session is the result of a mini-program login (code2session). SessionKey
// must stay on the server.
type Session struct {
	OpenID, SessionKey, UnionID string
}

// Code2Session exchanges a wx.login code. Errors are *APIError; ErrCode
// 40029 (invalid code) and 40163 (code already used) are the user's fault.
func (c *Client) Code2Session(ctx context.Context, jsCode string) (Session, error) {
	const op = "auth.code2session"
	if err := c.needMP(op); err != nil {
		return Session{}, err
	}
	if jsCode == "" || len(jsCode) > 256 {
		return Session{}, invalidArg(op, "js_code must be 1..256 bytes")
	}
	// The SDK formats js_code into the URL without escaping; escape it here.
	code := url.QueryEscape(jsCode)
	var s Session
	err := c.call(ctx, nil, op, func() error {
		res, err := c.mpAuth.Code2SessionContext(ctx, code)
		s = Session{OpenID: res.OpenID, SessionKey: res.SessionKey, UnionID: res.UnionID}
		return err
	})
	if err != nil {
		return Session{}, err
	}
	return s, nil
}

// PhoneNumber exchanges a getPhoneNumber code for the user's phone number
// without country code (purePhoneNumber).
func (c *Client) PhoneNumber(ctx context.Context, code string) (string, error) {
	const op = "business.getuserphonenumber"
	if err := c.needMP(op); err != nil {
		return "", err
	}
	if code == "" {
		return "", invalidArg(op, "code is required")
	}
	var phone string
	err := c.call(ctx, c.mpToken, op, func() error {
		info, err := c.mpBiz.GetPhoneNumberWithContext(ctx, &business.GetPhoneNumberRequest{Code: code})
		phone = info.PurePhoneNumber
		return err
	})
	return phone, err
}

// MaxQRExpire is the longest lifetime of a temporary OA QR code (30 days).
const MaxQRExpire = 30 * 24 * time.Hour

// Ticket is an OA parametric QR code. URL is the content the QR encodes.
type Ticket struct {
	Ticket, URL   string
	ExpireSeconds int
}

// QRTicket creates an OA QR code with a string scene (1..64 bytes):
// temporary (QR_STR_SCENE, 1 s ≤ expire ≤ 30 days) or permanent
// (QR_LIMIT_STR_SCENE, expire ignored).
func (c *Client) QRTicket(ctx context.Context, scene string, expire time.Duration, permanent bool) (Ticket, error) {
	const op = "qrcode.create"
	if err := c.needOA(op); err != nil {
		return Ticket{}, err
	}
	if len(scene) < 1 || len(scene) > 64 || !utf8.ValidString(scene) {
		return Ticket{}, invalidArg(op, "scene must be 1..64 bytes of UTF-8")
	}
	var req *basic.Request
	if permanent {
		req = basic.NewLimitQrRequest(scene) // string scene: never an integer kind
	} else {
		if expire < time.Second || expire > MaxQRExpire {
			return Ticket{}, invalidArg(op, "expire must be between 1s and 30 days")
		}
		req = basic.NewTmpQrRequest(expire, scene)
	}
	var t Ticket
	err := c.call(ctx, c.oaToken, op, func() error {
		res, err := c.basic.GetQRTicket(req)
		if err == nil && res != nil {
			t = Ticket{Ticket: res.Ticket, URL: res.URL, ExpireSeconds: int(res.ExpireSeconds)}
		}
		return err
	})
	return t, err
}

// ShowQRCodeURL returns the image URL for an OA QR ticket, escaping the
// ticket as WeChat requires (the SDK's basic.ShowQRCode does not).
func ShowQRCodeURL(ticket string) string {
	return "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=" + url.QueryEscape(ticket)
}

// WXACodeOption tunes WXACodeUnlimit.
type WXACodeOption func(*qrcode.QRCoder)

// WithoutCheckPath sets check_path=false: the page need not exist in the
// published version (WeChat caps such pages at 60,000).
func WithoutCheckPath() WXACodeOption {
	return func(q *qrcode.QRCoder) { f := false; q.CheckPath = &f }
}

// WithEnvVersion selects "release", "trial" or "develop".
func WithEnvVersion(v string) WXACodeOption {
	return func(q *qrcode.QRCoder) { q.EnvVersion = v }
}

// WithWidth sets the image width in pixels (WeChat accepts 280..1280).
func WithWidth(px int) WXACodeOption {
	return func(q *qrcode.QRCoder) { q.Width = px }
}

// wxaSceneChars is the character set WeChat allows in a mini-program scene.
const wxaSceneChars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#$&'()*+,/:;=?@-._~"

// ValidWXAScene reports whether scene is 1..32 characters from WeChat's
// allowed set (no '%', no Chinese).
func ValidWXAScene(scene string) bool {
	if len(scene) < 1 || len(scene) > 32 {
		return false
	}
	for i := 0; i < len(scene); i++ {
		if strings.IndexByte(wxaSceneChars, scene[i]) < 0 {
			return false
		}
	}
	return true
}

// WXACodeUnlimit renders a mini-program code (getwxacodeunlimit, unlimited
// count) and returns the JPEG bytes. page has no leading '/' and no query
// ("" opens the home page); the mini-program reads the scene with
// decodeURIComponent(options.scene).
func (c *Client) WXACodeUnlimit(ctx context.Context, scene, page string, opts ...WXACodeOption) ([]byte, error) {
	const op = "wxacode.getunlimited"
	if err := c.needMP(op); err != nil {
		return nil, err
	}
	if !ValidWXAScene(scene) {
		return nil, invalidArg(op, "scene must be 1..32 characters of [0-9A-Za-z!#$&'()*+,/:;=?@-._~]")
	}
	if strings.HasPrefix(page, "/") || strings.ContainsAny(page, "?#") {
		return nil, invalidArg(op, "page must have no leading '/' and no query")
	}
	q := qrcode.QRCoder{Scene: scene, Page: page}
	for _, o := range opts {
		o(&q)
	}
	var img []byte
	err := c.call(ctx, c.mpToken, op, func() error {
		var err error
		img, err = c.mpQR.GetWXACodeUnlimit(q)
		return err
	})
	return img, err
}

// MenuButton is the SDK's OA menu button (type, name, key, url, appid,
// pagepath, sub_button).
type MenuButton = menu.Button

// CreateMenu replaces the OA's custom menu.
func (c *Client) CreateMenu(ctx context.Context, buttons []*MenuButton) error {
	const op = "menu.create"
	if err := c.needOA(op); err != nil {
		return err
	}
	if len(buttons) < 1 || len(buttons) > 3 {
		return invalidArg(op, "a menu has 1..3 top-level buttons")
	}
	return c.call(ctx, c.oaToken, op, func() error { return c.menu.SetMenu(buttons) })
}

// GetMenu returns the OA's current default menu.
func (c *Client) GetMenu(ctx context.Context) ([]MenuButton, error) {
	const op = "menu.get"
	if err := c.needOA(op); err != nil {
		return nil, err
	}
	var buttons []MenuButton
	err := c.call(ctx, c.oaToken, op, func() error {
		res, err := c.menu.GetMenu()
		buttons = res.Menu.Button
		return err
	})
	return buttons, err
}

// UserInfo reports an OA user's unionid and whether they follow the OA.
func (c *Client) UserInfo(ctx context.Context, openid string) (unionid string, subscribed bool, err error) {
	const op = "user.info"
	if err := c.needOA(op); err != nil {
		return "", false, err
	}
	if openid == "" {
		return "", false, invalidArg(op, "openid is required")
	}
	oid := url.QueryEscape(openid)
	err = c.call(ctx, c.oaToken, op, func() error {
		info, err := c.user.GetUserInfo(oid)
		if err == nil && info != nil {
			unionid, subscribed = info.UnionID, info.Subscribe == 1
		}
		return err
	})
	return unionid, subscribed, err
}
