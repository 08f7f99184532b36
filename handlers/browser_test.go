package handlers_test

// Browser tests of the console's foundation: the sign-in redirect, Chinese
// that renders as Chinese, the security headers and CSP, and the embedded
// WeUI. Run with: go test ./handlers/ -run Browser -count=1 -v
// (docs/BROWSER-TESTS.md).

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// notBuilt stops a test whose page is not there yet (a route answered
// route_not_found): a skip during development, a failure in CI.
func notBuilt(t *testing.T, what string) {
	t.Helper()
	if requireBrowser() {
		t.Fatalf("%s: the page is missing (route_not_found)", what)
	}
	t.Skipf("%s: the page is not built yet (route_not_found)", what)
}

// routeMissing reports whether the tab shows the router's JSON 404 for an
// unknown route rather than a page.
func (tb *tab) routeMissing() bool {
	tb.t.Helper()
	return eval[bool](tb, `document.contentType === "application/json" && document.body.innerText.includes("route_not_found")`)
}

// Ensure a browser without a session that opens a console page (the link
// of a template message, opened outside WeChat) lands on the sign-in page
// with the address it asked for as next, on a phone and at a desk.
func TestBrowserSignInRedirect(t *testing.T) {
	app := newBrowserApp(t)
	for _, dev := range []device{phone, desktop} {
		tb := app.open(dev)
		for _, path := range []string{"/console/", "/console/opinions", "/console/opinions/1", "/console/desk"} {
			tb.visit(path)
			at := tb.location()
			if at.Path != "/console/login" {
				if at.Path == path && tb.routeMissing() {
					notBuilt(t, path)
				}
				t.Fatalf("%s opened %s without a session: at %s, want /console/login", dev.name, path, at)
			}
			if next := at.Query().Get("next"); next != path {
				t.Errorf("%s opened %s: next=%q, want %q", dev.name, path, next, path)
			}
		}
		if tb.routeMissing() {
			notBuilt(t, "/console/login")
		}
		tb.waitText("登录")
		tb.screenshot("login")
	}
}

// Ensure the console's Chinese renders with a real CJK font (not as boxes):
// in the browser harness itself, and on the console's error page (another
// station's or a missing item: 404 in Chinese).
func TestBrowserChineseRenders(t *testing.T) {
	app := newBrowserApp(t)
	tb := app.open(desktop)
	tb.visit(dataURL(`<p id="x" style="font-size:32px">联络站工作台</p>`))
	tb.assertGlyphs("#x")

	tb = app.open(phone)
	tb.signInAs(demoClerk)
	res := tb.visit("/console/opinions/999999999")
	if tb.routeMissing() {
		notBuilt(t, "/console/opinions/:id")
	}
	if res.Status != 404 {
		t.Errorf("a missing item answered %d, want 404", res.Status)
	}
	msg := tb.text(".weui-msg__desc")
	if !strings.Contains(msg, "没有找到") {
		t.Errorf("error page says %q", msg)
	}
	tb.assertGlyphs(".weui-msg__desc")
	tb.assertGlyphs(".page-title")
	tb.screenshot("not-found")
}

// assertGlyphs fails unless every character of the element's text is
// drawn with a real glyph of the font the page uses for it: each one is
// drawn on a canvas and compared with a code point no font has (the box a
// missing glyph gets) and with a blank. It logs the platform fonts Chromium
// used, e.g. "WenQuanYi Micro Hei".
func (tb *tab) assertGlyphs(sel string) {
	tb.t.Helper()
	js := `(() => {
	  const el = document.querySelector(` + jsString(sel) + `);
	  if (!el) return "no element";
	  const family = getComputedStyle(el).fontFamily;
	  const c = document.createElement('canvas');
	  c.width = 64; c.height = 64;
	  const g = c.getContext('2d');
	  const draw = ch => {
	    g.clearRect(0, 0, 64, 64);
	    g.font = '40px ' + family;
	    g.fillText(ch, 4, 48);
	    return g.getImageData(0, 0, 64, 64).data.join();
	  };
	  const missing = draw('\u{10FFFD}'), blank = draw(' ');
	  const bad = [...el.innerText.trim()].filter(ch => ch.trim() && /\p{Script=Han}/u.test(ch))
	    .filter(ch => { const d = draw(ch); return d === missing || d === blank; });
	  return bad.join('');
	})()`
	if bad := eval[string](tb, js); bad != "" {
		tb.t.Errorf("%s: these characters render as boxes or blanks: %q (is fonts-wqy-microhei installed?)", sel, bad)
	}
	fonts := run(tb, "platform fonts of "+sel, chromedp.QueryAfter(chromedp.CSS(sel),
		func(ctx context.Context, t *chromedp.Target, nodes []*chromedp.Node) ([]string, error) {
			res, err := platformFonts(ctx, t, nodes[0])
			var names []string
			for _, f := range res {
				names = append(names, f.FamilyName)
			}
			return names, err
		}))
	tb.t.Logf("%s (%s) is drawn with %v", sel, tb.dev.name, fonts)
}

// Ensure every console response carries the security headers, and that the
// CSP really binds the browser: an inline script injected into a console
// page does not run, nor does an inline style apply, while the same
// injection on a page without our CSP does run (so the check can fail).
func TestBrowserSecurityHeaders(t *testing.T) {
	app := newBrowserApp(t)
	tb := app.open(desktop)

	// The control: a page with no CSP runs an injected inline script.
	tb.visit(dataURL(`<p>control</p>`))
	if !tb.inlineScriptRuns() {
		t.Fatal("the control page did not run an injected inline script: the check below proves nothing")
	}

	res := tb.visit("/console/login")
	if tb.routeMissing() {
		notBuilt(t, "/console/login")
	}
	h := map[string]string{}
	for k, v := range res.Headers {
		h[strings.ToLower(k)], _ = v.(string)
	}
	csp := h["content-security-policy"]
	for _, want := range []string{"default-src 'self'", "script-src 'self' https://res.wx.qq.com", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	for k, want := range map[string]string{"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "same-origin", "cache-control": "no-store"} {
		if h[k] != want {
			t.Errorf("%s: %q, want %q", k, h[k], want)
		}
	}
	if tb.inlineScriptRuns() {
		t.Error("an inline script injected into a console page ran: the CSP does not bind")
	}
	styled := eval[string](tb, `(() => {
	  const d = document.createElement('div');
	  d.innerHTML = '<span id="inl" style="color: rgb(1, 2, 3)">x</span>';
	  document.body.appendChild(d);
	  return getComputedStyle(document.getElementById('inl')).color;
	})()`)
	if styled == "rgb(1, 2, 3)" {
		t.Error("an inline style attribute applied on a console page: the CSP does not bind styles")
	}
	// The session cookie, once there, is HttpOnly: the page cannot read it.
	tb.signInAs(demoClerk)
	tb.visit("/console/login")
	if c := eval[string](tb, `document.cookie`); strings.Contains(c, "dl_console") {
		t.Errorf("the page can read the session cookie: %q", c)
	}
}

// inlineScriptRuns injects an inline <script> and reports whether it ran.
func (tb *tab) inlineScriptRuns() bool {
	tb.t.Helper()
	return eval[bool](tb, `(() => {
	  window.__inlineRan = false;
	  const s = document.createElement('script');
	  s.textContent = 'window.__inlineRan = true';
	  document.body.appendChild(s);
	  return window.__inlineRan === true;
	})()`)
}

// Ensure the embedded assets load and apply on the sign-in page (on a
// phone's browser: inside WeChat the page goes straight to WeChat's web
// authorization): WeUI's primary button is WeChat's green, the console's
// own stylesheet and script load, nothing scrolls sideways, and the
// assets may be cached while the pages may not.
func TestBrowserAssetsLoad(t *testing.T) {
	app := newBrowserApp(t)
	for _, dev := range []device{phone, desktop} {
		tb := app.open(dev)
		tb.visit("/console/login")
		if tb.routeMissing() {
			notBuilt(t, "/console/login")
		}
		tb.screenshot("login")
		green := eval[string](tb, `(() => {
		  const a = document.createElement('a');
		  a.className = 'weui-btn weui-btn_primary';
		  a.textContent = '确定';
		  document.body.appendChild(a);
		  const c = getComputedStyle(a).backgroundColor;
		  a.remove();
		  return c;
		})()`)
		if green != "rgb(7, 193, 96)" {
			t.Errorf("%s: .weui-btn_primary is %q, want WeChat green rgb(7, 193, 96): weui.min.css not applied", dev.name, green)
		}
		sheets := eval[[]string](tb, `[...document.styleSheets].filter(s => { try { return s.cssRules.length > 0 } catch (e) { return false } }).map(s => s.href || '')`)
		for _, want := range []string{"/console/static/weui.min.css", "/console/static/console.css"} {
			found := false
			for _, s := range sheets {
				found = found || strings.HasSuffix(s, want)
			}
			if !found {
				t.Errorf("%s: stylesheet %s not loaded (loaded: %v)", dev.name, want, sheets)
			}
		}
		if !eval[bool](tb, `[...document.scripts].some(s => s.src.endsWith('/console/static/console.js'))`) {
			t.Errorf("%s: console.js is not on the page", dev.name)
		}
		// The page fits a phone's width: nothing scrolls sideways.
		if w := eval[int](tb, `document.documentElement.scrollWidth`); w > int(dev.width) {
			t.Errorf("%s: the page is %d px wide on a %d px screen", dev.name, w, dev.width)
		}
	}
	res := httpGet(t, app.URL+"/console/static/weui.min.css")
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age") {
		t.Errorf("weui.min.css Cache-Control %q", cc)
	}
}

// Ensure the harness's own pieces work: a tab's user agent and viewport
// are the device's, and tabs of one test do not share cookies.
func TestBrowserHarness(t *testing.T) {
	app := newBrowserApp(t)
	start := time.Now()
	a, b := app.open(inWeChat), app.open(desktop)
	for _, c := range []struct {
		tb     *tab
		ua     string
		width  int
		mobile bool
	}{{a, "MicroMessenger/8.0.50", 375, true}, {b, "Chrome/", 1280, false}} {
		c.tb.visit(dataURL(`<meta name="viewport" content="width=device-width"><p>x</p>`))
		if ua := eval[string](c.tb, `navigator.userAgent`); !strings.Contains(ua, c.ua) {
			t.Errorf("%s: user agent %q", c.tb.dev.name, ua)
		}
		if w := eval[int](c.tb, `window.innerWidth`); w != c.width {
			t.Errorf("%s: window is %d px wide, want %d", c.tb.dev.name, w, c.width)
		}
	}
	a.setSession("only-in-a")
	got := func(tb *tab) string {
		cs := run(tb, "cookies", chromedp.QueryAfter(chromedp.CSS("p"), func(ctx context.Context, t *chromedp.Target, _ []*chromedp.Node) (string, error) {
			return cookieValues(ctx, t, app.URL+"/console/")
		}))
		return cs
	}
	if v := got(a); !strings.Contains(v, "only-in-a") {
		t.Errorf("tab a's cookies: %q", v)
	}
	if v := got(b); strings.Contains(v, "only-in-a") {
		t.Errorf("tab b sees tab a's cookie: %q", v)
	}
	u, _ := url.Parse(app.URL)
	t.Logf("two tabs on %s ready in %s", u.Host, time.Since(start).Round(time.Millisecond))
}

// Ensure a clerk signs in at a desk by scanning the sign-in page's QR code
// with WeChat: the page shows the official account's one-time code, the
// account's SCAN push confirms it, and the page signs in by itself and
// goes on to the address it was opened for.
func TestBrowserDeskQRSignIn(t *testing.T) {
	app := newBrowserApp(t)
	openid := app.bindOpenID(demoClerk)
	tb := app.open(desktop)
	tb.visit("/console/login?next=" + url.QueryEscape("/console/api/me"))
	if tb.routeMissing() {
		notBuilt(t, "/console/login")
	}
	tb.waitText("用微信扫一扫登录")
	tb.screenshot("qr")
	var scene string
	for _, q := range app.Fake.QRCodes() {
		if strings.HasPrefix(q.SceneStr, "login:") {
			scene = q.SceneStr
		}
	}
	if scene == "" {
		t.Fatalf("the sign-in page made no login QR code: %+v", app.Fake.QRCodes())
	}
	if reply := app.pushScan(openid, scene); !strings.Contains(reply, "登录") {
		t.Errorf("the scanner was told %q", reply)
	}
	// The page polls and goes on by itself.
	tb.waitPath("/console/api/me")
	if me := tb.pageText(); !strings.Contains(me, demoClerk) {
		t.Errorf("signed in as %s", me)
	}
}

// Ensure the optional password form signs a clerk in and goes on to next;
// a wrong password is refused in Chinese on the same page.
func TestBrowserPasswordSignIn(t *testing.T) {
	app := newBrowserApp(t)
	user, pass := app.account(demoClerk)
	tb := app.open(phone)
	tb.visit("/console/login?next=" + url.QueryEscape("/console/api/me"))
	if tb.routeMissing() {
		notBuilt(t, "/console/login")
	}
	f := tb.formOf("登录")
	f.fill("username", user).fill("password", "not-the-password")
	f.send("登录")
	if at := tb.location(); at.Path != "/console/login" {
		t.Fatalf("a wrong password went on to %s", at)
	}
	tb.waitText("密码")
	tb.screenshot("wrong-password")
	if text := tb.text(".notice.err, [role=alert], .weui-toptips, .error"); text == "" {
		t.Error("no error shown for a wrong password")
	}
	f = tb.formOf("登录")
	f.fill("username", user).fill("password", pass)
	f.send("登录")
	if at := tb.location(); at.Path != "/console/api/me" {
		t.Fatalf("signed in, at %s, want next=/console/api/me", at)
	}
	if me := tb.pageText(); !strings.Contains(me, demoClerk) {
		t.Errorf("signed in as %s", me)
	}
}
