package console_test

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/console"
	"deputylink/handlers/official"
	"deputylink/models"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"

	"golang.org/x/crypto/bcrypt"
)

// The official account's push token in these tests.
const siOAToken = "signintoken"

// wechatUA is the User-Agent of WeChat's built-in browser on a phone.
const wechatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800322c) NetType/WIFI Language/zh_CN"

// deskUA is a desktop browser's.
const deskUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

// signInEnv is the console over the fake WeChat: the official account's
// pushes reach the router, and web authorization and QR codes go to the
// fake. clerkE and headE are bound to the openids oa-clerk_e and oa-head_e.
type signInEnv struct {
	*conEnv
	fake *wechattest.Server
	op   models.Opinion
}

func newSignInEnv(t *testing.T, withWebAuth bool, adjust ...func(*handlers.Deps)) *signInEnv {
	t.Helper()
	conCheapHashes.Do(func() { models.PasswordCost = bcrypt.MinCost })
	clk := &conClock{now: conT0}
	rd := wechattest.NewRedis(t)
	var fake *wechattest.Server
	var webAuth console.WebAuth
	if withWebAuth {
		// The wechat package's API base is process-wide: tests with a fake
		// WeChat do not run in parallel.
		fake = wechattest.New()
		t.Cleanup(fake.Close)
		wc, err := wechat.New(wechat.Config{
			OAAppID: wechattest.DefaultOAAppID, OASecret: wechattest.DefaultOASecret,
			APIBase: fake.URL(), AuthorizeBase: fake.URL(), KeyPrefix: rd.Prefix, HTTPTimeout: 2 * time.Second,
		}, rd.Client, nil)
		must(t, err)
		webAuth = wc
	}
	te := newEnvWith(t, rd, func(d *handlers.Deps) {
		d.Now, d.Location, d.Log = clk.Now, conLoc, slog.New(slog.DiscardHandler)
		d.OA = official.Config{AppID: wechattest.DefaultOAAppID, Token: siOAToken}
		d.WebAuth = webAuth
		for _, f := range adjust {
			f(d)
		}
	})
	e := &signInEnv{conEnv: &conEnv{testEnv: te, clock: clk}, fake: fake}
	ctx := t.Context()
	_, err := models.LoadDemo(ctx, e.db)
	must(t, err)
	must(t, e.db.Where("name = ?", "东门社区代表联络站").First(&e.east).Error)
	must(t, e.db.Where("name = ?", "西街社区代表联络站").First(&e.west).Error)
	mk := func(user string, role models.StaffRole, stations ...uint64) models.Staff {
		s, err := models.CreateConsoleUser(ctx, e.db, user, conPassword, "测试"+user, role, stations, conT0)
		must(t, err)
		return s
	}
	e.clerkE = mk("clerk_e", models.RoleClerk, e.east.ID)
	e.headE = mk("head_e", models.RoleHead, e.east.ID)
	e.clerkW = mk("clerk_w", models.RoleClerk, e.west.ID)
	for _, s := range []models.Staff{e.clerkE, e.headE} {
		must(t, e.db.Model(&models.Staff{}).Where("id = ?", s.ID).Update("oa_openid", "oa-"+*s.Username).Error)
	}
	oa := "oVoterFollowing"
	v := models.Voter{OAOpenID: &oa, Following: true}
	must(t, e.db.Create(&v).Error)
	e.voter = v.ID
	e.cal, err = models.LoadCalendar(ctx, e.db)
	must(t, err)
	e.op = e.file(e.east.ID, conT0)
	return e
}

// uaBrowser is one browser: its own cookies, its User-Agent, and redirects
// shown to the test rather than followed.
type uaBrowser struct {
	t  *testing.T
	e  *signInEnv
	ua string
	c  *http.Client
}

func (e *signInEnv) browser(ua string) *uaBrowser {
	jar, _ := cookiejar.New(nil)
	return &uaBrowser{t: e.t, e: e, ua: ua, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer the browser got.
type pageResp struct {
	*http.Response
	body string
}

// location is the redirect's target, relative to our server when it is ours.
func (r pageResp) location() string { return r.Header.Get("Location") }

// do sends a request; a path starting with / is on our server.
func (b *uaBrowser) do(method, target string, form url.Values, header map[string]string) pageResp {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.e.srv.URL + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	must(b.t, err)
	req.Header.Set("User-Agent", b.ua)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	must(b.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return pageResp{resp, string(raw)}
}

func (b *uaBrowser) get(target string) pageResp {
	b.t.Helper()
	return b.do(http.MethodGet, target, nil, nil)
}

func (b *uaBrowser) post(target string, form url.Values) pageResp {
	b.t.Helper()
	return b.do(http.MethodPost, target, form, nil)
}

// cookie is the value of the browser's cookie name for path on our server.
func (b *uaBrowser) cookie(name, path string) string {
	u, _ := url.Parse(b.e.srv.URL + path)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// me is who the browser is signed in as (0: nobody).
func (b *uaBrowser) me() uint64 {
	b.t.Helper()
	var me console.ConsoleMeView
	r := b.e.call("GET", "/console/api/me", conReq{cookie: b.cookie(console.ConsoleCookie, "/console/api/me")}, &me)
	if r.StatusCode != 200 {
		return 0
	}
	return me.Staff.ID
}

// hidden is the value of the page's hidden input name.
func hidden(body, name string) string {
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// setCookieNamed is the response's Set-Cookie of name, nil if none.
func setCookieNamed(r *http.Response, name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// authorize runs WeChat's part of a web authorization: from the redirect
// to the fake's authorize page to the callback address it sends back.
func (b *uaBrowser) authorize(start pageResp) string {
	b.t.Helper()
	if start.StatusCode != http.StatusFound || !strings.HasPrefix(start.location(), b.e.fake.URL()+"/connect/oauth2/authorize?") {
		b.t.Fatalf("web authorization start: %d %q", start.StatusCode, start.location())
	}
	r := b.get(start.location())
	if r.StatusCode != http.StatusFound || !strings.HasPrefix(r.location(), b.e.srv.URL+"/console/auth/callback?") {
		b.t.Fatalf("authorize step: %d %q %s", r.StatusCode, r.location(), r.body)
	}
	return r.location()
}

var pushCT atomic.Int64

// scan posts the official account's SCAN push of openid scanning scene, as
// WeChat signs it, and returns the text the scanner reads.
func (e *signInEnv) scan(openid, scene string) string {
	e.t.Helper()
	ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
	nonce := strconv.FormatInt(time.Now().UnixNano(), 10)
	q := url.Values{"signature": {wechat.Signature(siOAToken, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {openid}}
	body := fmt.Sprintf("<xml><ToUserName><![CDATA[gh_deputylink]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>"+
		"<EventKey><![CDATA[%s]]></EventKey><Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8v]]></Ticket></xml>",
		openid, 1700000000+pushCT.Add(1), scene)
	resp, err := http.Post(e.srv.URL+"/wechat/official?"+q.Encode(), "text/xml", strings.NewReader(body))
	must(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		e.t.Fatalf("push: %d %s", resp.StatusCode, raw)
	}
	var m struct {
		Content string `xml:"Content"`
	}
	must(e.t, xml.Unmarshal(raw, &m))
	return m.Content
}

// TestWebAuthLandsOnTheItem: a bound clerk who taps a template message's
// link inside WeChat is sent to web authorization and comes back signed in
// on the item's address.
func TestWebAuthLandsOnTheItem(t *testing.T) {
	e := newSignInEnv(t, true)
	e.fake.SetAuthorizeOpenID(wechattest.DefaultOAAppID, "oa-clerk_e")
	b := e.browser(wechatUA)
	item := "/console/opinions/" + strconv.FormatUint(e.op.ID, 10)

	// A signed-in page inside WeChat goes straight to web authorization,
	// and so does the sign-in page.
	r := b.get("/console/")
	if r.StatusCode != http.StatusSeeOther || r.location() != "/console/auth/wechat?next=%2Fconsole%2F" {
		t.Fatalf("page without a session: %d %q", r.StatusCode, r.location())
	}
	r = b.get("/console/login?next=" + url.QueryEscape(item))
	if r.StatusCode != http.StatusSeeOther || r.location() != "/console/auth/wechat?next="+url.QueryEscape(item) {
		t.Fatalf("sign-in page in WeChat: %d %q", r.StatusCode, r.location())
	}
	start := b.get(r.location())
	// The state goes to WeChat and comes back; the browser holds a secret
	// that binds it, in an HttpOnly cookie WeChat's redirect brings back.
	au, _ := url.Parse(start.location())
	if q := au.Query(); q.Get("redirect_uri") != e.srv.URL+"/console/auth/callback" || q.Get("scope") != "snsapi_base" ||
		!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(q.Get("state")) || q.Get("appid") != wechattest.DefaultOAAppID {
		t.Fatalf("authorize URL %s", start.location())
	}
	if c := setCookieNamed(start.Response, "dl_oauth"); c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
		c.Path != "/console/auth" || c.MaxAge <= 0 || c.MaxAge > 600 || strings.Contains(c.Value, au.Query().Get("state")) {
		t.Fatalf("state cookie %+v", c)
	}
	callback := b.authorize(start)
	r = b.get(callback)
	if r.StatusCode != http.StatusSeeOther || r.location() != item {
		t.Fatalf("callback: %d %q %s", r.StatusCode, r.location(), r.body)
	}
	c := setCookieNamed(r.Response, console.ConsoleCookie)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/console" {
		t.Fatalf("session cookie %+v", c)
	}
	if id := b.me(); id != e.clerkE.ID {
		t.Fatalf("signed in as %d, want clerk %d", id, e.clerkE.ID)
	}
	// The pages let the browser in now.
	if r := b.get("/console/"); r.StatusCode != http.StatusSeeOther || r.location() != "/console/opinions" {
		t.Fatalf("home after sign-in: %d %q", r.StatusCode, r.location())
	}
	// And the sign-in page sends a signed-in browser on.
	if r := b.get("/console/login?next=" + url.QueryEscape(item)); r.StatusCode != http.StatusSeeOther || r.location() != item {
		t.Fatalf("sign-in page when signed in: %d %q", r.StatusCode, r.location())
	}
	// The same callback again (a reload, or someone who copied it) is
	// refused: the state was used.
	b2 := e.browser(wechatUA)
	if r := b2.get(callback); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "登录链接已失效") ||
		setCookieNamed(r.Response, console.ConsoleCookie) != nil {
		t.Fatalf("replayed callback: %d %s", r.StatusCode, r.body)
	}
}

// TestWebAuthRefusals: an unbound openid, a forged or replayed state, a
// state from another browser, and a used code are all refused, in Chinese,
// without a session; WeChat being down is a 503.
func TestWebAuthRefusals(t *testing.T) {
	e := newSignInEnv(t, true)
	item := "/console/opinions/" + strconv.FormatUint(e.op.ID, 10)
	startPath := "/console/auth/wechat?next=" + url.QueryEscape(item)
	refused := func(t *testing.T, b *uaBrowser, r pageResp, status int, text string) {
		t.Helper()
		if r.StatusCode != status || !strings.Contains(r.body, text) || setCookieNamed(r.Response, console.ConsoleCookie) != nil {
			t.Fatalf("want %d %q without a session, got %d %q\n%s", status, text, r.StatusCode, r.location(), r.body)
		}
		if !strings.Contains(r.body, `href="/console/auth/wechat?next=`) && status != http.StatusUnauthorized {
			t.Errorf("no way to sign in again:\n%s", r.body)
		}
		if b.me() != 0 {
			t.Fatal("signed in after a refusal")
		}
	}

	t.Run("unbound openid", func(t *testing.T) {
		e.fake.SetAuthorizeOpenID(wechattest.DefaultOAAppID, "oNotStaff000001")
		b := e.browser(wechatUA)
		r := b.get(b.authorize(b.get(startPath)))
		refused(t, b, r, http.StatusUnauthorized, "此微信尚未绑定工作人员账号，请联系管理员")
	})
	t.Run("deactivated staff", func(t *testing.T) {
		must(t, e.db.Model(&models.Staff{}).Where("id = ?", e.headE.ID).Update("active", false).Error)
		e.fake.SetAuthorizeOpenID(wechattest.DefaultOAAppID, "oa-head_e")
		b := e.browser(wechatUA)
		r := b.get(b.authorize(b.get(startPath)))
		refused(t, b, r, http.StatusUnauthorized, "尚未绑定")
	})
	e.fake.SetAuthorizeOpenID(wechattest.DefaultOAAppID, "oa-clerk_e")
	t.Run("forged state", func(t *testing.T) {
		b := e.browser(wechatUA)
		cb, _ := url.Parse(b.authorize(b.get(startPath)))
		q := cb.Query()
		for _, forged := range []string{"0123456789abcdef0123456789abcdef", "", "not-a-state", strings.Repeat("a", 200)} {
			q.Set("state", forged)
			refused(t, b, b.get("/console/auth/callback?"+q.Encode()), http.StatusBadRequest, "登录链接已失效")
		}
	})
	t.Run("replayed state", func(t *testing.T) {
		b := e.browser(wechatUA)
		cb := b.authorize(b.get(startPath))
		if r := b.get(cb); r.StatusCode != http.StatusSeeOther || b.me() != e.clerkE.ID {
			t.Fatalf("first use: %d %s", r.StatusCode, r.body)
		}
		// Another browser that starts its own sign-in (so it has a state
		// cookie) replays the used callback.
		b2 := e.browser(wechatUA)
		b2.get(startPath)
		refused(t, b2, b2.get(cb), http.StatusBadRequest, "登录链接已失效")
	})
	t.Run("state from another browser", func(t *testing.T) {
		victim := e.browser(wechatUA)
		cb := victim.authorize(victim.get(startPath))
		// Without the cookie, and with a cookie of its own sign-in.
		thief := e.browser(wechatUA)
		refused(t, thief, thief.get(cb), http.StatusForbidden, "请在同一个浏览器中完成登录")
		thief.get(startPath)
		refused(t, thief, thief.get(cb), http.StatusForbidden, "请在同一个浏览器中完成登录")
		// The attempts did not burn the state: its own browser finishes.
		if r := victim.get(cb); r.StatusCode != http.StatusSeeOther || r.location() != item || victim.me() != e.clerkE.ID {
			t.Fatalf("own browser after the thief: %d %q", r.StatusCode, r.location())
		}
	})
	t.Run("used code", func(t *testing.T) {
		b := e.browser(wechatUA)
		first, _ := url.Parse(b.authorize(b.get(startPath)))
		if r := b.get(first.String()); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("first sign-in: %d", r.StatusCode)
		}
		// A new sign-in of a fresh browser, but with the code already used.
		b2 := e.browser(wechatUA)
		second, _ := url.Parse(b2.authorize(b2.get(startPath)))
		q := second.Query()
		q.Set("code", first.Query().Get("code"))
		refused(t, b2, b2.get("/console/auth/callback?"+q.Encode()), http.StatusBadRequest, "微信登录凭证已失效，请重新登录")
		// A made-up code likewise.
		b3 := e.browser(wechatUA)
		third, _ := url.Parse(b3.authorize(b3.get(startPath)))
		q = third.Query()
		q.Set("code", "madeUpCode")
		refused(t, b3, b3.get("/console/auth/callback?"+q.Encode()), http.StatusBadRequest, "微信登录凭证已失效")
	})
	t.Run("wechat down", func(t *testing.T) {
		b := e.browser(wechatUA)
		cb := b.authorize(b.get(startPath))
		e.fake.FailNext("/sns/oauth2/access_token", -1)
		r := b.get(cb)
		refused(t, b, r, http.StatusServiceUnavailable, "微信登录暂时不可用")
		if r.Header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
	})
}

// TestWebAuthOff: without web authorization configured, the sign-in page is
// the password form even inside WeChat, and the web-authorization
// addresses lead there.
func TestWebAuthOff(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, false)
	b := e.browser(wechatUA)
	r := b.get("/console/login")
	if r.StatusCode != 200 || !strings.Contains(r.body, `id="password-login"`) || strings.Contains(r.body, "desk-qr") ||
		strings.Contains(r.body, "wechat-login") {
		t.Fatalf("sign-in page: %d\n%s", r.StatusCode, r.body)
	}
	if r := b.get("/console/auth/wechat?next=%2Fconsole%2Fopinions"); r.StatusCode != http.StatusSeeOther ||
		r.location() != "/console/login?how=password&next=%2Fconsole%2Fopinions" {
		t.Fatalf("web authorization off: %d %q", r.StatusCode, r.location())
	}
	if r := b.get("/console/auth/callback?code=x&state=0123456789abcdef0123456789abcdef"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("callback with web authorization off: %d", r.StatusCode)
	}
	// Pages inside WeChat still go to web authorization, which leads to the
	// password form.
	if r := b.get("/console/"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/console/auth/wechat?") {
		t.Fatalf("page without a session: %d %q", r.StatusCode, r.location())
	}
}

// deskQR opens the desk's sign-in page and returns its poll address and the
// scene of its QR code at the fake.
func (b *uaBrowser) deskQR() (poll, scene string) {
	b.t.Helper()
	r := b.get("/console/login?next=%2Fconsole%2Fdesk")
	m := regexp.MustCompile(`data-poll="(/console/login/qr/[A-Za-z0-9_-]{22})"`).FindStringSubmatch(r.body)
	if r.StatusCode != 200 || m == nil || !strings.Contains(r.body, "用微信扫一扫登录") {
		b.t.Fatalf("desk sign-in page: %d\n%s", r.StatusCode, r.body)
	}
	poll = m[1]
	codes := b.e.fake.QRCodes()
	last := codes[len(codes)-1]
	if last.SceneStr != "login:"+strings.TrimPrefix(poll, "/console/login/qr/") || last.ExpireSeconds != 300 || last.ActionName != "QR_STR_SCENE" {
		b.t.Fatalf("QR code %+v for poll %s", last, poll)
	}
	if !strings.Contains(r.body, `src="`+qrDataURI(b.t, last.URL)+`"`) {
		b.t.Fatalf("no QR image of ticket %s:\n%s", last.Ticket, r.body)
	}
	if c := setCookieNamed(r.Response, "dl_deskqr"); c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		b.t.Fatalf("QR cookie %+v", c)
	}
	return poll, last.SceneStr
}

// poll asks as the desk's page does.
func (b *uaBrowser) poll(path string) console.DeskQRPoll {
	b.t.Helper()
	r := b.get(path)
	var p console.DeskQRPoll
	if r.StatusCode != 200 {
		b.t.Fatalf("poll: %d %s", r.StatusCode, r.body)
	}
	must(b.t, json.Unmarshal([]byte(r.body), &p))
	if p.State == "signed_in" && setCookieNamed(r.Response, console.ConsoleCookie) == nil {
		b.t.Fatalf("signed in without a session cookie")
	}
	if p.State != "signed_in" && setCookieNamed(r.Response, console.ConsoleCookie) != nil {
		b.t.Fatalf("%s with a session cookie", p.State)
	}
	return p
}

// TestDeskQRSignIn: the desk's page shows a one-time QR code; the account's
// SCAN push of a bound clerk confirms it; the page's next poll signs in,
// once; nobody else's poll learns anything.
func TestDeskQRSignIn(t *testing.T) {
	e := newSignInEnv(t, true)
	desk := e.browser(deskUA)
	poll, scene := desk.deskQR()
	if p := desk.poll(poll); p.State != "waiting" || !strings.Contains(p.Message, "扫描二维码") {
		t.Fatalf("before the scan: %+v", p)
	}
	// Someone who is not staff scans it: told so, nothing changes.
	if reply := e.scan("oNotStaff000001", scene); !strings.Contains(reply, "此微信尚未绑定工作人员账号") {
		t.Fatalf("stranger's scan: %q", reply)
	}
	if p := desk.poll(poll); p.State != "waiting" {
		t.Fatalf("after a stranger's scan: %+v", p)
	}
	if reply := e.scan("oa-clerk_e", scene); !strings.HasPrefix(reply, "已确认，电脑上的工作台正在以您的身份登录") {
		t.Fatalf("clerk's scan: %q", reply)
	}
	// Another head scanning the same code cannot take it over.
	if reply := e.scan("oa-head_e", scene); !strings.Contains(reply, "已被他人使用") {
		t.Fatalf("second scanner: %q", reply)
	}
	// Another browser polling the same code, without the cookie or with its
	// own, learns nothing and gets no session.
	other := e.browser(deskUA)
	if p := other.poll(poll); p.State != "expired" {
		t.Fatalf("other browser without the cookie: %+v", p)
	}
	other.deskQR()
	if p := other.poll(poll); p.State != "expired" || other.me() != 0 {
		t.Fatalf("other browser with its own cookie: %+v", p)
	}
	// The desk's page signs in, once.
	secret := desk.cookie("dl_deskqr", poll)
	p := desk.poll(poll)
	if p.State != "signed_in" || p.Next != "/console/desk" || desk.me() != e.clerkE.ID {
		t.Fatalf("confirmed: %+v, me %d", p, desk.me())
	}
	if p := desk.poll(poll); p.State != "expired" {
		t.Fatalf("second poll after the sign-in: %+v", p)
	}
	// Even with the ticket's cookie presented again, e.g. by a copy of it.
	again := e.browser(deskUA)
	u, _ := url.Parse(e.srv.URL + "/console/login")
	again.c.Jar.SetCookies(u, []*http.Cookie{{Name: "dl_deskqr", Value: secret, Path: "/console/login"}})
	if secret == "" || again.poll(poll).State != "expired" || again.me() != 0 {
		t.Fatal("the ticket's cookie signed in a second time")
	}
	if reply := e.scan("oa-clerk_e", scene); !strings.Contains(reply, "已过期") {
		t.Fatalf("scan of a used code: %q", reply)
	}
}

// TestDeskQRExpires: after its five minutes a code signs nobody in, and the
// page is told so.
func TestDeskQRExpires(t *testing.T) {
	e := newSignInEnv(t, true)
	desk := e.browser(deskUA)
	poll, scene := desk.deskQR()
	e.clock.Add(4*time.Minute + 59*time.Second)
	if p := desk.poll(poll); p.State != "waiting" {
		t.Fatalf("just before the end: %+v", p)
	}
	e.clock.Add(time.Second)
	if reply := e.scan("oa-clerk_e", scene); !strings.Contains(reply, "已过期") {
		t.Fatalf("scan after the end: %q", reply)
	}
	if p := desk.poll(poll); p.State != "expired" || !strings.Contains(p.Message, "二维码已过期") || desk.me() != 0 {
		t.Fatalf("after the end: %+v", p)
	}
	// A new code works.
	poll, scene = desk.deskQR()
	if reply := e.scan("oa-clerk_e", scene); !strings.HasPrefix(reply, "已确认") {
		t.Fatalf("new code: %q", reply)
	}
	if p := desk.poll(poll); p.State != "signed_in" || desk.me() != e.clerkE.ID {
		t.Fatalf("new code: %+v", p)
	}
}

// TestPasswordSignIn: the password form needs its pre-session CSRF token
// (cookie and field), refuses a wrong password in Chinese, applies the
// login throttle, and signs in to a safe next address.
func TestPasswordSignIn(t *testing.T) {
	e := newSignInEnv(t, true)
	b := e.browser(deskUA)
	r := b.get("/console/login?next=%2Fconsole%2Fopinions%3Fstatus%3Dnew")
	token := hidden(r.body, "csrf")
	if r.StatusCode != 200 || token == "" || token != b.cookie("dl_login", "/console/login") ||
		hidden(r.body, "next") != "/console/opinions?status=new" || !strings.Contains(r.body, `name="password"`) {
		t.Fatalf("sign-in page: %d token %q\n%s", r.StatusCode, token, r.body)
	}
	if c := setCookieNamed(r.Response, "dl_login"); c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("login CSRF cookie %+v", c)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	// The page's own script and styles are embedded and served.
	for _, asset := range []string{"login.js", "login.css"} {
		if !strings.Contains(r.body, `/console/static/`+asset) {
			t.Errorf("page does not load %s", asset)
		}
		if a := b.get("/console/static/" + asset); a.StatusCode != 200 || len(a.body) < 100 {
			t.Errorf("%s: %d", asset, a.StatusCode)
		}
	}
	form := func(user, pass, csrf, next string) url.Values {
		return url.Values{"username": {user}, "password": {pass}, "csrf": {csrf}, "next": {next}}
	}
	noSession := func(r pageResp, status int, text string) {
		t.Helper()
		if r.StatusCode != status || !strings.Contains(r.body, text) || setCookieNamed(r.Response, console.ConsoleCookie) != nil {
			t.Fatalf("want %d %q, got %d\n%s", status, text, r.StatusCode, r.body)
		}
	}
	// Without the token, with a wrong one, or from a browser without the
	// cookie (a cross-site form): refused.
	noSession(b.post("/console/login", form("clerk_w", conPassword, "", "/console/")), 403, "登录页面已过期")
	noSession(b.post("/console/login", form("clerk_w", conPassword, token+"x", "/console/")), 403, "登录页面已过期")
	stranger := e.browser(deskUA)
	noSession(stranger.post("/console/login", form("clerk_w", conPassword, token, "/console/")), 403, "登录页面已过期")
	// Empty fields.
	noSession(b.post("/console/login", form("", conPassword, token, "/")), 400, "请输入用户名")
	// A wrong password: the page again, the username kept, in Chinese.
	r = b.post("/console/login", form("clerk_w", "wrong password", token, "/console/"))
	noSession(r, 401, "用户名或密码错误")
	if !strings.Contains(r.body, `value="clerk_w"`) || strings.Contains(r.body, "wrong password") {
		t.Fatalf("refused page keeps the username, never the password:\n%s", r.body)
	}
	// The throttle of the JSON login applies to the form too.
	for range 4 {
		noSession(b.post("/console/login", form("clerk_w", "wrong password", token, "/console/")), 401, "用户名或密码错误")
	}
	r = b.post("/console/login", form("clerk_w", conPassword, token, "/console/"))
	noSession(r, 429, "登录失败次数过多，请在1秒后再试")
	if r.Header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	e.clock.Add(time.Second)
	r = b.post("/console/login", form("clerk_w", conPassword, token, "/console/opinions?status=new"))
	if r.StatusCode != http.StatusSeeOther || r.location() != "/console/opinions?status=new" || b.me() != e.clerkW.ID {
		t.Fatalf("right password: %d %q\n%s", r.StatusCode, r.location(), r.body)
	}
	// The token is spent with the sign-in.
	if c := setCookieNamed(r.Response, "dl_login"); c == nil || c.MaxAge >= 0 {
		t.Fatalf("login CSRF cookie after the sign-in: %+v", c)
	}
	// next never leaves the console.
	for _, bad := range []string{"//evil.example/x", "https://evil.example/", "/console/login?next=/x", "/api/v1/me", "/console\\evil"} {
		b2 := e.browser(deskUA)
		tok := hidden(b2.get("/console/login").body, "csrf")
		r := b2.post("/console/login", form("clerk_e", conPassword, tok, bad))
		if r.StatusCode != http.StatusSeeOther || r.location() != "/console/" {
			t.Errorf("next %q: %d %q", bad, r.StatusCode, r.location())
		}
	}
	// Behind the local HTTPS proxy the session cookie is Secure.
	b3 := e.browser(deskUA)
	tok := hidden(b3.get("/console/login").body, "csrf")
	r = b3.do(http.MethodPost, "/console/login", form("head_e", conPassword, tok, "/console/"), map[string]string{"X-Forwarded-Proto": "https"})
	if c := setCookieNamed(r.Response, console.ConsoleCookie); r.StatusCode != http.StatusSeeOther || c == nil || !c.Secure || !c.HttpOnly {
		t.Fatalf("over https: %d %+v", r.StatusCode, c)
	}
}

// TestLogoutPage: signing out is a form with the session's CSRF token; it
// ends the session, and inside WeChat the sign-in page then waits for a tap
// instead of signing in again at once.
func TestLogoutPage(t *testing.T) {
	e := newSignInEnv(t, true)
	e.fake.SetAuthorizeOpenID(wechattest.DefaultOAAppID, "oa-clerk_e")
	b := e.browser(wechatUA)
	b.get(b.authorize(b.get("/console/auth/wechat?next=%2Fconsole%2F")))
	if b.me() != e.clerkE.ID {
		t.Fatal("not signed in")
	}
	var me console.ConsoleMeView
	session := b.cookie(console.ConsoleCookie, "/console")
	e.call("GET", "/console/api/me", conReq{cookie: session}, &me)
	if r := b.post("/console/logout", url.Values{"csrf": {"forged"}}); r.StatusCode != 403 || b.me() != e.clerkE.ID {
		t.Fatalf("sign-out without the token: %d", r.StatusCode)
	}
	r := b.post("/console/logout", url.Values{"csrf": {me.CSRFToken}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/console/login?ok=") {
		t.Fatalf("sign-out: %d %q", r.StatusCode, r.location())
	}
	if c := setCookieNamed(r.Response, console.ConsoleCookie); c == nil || c.MaxAge >= 0 {
		t.Fatalf("session cookie after sign-out %+v", c)
	}
	if e.call("GET", "/console/api/me", conReq{cookie: session}, nil).StatusCode != 401 {
		t.Fatal("session alive after sign-out")
	}
	r = b.get(r.location())
	if r.StatusCode != 200 || !strings.Contains(r.body, "已退出登录") || !strings.Contains(r.body, `id="wechat-login"`) {
		t.Fatalf("sign-in page after sign-out: %d\n%s", r.StatusCode, r.body)
	}
}

// TestSessionAbsoluteLimit: however busy, a session ends seven days after
// its sign-in; the pages then ask to sign in again.
func TestSessionAbsoluteLimit(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, false)
	s, cookie := e.login("clerk_e")
	e.clock.Add(console.ConsoleSessionMaxAge - time.Minute)
	if r := e.bearer("GET", "/console/api/me", s.Token, "", nil); r.StatusCode != 200 {
		t.Fatalf("a minute before the limit: %d", r.StatusCode)
	}
	e.clock.Add(2 * time.Minute)
	var b errBody
	if r := e.call("GET", "/console/api/me", conReq{cookie: cookie}, &b); r.StatusCode != 401 || b.Error.Message != "登录已过期，请重新登录" {
		t.Fatalf("after the limit: %d %+v", r.StatusCode, b)
	}
	br := e.browser(deskUA)
	u, _ := url.Parse(e.srv.URL + "/console")
	br.c.Jar.SetCookies(u, []*http.Cookie{{Name: console.ConsoleCookie, Value: cookie, Path: "/console"}})
	r := br.get("/console/")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/console/login?next=") {
		t.Fatalf("page after the limit: %d %q", r.StatusCode, r.location())
	}
}

// qrDataURI is the data: address of the QR code of content as the pages
// draw it: the test fails unless the page shows the code the fake made.
func qrDataURI(t *testing.T, content string) string {
	t.Helper()
	png, err := console.QRCodePNG(content, 440)
	if err != nil {
		t.Fatal(err)
	}
	// html/template writes "+" in an attribute as "&#43;".
	return "data:image/png;base64," + strings.ReplaceAll(base64.StdEncoding.EncodeToString(png), "+", "&#43;")
}
