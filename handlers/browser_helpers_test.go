package handlers_test

// The browser-test harness: one headless Chromium for the whole package,
// driven over the DevTools protocol with chromedp, against the full app
// (the real router over a real database and Redis, the demo county, a fake
// WeChat behind a real *wechat.Client) on an httptest server. See
// docs/BROWSER-TESTS.md.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/handlers/console"
	"deputylink/jobs"
	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/models/reviews"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// The variables of the browser tests.
const (
	// envChromium names the browser binary (default: chromium,
	// chromium-browser, google-chrome or google-chrome-stable on PATH).
	envChromium = "DEPUTYLINK_CHROMIUM"
	// envRequireBrowser=1 (set by .ci/run) turns a missing browser or CJK
	// font from a skip into a failure.
	envRequireBrowser = "DEPUTYLINK_REQUIRE_BROWSER"
	// envScreenshots keeps the screenshots in this directory (default: a
	// temporary directory per test, removed afterwards).
	envScreenshots = "DEPUTYLINK_SCREENSHOTS"
)

// stepTimeout bounds one browser step (a navigation, a wait, a click).
const stepTimeout = 15 * time.Second

// The user agents: a desktop Chrome, a phone's Chrome and WeChat's
// built-in browser on Android (the console tells WeChat by MicroMessenger).
const (
	uaDesktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
	uaPhone   = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36"
	uaWeChat  = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) " +
		"Version/4.0 Chrome/130.0.6723.103 Mobile Safari/537.36 XWEB/1300289 MMWEBSDK/20240802 MMWEBID/2271 " +
		"MicroMessenger/8.0.50.2701(0x28003237) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)

// device is the screen and browser a tab pretends to be.
type device struct {
	name          string
	width, height int64
	scale         float64
	mobile        bool
	ua            string
}

var (
	// desktop is the congress office's desk.
	desktop = device{"desktop", 1280, 800, 1, false, uaDesktop}
	// phone is a phone's ordinary browser.
	phone = device{"phone", 375, 812, 2, true, uaPhone}
	// inWeChat is a phone's WeChat, where clerks tap template messages.
	inWeChat = device{"wechat", 375, 812, 2, true, uaWeChat}
)

// TestMain stops the shared browser after the package's tests.
func TestMain(m *testing.M) {
	code := m.Run()
	stopBrowser()
	os.Exit(code)
}

// theBrowser is the one Chromium of the package, started by the first
// browser test; every test opens its own tabs in their own browser contexts
// (separate cookies and storage).
var theBrowser struct {
	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
	path    string
	version string
	skip    string // why the browser tests cannot run here
	err     error
}

func stopBrowser() {
	if theBrowser.cancel != nil {
		theBrowser.cancel()
	}
}

// requireBrowser reports whether a missing browser fails the tests.
func requireBrowser() bool { return os.Getenv(envRequireBrowser) == "1" }

// browserContext returns the shared browser, starting it on first use;
// without Chromium or a CJK font the test is skipped (failed when
// DEPUTYLINK_REQUIRE_BROWSER=1).
func browserContext(t *testing.T) context.Context {
	t.Helper()
	theBrowser.once.Do(startBrowser)
	if theBrowser.skip != "" {
		if requireBrowser() {
			t.Fatalf("browser tests required (%s=1) but %s", envRequireBrowser, theBrowser.skip)
		}
		t.Skipf("browser test skipped: %s", theBrowser.skip)
	}
	if theBrowser.err != nil {
		t.Fatalf("starting %s: %v", theBrowser.path, theBrowser.err)
	}
	return theBrowser.ctx
}

// findChromium looks for the browser binary.
func findChromium() (string, error) {
	if p := os.Getenv(envChromium); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on PATH (Debian: apt-get install chromium; or set " + envChromium + ")")
}

// cjkFontMissing says why Chinese would render as boxes, or "" when a font
// with Chinese glyphs is installed.
func cjkFontMissing() string {
	if out, err := exec.Command("fc-list", ":lang=zh", "family").Output(); err == nil {
		if strings.TrimSpace(string(out)) != "" {
			return ""
		}
		return "fonts-wqy-microhei missing: Chinese would render as boxes (fc-list :lang=zh lists no font; Debian: apt-get install fonts-wqy-microhei)"
	}
	for _, f := range []string{"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"} {
		if _, err := os.Stat(f); err == nil {
			return ""
		}
	}
	return "fonts-wqy-microhei missing: Chinese would render as boxes (no fc-list and no WenQuanYi font file; Debian: apt-get install fonts-wqy-microhei)"
}

func startBrowser() {
	path, err := findChromium()
	if err != nil {
		theBrowser.skip = err.Error()
		return
	}
	theBrowser.path = path
	if why := cjkFontMissing(); why != "" {
		theBrowser.skip = why
		return
	}
	if out, err := exec.Command(path, "--version").Output(); err == nil {
		theBrowser.version = strings.TrimSpace(string(out))
	}
	// The defaults are headless with background networking off; this
	// closed network refuses Chromium's own connections, so every other
	// phone-home is off too. chromedp makes a fresh --user-data-dir and
	// removes it when the browser ends.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("hide-scrollbars", true),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	theBrowser.ctx = bctx
	theBrowser.cancel = func() { bcancel(); acancel() }
	start := time.Now()
	if err := chromedp.Do(bctx); err != nil {
		theBrowser.err = err
		return
	}
	fmt.Fprintf(os.Stderr, "browser tests: %s started in %s\n", theBrowser.version, time.Since(start).Round(time.Millisecond))
}

// ---------------------------------------------------------------- the app

// Demo staff the tests use (models/demo_data.go): a clerk and the head of
// 城关镇人大代表之家, a clerk of 东门社区代表联络站, and the congress office's
// admin.
const (
	demoClerk      = "柴晓丽"
	demoHead       = "俞文华"
	demoOtherClerk = "章佳怡"
	demoAdmin      = "项海燕"
	demoStation    = "城关镇人大代表之家"
	otherStation   = "东门社区代表联络站"
)

// The official account's push settings of the app under test.
const (
	browserOAToken = "browsertesttoken"
	browserOAName  = "gh_deputylink"
)

// browserTemplates are the notification templates the app is configured
// with, so that staff get template messages linking to the console.
var browserTemplates = map[string]string{
	config.EnvTplOpinionStaff:     "tplStaff|title=thing1,no=character_string2,summary=thing3,station=thing4,due=time5",
	config.EnvTplOpinionResult:    "tplResult|title=thing1,no=character_string2,status=phrase3,station=thing4,time=time5",
	config.EnvTplOpinionAccepted:  "tplAccepted|title=thing1,no=character_string2,status=phrase3,station=thing4,time=time5",
	config.EnvTplOpinionAskResult: "tplAsk|title=thing1,no=character_string2,status=phrase3,station=thing4,time=time5",
	config.EnvTplOpinionVoter:     "tplVoter|title=thing1,no=character_string2,status=thing3,time=time4",
	config.EnvTplDeputyNotice:     "tplDeputy|title=thing1,sender=thing2,time=time3",
}

// browserApp is the whole app as `serve --demo` runs it: the real router
// over a real database (SQLite, or MariaDB when DEPUTYLINK_TEST_MYSQL is set)
// and Redis (miniredis, or DEPUTYLINK_TEST_REDIS), the demo county and its
// reception days, on a real HTTP server; WeChat is the fake, behind a real
// client.
type browserApp struct {
	t    *testing.T
	URL  string
	DB   *gorm.DB
	RD   *wechattest.TestRedis
	Fake *wechattest.Server
	WC   *wechat.Client
	Loc  *time.Location
	// Notify is the opinion notification configuration (jobs need it).
	Notify config.OpinionNotify
	// Ballots keys the reviews' ballots, as the app's does.
	Ballots *reviews.Keyer
	srv     *httptest.Server
	// passwords are the console passwords account set, by username: set
	// once, so a second tab's sign-in does not end the first's session
	// (a password change voids older sessions).
	passwords map[string]string
}

var cheapHashes sync.Once

// newBrowserApp starts the app for one test.
func newBrowserApp(t *testing.T) *browserApp {
	t.Helper()
	cheapHashes.Do(func() { models.PasswordCost = bcrypt.MinCost })
	ctx := t.Context()
	db := modelstest.NewDB(t)
	rd := wechattest.NewRedis(t)
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	fake.SetFollowAll(true)
	loc := config.DefaultLocation()

	// The listener first: the template messages link to the app's own URL.
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	vars := map[string]string{config.EnvPublicURL: base}
	for k, v := range browserTemplates {
		vars[k] = v
	}
	notify, err := config.LoadOpinionNotify(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	deputyNotify, err := config.LoadDeputyNotify(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	wc, err := wechat.New(wechat.Config{
		OAAppID: wechattest.DefaultOAAppID, OASecret: wechattest.DefaultOASecret, OAToken: browserOAToken,
		MPAppID: wechattest.DefaultMPAppID, MPSecret: wechattest.DefaultMPSecret,
		APIBase: fake.URL(), AuthorizeBase: fake.URL(), KeyPrefix: rd.Prefix, HTTPTimeout: 5 * time.Second,
	}, rd.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The account's web-authorization domain is the app's (WeChat redirects
	// back only there).
	fake.SetAuthorizeDomains(wechattest.DefaultOAAppID, srv.Listener.Addr().String())
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := models.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.LoadDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := models.LoadDemoReception(ctx, db, time.Now(), loc); err != nil {
		t.Fatal(err)
	}
	d := handlers.Deps{
		DB: db, Redis: rd.Client, RedisPrefix: rd.Prefix,
		Log: slog.New(slog.DiscardHandler), BodyLimit: 1 << 20, Location: loc,
		Limits: handlers.DefaultRateLimits(), DataDir: t.TempDir(),
		Routes:        &models.RouteWorldCache{TTL: time.Minute},
		OpinionNotify: notify,
		MP:            wc, Sealer: sealer, Ballots: reviews.NewKeyer(key),
		OA:      handlers.OAConfig{AppID: wechattest.DefaultOAAppID, Token: browserOAToken, MPAppID: wechattest.DefaultMPAppID},
		WebAuth: wc,
	}
	d.DeputyNotify = deputyNotify
	srv.Config.Handler = handlers.NewRouter(d)
	srv.Start()
	t.Cleanup(srv.Close)
	return &browserApp{t: t, URL: base, DB: db, RD: rd, Fake: fake, WC: wc, Loc: loc, Notify: notify, srv: srv, Ballots: d.Ballots}
}

// staff returns a demo staff member by name, with their stations.
func (a *browserApp) staff(name string) models.Staff {
	a.t.Helper()
	var s models.Staff
	if err := a.DB.Preload("Stations").Where("name = ?", name).First(&s).Error; err != nil {
		a.t.Fatalf("staff %s: %v", name, err)
	}
	return s
}

// station returns a demo station by name.
func (a *browserApp) station(name string) models.Station {
	a.t.Helper()
	var s models.Station
	if err := a.DB.Where("name = ?", name).First(&s).Error; err != nil {
		a.t.Fatalf("station %s: %v", name, err)
	}
	return s
}

// bindOpenID binds an official-account openid to a demo staff member, as
// scanning their invite does, and returns it.
func (a *browserApp) bindOpenID(name string) string {
	a.t.Helper()
	s := a.staff(name)
	openid := "oStaff" + strconv.FormatUint(s.ID, 10) + "x" + randHex(4)
	if err := a.DB.Model(&models.Staff{}).Where("id = ?", s.ID).Update("oa_openid", openid).Error; err != nil {
		a.t.Fatal(err)
	}
	a.Fake.Follow(openid)
	return openid
}

// bindDeputy binds a fresh official-account openid to a deputy through a
// one-time invite, as the deputy scanning it does, makes them a follower
// of the fake account, and returns the openid.
func (a *browserApp) bindDeputy(dep models.Deputy) string {
	a.t.Helper()
	inv, err := models.CreateDeputyInvite(a.t.Context(), a.DB, models.SystemActor, dep.ID, time.Hour, time.Now())
	if err != nil {
		a.t.Fatal(err)
	}
	openid := "oDeputy" + randHex(6)
	if _, err := models.BindDeputyInvite(a.t.Context(), a.DB, inv.Code, openid, time.Now()); err != nil {
		a.t.Fatal(err)
	}
	a.Fake.Follow(openid)
	return openid
}

// account gives a demo staff member a console username and password, as
// an admin does for staff who want one beside WeChat, and returns them.
func (a *browserApp) account(name string) (username, password string) {
	a.t.Helper()
	s := a.staff(name)
	if s.Username != nil {
		username = *s.Username
	} else {
		username = "staff" + strconv.FormatUint(s.ID, 10)
		if err := a.DB.Model(&models.Staff{}).Where("id = ?", s.ID).Update("username", username).Error; err != nil {
			a.t.Fatal(err)
		}
	}
	if p, ok := a.passwords[username]; ok {
		return username, p
	}
	password = "browser-test-" + username
	if err := models.SetStaffPassword(a.t.Context(), a.DB, models.SystemActor, s.ID, password, time.Now().Add(-time.Second)); err != nil {
		a.t.Fatalf("console password for %s: %v", name, err)
	}
	if a.passwords == nil {
		a.passwords = map[string]string{}
	}
	a.passwords[username] = password
	return username, password
}

// apiToken signs in through the console's JSON API and returns the session
// token (the same token the console's cookie carries).
func (a *browserApp) apiToken(username, password string) string {
	a.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	res, err := http.Post(a.URL+"/console/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var s struct {
		Token string `json:"token"`
	}
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || json.Unmarshal(raw, &s) != nil || s.Token == "" {
		a.t.Fatalf("console login %s: %d %s", username, res.StatusCode, raw)
	}
	return s.Token
}

// fileOpinion files an opinion as a voter through the mini-program API
// (login with a fake code, then POST /api/v1/opinions to the station) and
// returns its id and tracking number. The station's bound staff are told
// once the outbox is dispatched (dispatch).
func (a *browserApp) fileOpinion(voterOpenID, station, content string) (uint64, string) {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"content": content, "category": "shenghuo", "station_id": a.station(station).ID})
	var op struct {
		ID         uint64 `json:"id"`
		TrackingNo string `json:"tracking_no"`
	}
	a.call("POST", "/api/v1/opinions", a.voterSession(voterOpenID), string(body), 201, &op)
	return op.ID, op.TrackingNo
}

// voterSession signs a voter in to the mini-program API (login with a
// fake code) and returns the session token.
func (a *browserApp) voterSession(voterOpenID string) string {
	a.t.Helper()
	code := "login-" + voterOpenID + "-" + randHex(3)
	a.Fake.AddLoginCode(code, voterOpenID, "")
	var sess struct {
		Token string `json:"token"`
	}
	a.call("POST", "/api/v1/session", "", `{"code":"`+code+`"}`, 200, &sess)
	return sess.Token
}

// call sends a JSON request to the app and decodes the answer.
func (a *browserApp) call(method, path, token, body string, want int, out any) {
	a.t.Helper()
	req, err := http.NewRequestWithContext(a.t.Context(), method, a.URL+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "bt-"+randHex(8))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		a.t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
}

// dispatch runs the notification outbox once against the fake WeChat and
// returns how many messages went out.
func (a *browserApp) dispatch() int {
	a.t.Helper()
	n, err := jobs.RunOnce(a.t.Context(), jobs.Deps{
		DB: a.DB, Redis: a.RD.Client, Prefix: a.RD.Prefix, WeChat: a.WC,
		Opt: jobs.Options{Location: a.Loc, Opinion: a.Notify, MiniProgramAppID: wechattest.DefaultMPAppID},
	}, jobs.JobDispatch, time.Now())
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

// templateLinks are the links of the template messages WeChat delivered
// to openid, oldest first.
func (a *browserApp) templateLinks(openid string) []string {
	var out []string
	for _, d := range a.Fake.Templates() {
		if d.ToUser == openid && d.URL != "" {
			out = append(out, d.URL)
		}
	}
	return out
}

// pushScan posts the official account's SCAN push for openid scanning a
// QR code of scene (a follower scanning a temporary code), signed with the
// account's token as WeChat signs it, and returns the passive reply.
func (a *browserApp) pushScan(openid, scene string) string {
	a.t.Helper()
	now := time.Now().Unix()
	ts, nonce := strconv.FormatInt(now, 10), randHex(5)
	msg := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>"+
		"<EventKey><![CDATA[%s]]></EventKey><Ticket><![CDATA[t%s]]></Ticket></xml>", browserOAName, openid, now, scene, randHex(8))
	q := url.Values{"signature": {wechat.Signature(browserOAToken, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {openid}}
	res, err := http.Post(a.URL+"/wechat/official?"+q.Encode(), "text/xml", strings.NewReader(msg))
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		a.t.Fatalf("SCAN push: %d %s", res.StatusCode, raw)
	}
	var reply struct{ Content string }
	_ = xml.Unmarshal(raw, &reply)
	return reply.Content
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---------------------------------------------------------------- tabs

// tab is one browser tab of a test, in its own browser context (its own
// cookies), pretending to be dev.
type tab struct {
	t   *testing.T
	ctx context.Context
	app *browserApp
	dev device
}

// open opens a tab for the test at dev's size and user agent. A test that
// fails leaves a screenshot of every tab it opened.
func (a *browserApp) open(dev device) *tab {
	t := a.t
	t.Helper()
	bctx := browserContext(t)
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx, app: a, dev: dev}
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(dev.scale)}
	if dev.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	// The first Do opens the tab, with no timeout (a timeout there would
	// end the tab with it).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	tb.do("emulate "+dev.name,
		chromedp.EmulateViewport(dev.width, dev.height, opts...),
		call(emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: dev.ua, AcceptLanguage: "zh-CN,zh"}),
	)
	t.Cleanup(func() {
		if t.Failed() {
			tb.screenshot("failed")
		}
	})
	return tb
}

// call is an action that sends one protocol command.
func call[P, R any](cmd cdp.Command[P, R], params P) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, cmd, params)
		return chromedp.Void{}, err
	}
}

// do runs steps with the step timeout, failing the test on an error.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s (%s): %v\n%s", what, tb.dev.name, err, tb.describe())
	}
}

// run runs one action with the step timeout and returns its value.
func run[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("%s (%s): %v\n%s", what, tb.dev.name, err, tb.describe())
	}
	return v
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	return run(tb, "evaluate "+clip(js, 80), chromedp.Evaluate[T](js))
}

// describe is the page's address and the start of its text, for failures.
func (tb *tab) describe() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return "page " + loc + ":\n" + clip(text, 600)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// abs makes an app path absolute; absolute URLs stay as they are.
func (tb *tab) abs(target string) string {
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "data:") {
		return target
	}
	return tb.app.URL + target
}

// visit loads target (an app path or an absolute URL) and returns the
// final document's response, after any redirects.
func (tb *tab) visit(target string) *network.Response {
	tb.t.Helper()
	return run(tb, "visit "+target, chromedp.NavigateResponse(tb.abs(target)))
}

// location is the address the tab shows.
func (tb *tab) location() *url.URL {
	tb.t.Helper()
	u, err := url.Parse(run(tb, "location", chromedp.Location()))
	if err != nil {
		tb.t.Fatal(err)
	}
	return u
}

// text is the visible text of the first element matching the CSS selector.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return strings.TrimSpace(run(tb, "text of "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// pageText is the whole page's visible text.
func (tb *tab) pageText() string {
	tb.t.Helper()
	return eval[string](tb, `document.body ? document.body.innerText : ""`)
}

// waitText waits until the page shows text.
func (tb *tab) waitText(text string) {
	tb.t.Helper()
	js := `!!(document.body && document.body.innerText.includes(` + jsString(text) + `))`
	// Each look is short and a failed one is tried again: a click that
	// navigates may replace the page (and its script context) while we look,
	// which a single long poll reports as "Cannot find context".
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		found, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && found {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("wait for the text %s (%s): not shown (%v)\n%s", strconv.Quote(text), tb.dev.name, err, tb.describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitPath waits until the tab shows the page at path, across the
// navigations on the way (a script that moves on by itself).
func (tb *tab) waitPath(path string) {
	tb.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		cancel()
		if u, perr := url.Parse(loc); err == nil && perr == nil && u.Path == path {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("the tab never reached %s (%s)\n%s", path, tb.dev.name, tb.describe())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitVisible waits until an element matching the CSS selector is visible.
func (tb *tab) waitVisible(sel string) {
	tb.t.Helper()
	tb.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// click clicks the element matching the CSS selector with the mouse.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// clickText clicks the visible button or link whose text is text (after
// trimming), with the mouse.
func (tb *tab) clickText(text string) {
	tb.t.Helper()
	tb.click(tb.markByText(text))
}

// markByText finds the visible button, link or submit input whose text is
// text, marks it with an attribute and returns a selector for it.
func (tb *tab) markByText(text string) string {
	tb.t.Helper()
	mark := "bt" + randHex(4)
	js := `(() => {
	  const want = ` + jsString(text) + `;
	  const els = [...document.querySelectorAll('button, a, input[type=submit], input[type=button], label')];
	  const el = els.find(e => (e.innerText || e.value || '').trim() === want && e.offsetParent !== null);
	  if (!el) return false;
	  el.setAttribute('data-bt', ` + jsString(mark) + `);
	  return true;
	})()`
	if !eval[bool](tb, js) {
		tb.t.Fatalf("no visible button or link %q (%s)\n%s", text, tb.dev.name, tb.describe())
	}
	return `[data-bt="` + mark + `"]`
}

// submit clicks the button or link with text and waits for the page that
// follows.
func (tb *tab) submit(text string) *network.Response {
	tb.t.Helper()
	sel := tb.markByText(text)
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		tb.t.Fatalf("submit %q (%s): %v\n%s", text, tb.dev.name, err, tb.describe())
	}
	return res
}

// submitConfirmed clicks the button with text, which asks for confirmation
// in the console's dialog (forms with data-confirm), checks the question
// contains ask, accepts it with 确定 (#confirm-yes) and waits for the page
// that follows.
func (tb *tab) submitConfirmed(text, ask string) *network.Response {
	tb.t.Helper()
	tb.clickText(text)
	tb.waitVisible("dialog.confirm #confirm-yes")
	if q := tb.text("dialog.confirm p"); !strings.Contains(q, ask) {
		tb.t.Errorf("confirmation asks %q, want it to mention %q", q, ask)
	}
	tb.screenshot("confirm-" + text)
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#confirm-yes"), chromedp.NodeVisible))
	if err != nil {
		tb.t.Fatalf("confirm %q (%s): %v\n%s", text, tb.dev.name, err, tb.describe())
	}
	return res
}

// setSession puts a console session token into the tab's cookie, as a
// sign-in does: a shortcut for tests that are not about signing in.
func (tb *tab) setSession(token string) {
	tb.t.Helper()
	tb.do("set the session cookie", call(network.SetCookie, network.SetCookieParams{
		Name: console.ConsoleCookie, Value: token, URL: tb.app.URL + "/console/", HTTPOnly: ptr(true), Path: "/console",
		SameSite: network.CookieSameSiteLax,
	}))
}

// signInAs gives a demo staff member a console account and signs this tab
// in through the JSON API's session (not the sign-in pages).
func (tb *tab) signInAs(name string) {
	tb.t.Helper()
	u, p := tb.app.account(name)
	tb.setSession(tb.app.apiToken(u, p))
}

// screenshotDir is where this test's screenshots go.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv(envScreenshots); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

var (
	shotDirs   sync.Map // test name → directory
	unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
)

// screenshot saves a full-page PNG named <test>-<device>-<name>.png and
// returns its path.
func (tb *tab) screenshot(name string) string {
	tb.t.Helper()
	dir, ok := shotDirs.Load(tb.t.Name())
	if !ok {
		dir, _ = shotDirs.LoadOrStore(tb.t.Name(), screenshotDir(tb.t))
	}
	file := unsafeName.ReplaceAllString(strings.TrimPrefix(tb.t.Name(), "TestBrowser")+"-"+tb.dev.name+"-"+name, "_") + ".png"
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(dir.(string), file)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	tb.t.Logf("screenshot %s", path)
	return path
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func ptr[T any](v T) *T { return &v }

// platformFonts asks Chromium which platform fonts drew the node's text.
func platformFonts(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]*css.PlatformFontUsage, error) {
	res, err := cdp.Call(ctx, t, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: n.NodeID})
	return res.Fonts, err
}

// cookieValues lists the browser context's cookies for u as name=value.
func cookieValues(ctx context.Context, t *chromedp.Target, u string) (string, error) {
	res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
	var out []string
	for _, c := range res.Cookies {
		out = append(out, c.Name+"="+c.Value)
	}
	return strings.Join(out, "; "), err
}

// httpGet fetches u outside the browser.
func httpGet(t *testing.T, u string) *http.Response {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// dataURL is a page of its own, with no server and no CSP.
func dataURL(html string) string {
	return "data:text/html;charset=utf-8;base64," + base64.StdEncoding.EncodeToString([]byte(html))
}
