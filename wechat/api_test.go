package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"deputylink/wechat"
	"deputylink/wechat/wechattest"
)

func TestCode2Session(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fake.AddLoginCode("071abcDEF", "ovoter9", "uUnion9")
	s, err := e.c.Code2Session(ctx, "071abcDEF")
	if err != nil || s.OpenID != "ovoter9" || s.UnionID != "uUnion9" || s.SessionKey == "" {
		t.Fatalf("Code2Session = %+v, %v", s, err)
	}
	// Single use: 40163, an *APIError callers map to a user error.
	_, err = e.c.Code2Session(ctx, "071abcDEF")
	var ae *wechat.APIError
	if !errors.As(err, &ae) || ae.ErrCode != 40163 {
		t.Fatalf("reuse: %v", err)
	}
	if _, err := e.c.Code2Session(ctx, "nope"); wechat.ErrCode(err) != 40029 {
		t.Fatalf("unknown code: %v", err)
	}
	// "test:<openid>" auto-resolves (escaped on the way, decoded by the fake).
	if s, err := e.c.Code2Session(ctx, "test:oAuto_1"); err != nil || s.OpenID != "oAuto_1" {
		t.Fatalf("test code: %+v %v", s, err)
	}
	if _, err := e.c.Code2Session(ctx, ""); !errors.Is(err, wechat.ErrInvalidArgument) {
		t.Fatalf("empty code: %v", err)
	}
	// code2session needs no access token.
	if n := e.fake.StableTokenCalls(wechattest.DefaultMPAppID); n != 0 {
		t.Fatalf("code2session fetched a token (%d)", n)
	}
}

func TestPhoneNumber(t *testing.T) {
	e := newEnv(t)
	e.fake.AddPhoneCode("pc-1", "13800138000")
	p, err := e.c.PhoneNumber(context.Background(), "pc-1")
	if err != nil || p != "13800138000" {
		t.Fatalf("PhoneNumber = %q, %v", p, err)
	}
	if _, err := e.c.PhoneNumber(context.Background(), "pc-1"); wechat.ErrCode(err) != 40029 {
		t.Fatalf("reused phone code: %v", err)
	}
}

func TestQRTicket(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tk, err := e.c.QRTicket(ctx, "bind:tok123", 600*time.Second, false)
	if err != nil || tk.Ticket == "" || tk.ExpireSeconds != 600 || !strings.HasPrefix(tk.URL, "http://weixin.qq.com/q/") {
		t.Fatalf("temp QR = %+v, %v", tk, err)
	}
	if scene, ok := e.fake.TicketScene(tk.Ticket); !ok || scene != "bind:tok123" {
		t.Fatalf("fake scene = %q %v", scene, ok)
	}
	q := e.fake.QRCodes()
	if len(q) != 1 || q[0].ActionName != "QR_STR_SCENE" {
		t.Fatalf("qrcodes = %+v", q)
	}
	perm, err := e.c.QRTicket(ctx, "deputy:7", 0, true)
	if err != nil || perm.ExpireSeconds != 0 || e.fake.QRCodes()[1].ActionName != "QR_LIMIT_STR_SCENE" {
		t.Fatalf("permanent QR = %+v, %v", perm, err)
	}
	// ShowQRCodeURL escapes the (base64) ticket.
	u, err := url.Parse(wechat.ShowQRCodeURL(tk.Ticket))
	if err != nil || !strings.ContainsAny(tk.Ticket, "+/=") || u.Query().Get("ticket") != tk.Ticket {
		t.Fatalf("ShowQRCodeURL = %s", wechat.ShowQRCodeURL(tk.Ticket))
	}
	for _, bad := range []struct {
		scene  string
		expire time.Duration
	}{{"", time.Minute}, {strings.Repeat("x", 65), time.Minute}, {"ok", 31 * 24 * time.Hour}, {"ok", 0}} {
		if _, err := e.c.QRTicket(ctx, bad.scene, bad.expire, false); !errors.Is(err, wechat.ErrInvalidArgument) {
			t.Errorf("QRTicket(%q, %v) = %v", bad.scene, bad.expire, err)
		}
	}
	e.fake.FailNext("/cgi-bin/qrcode/create", 45009)
	if _, err := e.c.QRTicket(ctx, "s", time.Minute, false); wechat.ErrCode(err) != 45009 {
		t.Fatalf("quota: %v", err)
	}
}

func TestWXACodeUnlimit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	img, err := e.c.WXACodeUnlimit(ctx, "d=42", "pages/deputy/index")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jpeg.Decode(bytes.NewReader(img)); err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	for _, bad := range [][2]string{{"", "p"}, {strings.Repeat("a", 33), "p"}, {"d=代表", "p"}, {"a%20b", "p"}, {"d=1", "/pages/x"}, {"d=1", "p?x=1"}} {
		if _, err := e.c.WXACodeUnlimit(ctx, bad[0], bad[1]); !errors.Is(err, wechat.ErrInvalidArgument) {
			t.Errorf("WXACodeUnlimit(%q, %q) = %v", bad[0], bad[1], err)
		}
	}
	// Unpublished page: 41030 with check_path (default), fine without.
	e.fake.SetPublishedPages([]string{"pages/index/index"})
	if _, err := e.c.WXACodeUnlimit(ctx, "d=42", "pages/deputy/index"); wechat.ErrCode(err) != 41030 {
		t.Fatalf("unpublished page: %v", err)
	}
	if _, err := e.c.WXACodeUnlimit(ctx, "d=42", "pages/deputy/index", wechat.WithoutCheckPath(),
		wechat.WithEnvVersion("trial"), wechat.WithWidth(430)); err != nil {
		t.Fatalf("check_path=false: %v", err)
	}
}

func TestMenuAndUserInfo(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.c.GetMenu(ctx); wechat.ErrCode(err) != 46003 {
		t.Fatalf("GetMenu before create: %v", err)
	}
	buttons := []*wechat.MenuButton{
		{Type: "miniprogram", Name: "预约接待", URL: "https://example.org", AppID: wechattest.DefaultMPAppID, PagePath: "pages/index/index"},
		{Name: "更多", SubButtons: []*wechat.MenuButton{{Type: "click", Name: "联系我们", Key: "CONTACT"}}},
	}
	if err := e.c.CreateMenu(ctx, buttons); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.GetMenu(ctx)
	if err != nil || len(got) != 2 || got[0].Name != "预约接待" || got[1].SubButtons[0].Key != "CONTACT" {
		t.Fatalf("GetMenu = %+v, %v", got, err)
	}
	if err := e.c.CreateMenu(ctx, nil); !errors.Is(err, wechat.ErrInvalidArgument) {
		t.Fatalf("empty menu: %v", err)
	}

	e.fake.Follow("ostaff1")
	e.fake.SetUnionID("ostaff1", "uStaff1")
	if u, sub, err := e.c.UserInfo(ctx, "ostaff1"); err != nil || !sub || u != "uStaff1" {
		t.Fatalf("UserInfo = %q %v %v", u, sub, err)
	}
	if _, sub, err := e.c.UserInfo(ctx, "ogone"); err != nil || sub {
		t.Fatalf("UserInfo(non-follower) = %v %v", sub, err)
	}
}

// TestAPIBaseWithPath mounts the fake under a path prefix: the transport must
// prefix every SDK path with it.
func TestAPIBaseWithPath(t *testing.T) {
	fake := wechattest.NewUnstarted()
	mux := http.NewServeMux()
	mux.Handle("/wxapi/", http.StripPrefix("/wxapi", fake.Handler()))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	cfg := fakeConfig(fake, "dltest:")
	cfg.APIBase = hs.URL + "/wxapi/"
	c, err := wechat.New(cfg, rdb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if wechat.APIBaseURL() != hs.URL+"/wxapi/" {
		t.Fatalf("APIBaseURL = %s", wechat.APIBaseURL())
	}
	fake.Follow("o1")
	if r := c.SendTemplate(context.Background(), tpl("o1")); r.Outcome != wechat.Sent {
		t.Fatalf("send via prefixed base: %v", r.Err)
	}
	if fake.CallCount(tplPath) != 1 {
		t.Fatal("fake did not see the call")
	}
}

func TestNewValidation(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	bad := []wechat.Config{
		{OAAppID: "wx1"}, // no secret
		{MPAppID: "wx2"},
		{OAAppID: "wx1", OASecret: "s", OAAESKey: "short"},
		{APIBase: "ftp://x"},
		{APIBase: "http://"},
		{AuthorizeBase: "ftp://x"},
		{AuthorizeBase: "https://open.example/?x=1"},
	}
	for _, cfg := range bad {
		if _, err := wechat.New(cfg, rdb, nil); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	if _, err := wechat.New(wechat.Config{}, nil, nil); err == nil {
		t.Error("New without Redis accepted")
	}
	c, err := wechat.New(wechat.Config{}, rdb, nil) // nothing configured is valid
	if err != nil || c.OfficialAccount() != nil || wechat.APIBaseURL() != wechat.DefaultAPIBase {
		t.Fatalf("empty config: %v", err)
	}
}
