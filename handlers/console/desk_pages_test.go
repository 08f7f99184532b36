package console_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/handlers/console"
	"deputylink/handlers/official"
	"deputylink/models"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"

	"golang.org/x/crypto/bcrypt"
)

// deskT is 10 December 2026, 09:35 in Beijing: the east station's
// reception day (09:00～11:30) is running.
var deskT = time.Date(2026, 12, 10, 9, 35, 0, 0, conLoc)

const (
	deskDate    = "2026-12-10"
	deskOAToken = "desktoken"
)

// deskWebAuth is the console's WebAuth over the real WeChat client talking
// to the fake WeChat: QR codes are real calls; web authorization and the
// JS-SDK's signature are not in this client yet and answer an error.
type deskWebAuth struct{ *wechat.Client }

func (deskWebAuth) AuthorizeURL(string, string) string { return "" }
func (deskWebAuth) OAuthOpenID(context.Context, string) (string, error) {
	return "", errors.New("web authorization is not part of this client")
}
func (deskWebAuth) JSConfig(context.Context, string) (wechat.JSConfig, error) {
	return wechat.JSConfig{}, errors.New("JS-SDK signing is not part of this client")
}

// deskEnv is conEnv with the demo reception days, and optionally the
// official account (its push endpoint and QR codes through the fake).
type deskEnv struct {
	*conEnv
	fake          *wechattest.Server
	day, westDay  models.ReceptionDay
	slots         []models.Slot
	roster        []models.Deputy
	cookE, csrfE  string
	cookW, csrfW  string
	cookH, cookAd string
}

func newDeskEnv(t *testing.T, withWeChat bool) *deskEnv {
	t.Helper()
	conCheapHashes.Do(func() { models.PasswordCost = bcrypt.MinCost })
	clk := &conClock{now: conT0}
	var fake *wechattest.Server
	rd := wechattest.NewRedis(t)
	te := newEnvWith(t, rd, func(d *handlers.Deps) {
		d.Now, d.Location, d.Log = clk.Now, conLoc, slog.New(slog.DiscardHandler)
		d.OpinionNotify = config.OpinionNotify{Staff: config.TemplateSpec{ID: "TPL_STAFF"}}
		if withWeChat {
			fake = wechattest.New()
			t.Cleanup(fake.Close)
			wc, err := wechat.New(wechat.Config{
				OAAppID: wechattest.DefaultOAAppID, OASecret: wechattest.DefaultOASecret,
				APIBase: fake.URL(), KeyPrefix: rd.Prefix, HTTPTimeout: 5 * time.Second,
			}, rd.Client, nil)
			must(t, err)
			d.WebAuth = deskWebAuth{wc}
			d.OA = official.Config{AppID: wechattest.DefaultOAAppID, Token: deskOAToken}
		}
	})
	e := &deskEnv{conEnv: &conEnv{testEnv: te, clock: clk}, fake: fake}
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
	e.boss = mk("admin", models.RoleAdmin)
	must(t, models.LoadDemoReception(ctx, e.db, conT0, conLoc))
	must(t, e.db.Where("station_id = ? AND date = ?", e.east.ID, deskDate).First(&e.day).Error)
	must(t, e.db.Where("station_id = ? AND date = ?", e.west.ID, deskDate).First(&e.westDay).Error)
	must(t, e.db.Where("day_id = ?", e.day.ID).Order("seq").Find(&e.slots).Error)
	must(t, e.db.Where("id IN (?)", e.db.Model(&models.RosterEntry{}).Select("deputy_id").Where("day_id = ?", e.day.ID)).
		Order("id").Find(&e.roster).Error)
	if len(e.roster) == 0 {
		t.Fatal("the demo day has no roster")
	}
	// Sign in two days before the reception day, as a clerk would the
	// week of it: sessions last at most ConsoleSessionMaxAge, and the
	// tests move the clock from conT0 to the day itself.
	e.clock.Set(deskT.Add(-48 * time.Hour))
	e.csrfE, e.cookE = e.loginPage("clerk_e")
	e.csrfW, e.cookW = e.loginPage("clerk_w")
	_, e.cookH = e.loginPage("head_e")
	_, e.cookAd = e.loginPage("admin")
	e.clock.Set(conT0)
	return e
}

// loginPage signs in and returns the CSRF token and the cookie's value.
func (e *deskEnv) loginPage(user string) (csrf, cookie string) {
	e.t.Helper()
	s, c := e.login(user)
	return s.CSRFToken, c
}

// deskResp is one page response.
type deskResp struct {
	status   int
	body     string
	location string
	header   http.Header
}

// page sends a page request with the cookie (none when empty), a form
// (a POST when form is not nil) and optional headers, without following
// redirects.
func (e *deskEnv) page(method, path, cookie string, form url.Values, hdr ...string) deskResp {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	must(e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: console.ConsoleCookie, Value: cookie})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	must(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return deskResp{status: resp.StatusCode, body: string(raw), location: resp.Header.Get("Location"), header: resp.Header}
}

// post sends a form with the session's CSRF token.
func (e *deskEnv) post(path, cookie, csrf string, form url.Values) deskResp {
	e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", csrf)
	return e.page("POST", path, cookie, form)
}

// follow posts and follows the redirect back to the desk, returning the
// notice the redirect carried and the page.
func (e *deskEnv) follow(r deskResp, cookie string) (string, deskResp) {
	e.t.Helper()
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("want 303, got %d: %.300s", r.status, r.body)
	}
	u, err := url.Parse(r.location)
	must(e.t, err)
	return u.Query().Get("ok"), e.page("GET", r.location, cookie, nil)
}

func (e *deskEnv) deskPath(day models.ReceptionDay) string { return "/console/desk/" + idStr(day.ID) }

// Ensure every desk page and action is scoped like the JSON API: the
// station's clerk and head and an admin reach the day; another station's
// clerk gets 404 on the day, its print, its check-in and every action;
// without a session the browser is sent to sign in; a post without the
// CSRF token is refused.
func TestDeskPagesAccess(t *testing.T) {
	t.Parallel()
	e := newDeskEnv(t, false)
	e.clock.Set(deskT)
	path := e.deskPath(e.day)

	for _, who := range []struct{ name, cookie string }{{"clerk", e.cookE}, {"head", e.cookH}, {"admin", e.cookAd}} {
		if r := e.page("GET", path, who.cookie, nil); r.status != 200 || !strings.Contains(r.body, e.east.Name) ||
			!strings.Contains(r.body, "群众签到") {
			t.Errorf("%s: desk %d", who.name, r.status)
		}
		if r := e.page("GET", path+"/print", who.cookie, nil); r.status != 200 || !strings.Contains(r.body, "接待日名单") {
			t.Errorf("%s: print %d", who.name, r.status)
		}
	}
	r := e.page("GET", "/console/desk", e.cookE, nil)
	if r.status != 200 || !strings.Contains(r.body, path) || strings.Contains(r.body, e.deskPath(e.westDay)) {
		t.Errorf("east clerk's days: %d\n%s", r.status, r.body)
	}
	if r := e.page("GET", "/console/desk", e.cookAd, nil); !strings.Contains(r.body, path) || !strings.Contains(r.body, e.deskPath(e.westDay)) {
		t.Errorf("admin's days lack a station's day")
	}

	// Another station's clerk: the day does not exist for them.
	for _, c := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", path, nil},
		{"GET", path + "/print", nil},
		{"POST", path + "/checkin", url.Values{"code": {"ABCDEF"}}},
		{"POST", path + "/walkins", url.Values{"name": {"王大爷"}}},
		{"POST", path + "/deputies/" + idStr(e.roster[0].ID) + "/signin", url.Values{}},
		{"POST", path + "/deputies", url.Values{"deputy_id": {idStr(e.roster[0].ID)}}},
		{"POST", path + "/guests", url.Values{"department": {"县交通运输局"}, "name": {"李明"}}},
		{"POST", path + "/guests/1/signin", url.Values{}},
		{"POST", path + "/guests/1/remove", url.Values{}},
		{"POST", path + "/bookings/1/noshow", url.Values{}},
	} {
		var r deskResp
		if c.method == "GET" {
			r = e.page("GET", c.path, e.cookW, nil)
		} else {
			r = e.post(c.path, e.cookW, e.csrfW, c.form)
		}
		if r.status != 404 || !strings.Contains(r.body, "没有找到这一项") {
			t.Errorf("west clerk %s %s: %d", c.method, c.path, r.status)
		}
	}
	var walkIns int64
	must(t, e.db.Model(&models.WalkIn{}).Where("day_id = ?", e.day.ID).Count(&walkIns).Error)
	if walkIns != 0 {
		t.Errorf("a refused walk-in was written")
	}

	// No session: sign in first, then back here.
	if r := e.page("GET", path, "", nil); r.status != 303 || r.location != "/console/login?next="+url.QueryEscape(path) {
		t.Errorf("no session: %d %q", r.status, r.location)
	}
	// A post without the CSRF token.
	if r := e.page("POST", path+"/walkins", e.cookE, url.Values{"name": {"王大爷"}}); r.status != 403 {
		t.Errorf("no CSRF token: %d", r.status)
	}
	if r := e.post(path+"/walkins", e.cookE, "wrong"+e.csrfE, url.Values{"name": {"王大爷"}}); r.status != 403 {
		t.Errorf("wrong CSRF token: %d", r.status)
	}
	for _, p := range []string{"/console/desk/abc", "/console/desk/0/print", "/console/desk/99999"} {
		if r := e.page("GET", p, e.cookE, nil); r.status != 400 && r.status != 404 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	if r := e.page("GET", path, e.cookE, nil); r.header.Get("Cache-Control") != "no-store" ||
		!strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("headers %v", r.header)
	}
}

// Ensure the desk's work through the pages: check-in by the typed code
// (lower case, spaces) and by the QR's text, with the Chinese notice; a
// wrong code keeps the page and what was typed; a second check-in says so;
// a walk-in with its 记为意见 link; a deputy signed in by staff; a guest
// invited and signed in; a no-show marked once the slot ended; the
// printed list.
func TestDeskPagesWork(t *testing.T) {
	t.Parallel()
	e := newDeskEnv(t, false)
	ctx := t.Context()
	phone := "139****0001"
	v := models.Voter{PhoneMasked: phone}
	must(t, e.db.Create(&v).Error)
	v2 := models.Voter{}
	must(t, e.db.Create(&v2).Error)
	v3 := models.Voter{}
	must(t, e.db.Create(&v3).Error)
	b1, _, err := models.BookSlot(ctx, e.db, v.ID, e.slots[1].ID, "小区加装电梯", conT0)
	must(t, err)
	b2, _, err := models.BookSlot(ctx, e.db, v2.ID, e.slots[1].ID, "", conT0)
	must(t, err)
	late, _, err := models.BookSlot(ctx, e.db, v3.ID, e.slots[0].ID, "", conT0)
	must(t, err)
	path := e.deskPath(e.day)

	// Before the day, check-in is not open: the page says so.
	r := e.post(path+"/checkin", e.cookE, e.csrfE, url.Values{"code": {b1.CheckinCode}})
	if r.status != 409 || !strings.Contains(r.body, "接待还没有开始") {
		t.Errorf("early check-in: %d", r.status)
	}

	e.clock.Set(deskT)
	typed := strings.ToLower(b1.CheckinCode[:3] + " " + b1.CheckinCode[3:])
	notice, pg := e.follow(e.post(path+"/checkin", e.cookE, e.csrfE, url.Values{"code": {typed}}), e.cookE)
	slotText := models.ClockText(e.slots[1].StartAt, conLoc) + "～" + models.ClockText(e.slots[1].EndAt, conLoc)
	if want := "已签到：" + phone + "，" + slotText; notice != want || !strings.Contains(pg.body, want) {
		t.Errorf("typed check-in notice %q, want %q", notice, want)
	}
	notice, _ = e.follow(e.post(path+"/checkin", e.cookE, e.csrfE, url.Values{"code": {models.BookingQRText(b2.CheckinCode)}}), e.cookE)
	if want := "已签到：签到码" + b2.CheckinCode + "，" + slotText; notice != want {
		t.Errorf("QR check-in notice %q, want %q", notice, want)
	}
	r = e.post(path+"/checkin", e.cookE, e.csrfE, url.Values{"code": {"ZZZZZZ"}})
	if r.status != 404 || !strings.Contains(r.body, "签到码无效") || !strings.Contains(r.body, `value="ZZZZZZ"`) ||
		!strings.Contains(r.body, e.east.Name) {
		t.Errorf("wrong code: %d", r.status)
	}
	r = e.post(path+"/checkin", e.cookE, e.csrfE, url.Values{"code": {b1.CheckinCode}})
	if r.status != 409 || !strings.Contains(r.body, "已经签到过了") {
		t.Errorf("second check-in: %d", r.status)
	}
	r = e.post(path+"/checkin", e.cookE, e.csrfE, url.Values{"code": {"  "}})
	if r.status != 400 || !strings.Contains(r.body, "请输入签到码") {
		t.Errorf("empty code: %d", r.status)
	}
	for _, b := range []models.Booking{b1, b2} {
		var got models.Booking
		must(t, e.db.First(&got, b.ID).Error)
		if got.Status != models.BookingCheckedIn {
			t.Errorf("booking %d: %s", b.ID, got.Status)
		}
	}

	// Walk-in, then its opinion link.
	notice, pg = e.follow(e.post(path+"/walkins", e.cookE, e.csrfE, url.Values{"name": {"王大爷"}, "topic": {"路灯不亮"}}), e.cookE)
	if notice != "已登记现场来访：王大爷" || !strings.Contains(pg.body, "王大爷") {
		t.Errorf("walk-in notice %q", notice)
	}
	wantLink := "/console/opinions/new?channel=reception&amp;content=" + url.QueryEscape("路灯不亮") + "&amp;day=" + idStr(e.day.ID) +
		"&amp;name=" + url.QueryEscape("王大爷") + "&amp;station=" + idStr(e.east.ID)
	if !strings.Contains(pg.body, wantLink) {
		t.Errorf("no opinion link %s in the desk", wantLink)
	}
	if !strings.Contains(pg.body, "/console/opinions/new?channel=reception&amp;content="+url.QueryEscape("小区加装电梯")) {
		t.Errorf("no opinion link for the checked-in booking")
	}
	r = e.post(path+"/walkins", e.cookE, e.csrfE, url.Values{"name": {strings.Repeat("名", 51)}})
	if r.status != 400 || !strings.Contains(r.body, "姓名不能超过50个字") {
		t.Errorf("long walk-in name: %d", r.status)
	}

	// A deputy signs in; the opinion links then name them.
	dep := e.roster[0]
	notice, pg = e.follow(e.post(path+"/deputies/"+idStr(dep.ID)+"/signin", e.cookE, e.csrfE, nil), e.cookE)
	if notice != "代表已签到" || !strings.Contains(pg.body, "已签到 09:35 工作人员签到") || !strings.Contains(pg.body, "deputy="+idStr(dep.ID)) {
		t.Errorf("deputy sign-in: %q", notice)
	}
	notice, _ = e.follow(e.post(path+"/deputies/"+idStr(dep.ID)+"/signin", e.cookE, e.csrfE, nil), e.cookE)
	if notice != "这位代表已经签过到了" {
		t.Errorf("second deputy sign-in: %q", notice)
	}
	r = e.post(path+"/deputies", e.cookE, e.csrfE, url.Values{"deputy_id": {"x"}})
	if r.status != 400 || !strings.Contains(r.body, "请选择到场的代表") {
		t.Errorf("add deputy without one: %d", r.status)
	}

	// 局长进站.
	notice, pg = e.follow(e.post(path+"/guests", e.cookE, e.csrfE, url.Values{"department": {"县交通运输局"}, "name": {"李明"}, "title": {"局长"}}), e.cookE)
	if notice != "已添加受邀人员：县交通运输局李明" || !strings.Contains(pg.body, "县交通运输局 李明") {
		t.Errorf("guest: %q", notice)
	}
	r = e.post(path+"/guests", e.cookE, e.csrfE, url.Values{"name": {"李明"}})
	if r.status != 400 || !strings.Contains(r.body, "请填写受邀单位") {
		t.Errorf("guest without department: %d", r.status)
	}
	desk, err := models.DeskDay(ctx, e.db, models.StaffScope{All: true}, e.day.ID, deskT, conLoc)
	must(t, err)
	g := desk.Guests[0]
	notice, _ = e.follow(e.post(path+"/guests/"+idStr(g.ID)+"/signin", e.cookE, e.csrfE, nil), e.cookE)
	if notice != "受邀人员已签到" {
		t.Errorf("guest sign-in: %q", notice)
	}
	r = e.post(path+"/guests/"+idStr(g.ID)+"/remove", e.cookE, e.csrfE, nil)
	if r.status != 409 || !strings.Contains(r.body, "已经签到，不能删除") {
		t.Errorf("remove a signed-in guest: %d", r.status)
	}

	// No-show: the first slot (09:00～09:30) has ended at 09:35.
	r = e.page("GET", path, e.cookE, nil)
	if !strings.Contains(r.body, "/bookings/"+idStr(late.ID)+"/noshow") || strings.Contains(r.body, "/bookings/"+idStr(b1.ID)+"/noshow") {
		t.Errorf("no-show buttons wrong")
	}
	notice, pg = e.follow(e.post(path+"/bookings/"+idStr(late.ID)+"/noshow", e.cookE, e.csrfE, nil), e.cookE)
	if notice != "已标记未到：签到码"+late.CheckinCode || !strings.Contains(pg.body, "未到") {
		t.Errorf("no-show: %q", notice)
	}
	r = e.post(path+"/bookings/"+idStr(late.ID)+"/noshow", e.cookE, e.csrfE, nil)
	if r.status != 409 || !strings.Contains(r.body, "已标记为未到") {
		t.Errorf("second no-show: %d", r.status)
	}

	// The printed list: no navigation, the day's people.
	r = e.page("GET", path+"/print", e.cookE, nil)
	for _, want := range []string{"接待日名单", "2026年12月10日", phone, b1.CheckinCode, "县交通运输局", "李明", dep.Name, "王大爷", "现场来访登记", "desk-print.css"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("print lacks %q", want)
		}
	}
	if strings.Contains(r.body, `class="tabs"`) || strings.Contains(r.body, "退出") {
		t.Errorf("print has navigation")
	}

	// Outside WeChat: no scanner, no WeChat script; without the official
	// account the JS-SDK config is unavailable.
	if r := e.page("GET", path, e.cookE, nil, "User-Agent", wechatUA); strings.Contains(r.body, "res.wx.qq.com") || strings.Contains(r.body, "scan-button") {
		t.Errorf("scanner without the official account")
	}
	if r := e.page("GET", "/console/desk/jsconfig?url="+url.QueryEscape(e.srv.URL+path), e.cookE, nil); r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Errorf("jsconfig without the official account: %d", r.status)
	}
}

// scanPush sends the official account's SCAN push of scene by openid and
// returns the text reply.
func (e *deskEnv) scanPush(openid, scene string) string {
	e.t.Helper()
	ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
	nonce := fmt.Sprintf("n%d", time.Now().UnixNano())
	q := url.Values{"signature": {wechat.Signature(deskOAToken, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {openid}}
	msg := fmt.Sprintf("<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%s</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>"+
		"<EventKey><![CDATA[%s]]></EventKey><Ticket><![CDATA[t]]></Ticket></xml>", openid, ts, scene)
	resp, err := http.Post(e.srv.URL+"/wechat/official?"+q.Encode(), "text/xml", strings.NewReader(msg))
	must(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var rep struct{ Content string }
	if resp.StatusCode != 200 || xml.Unmarshal(raw, &rep) != nil {
		e.t.Fatalf("push: %d %s", resp.StatusCode, raw)
	}
	return rep.Content
}

// Ensure the desk shows a temporary official-account QR code (made once,
// then cached) whose scan by a bound deputy on the roster signs them in,
// with a Chinese reply; an unbound openid, a deputy not on the roster and
// a forged code are refused in Chinese. Inside WeChat the page loads
// WeChat's script and the scan button; the JS-SDK config endpoint signs
// only our own console's addresses.
func TestDeskAttendanceQR(t *testing.T) {
	t.Parallel()
	e := newDeskEnv(t, true)
	e.clock.Set(deskT)
	path := e.deskPath(e.day)

	r := e.page("GET", path, e.cookE, nil)
	qrs := e.fake.QRCodes()
	if r.status != 200 || len(qrs) != 1 || !strings.HasPrefix(qrs[0].SceneStr, "desk:"+idStr(e.day.ID)+":") ||
		qrs[0].ActionName != "QR_STR_SCENE" || !strings.Contains(r.body, qrDataURI(t, qrs[0].URL)) {
		t.Fatalf("desk QR: %d %+v", r.status, qrs)
	}
	e.page("GET", path, e.cookH, nil)
	if n := len(e.fake.QRCodes()); n != 1 {
		t.Errorf("the QR code was made %d times", n)
	}
	scene := qrs[0].SceneStr

	dep, other := e.roster[0], models.Deputy{}
	must(t, e.db.Where("station_id = ? AND id NOT IN ?", e.west.ID, []uint64{dep.ID}).Order("id").First(&other).Error)
	must(t, e.db.Model(&models.Deputy{}).Where("id = ?", dep.ID).Update("oa_openid", "oDeputyOnRoster").Error)
	must(t, e.db.Model(&models.Deputy{}).Where("id = ?", other.ID).Update("oa_openid", "oDeputyElsewhere").Error)

	if got := e.scanPush("oSomeVoter", scene); got != "您的微信还没有绑定代表身份，请联系联络站工作人员签到。" {
		t.Errorf("unbound: %q", got)
	}
	if got := e.scanPush("oDeputyElsewhere", scene); got != "您不在今天的值班代表名单中，请联系联络站工作人员签到。" {
		t.Errorf("not on the roster: %q", got)
	}
	if got := e.scanPush("oDeputyOnRoster", "desk:"+idStr(e.day.ID)+":forged"); got != "这个签到码已经失效，请扫描接待台上最新的签到码。" {
		t.Errorf("forged: %q", got)
	}
	if got, want := e.scanPush("oDeputyOnRoster", scene), dep.Name+"代表，您已在"+e.east.Name+"签到。"; got != want {
		t.Errorf("scan: %q, want %q", got, want)
	}
	if r := e.page("GET", path, e.cookE, nil); !strings.Contains(r.body, "扫码签到") {
		t.Errorf("the desk does not show the scan sign-in")
	}

	// Inside WeChat: the script and the scanner; the config for our pages only.
	r = e.page("GET", path, e.cookE, nil, "User-Agent", wechatUA)
	if !strings.Contains(r.body, `src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js"`) || !strings.Contains(r.body, "scan-button") ||
		!strings.Contains(r.body, "desk.js") {
		t.Errorf("inside WeChat: no scanner")
	}
	if r := e.page("GET", path, e.cookE, nil); strings.Contains(r.body, "res.wx.qq.com") || strings.Contains(r.body, "scan-button") {
		t.Errorf("outside WeChat: WeChat's script is loaded")
	}
	host := strings.TrimPrefix(e.srv.URL, "http://")
	for _, foreign := range []string{
		"https://evil.example.com/console/desk/1", "http://" + host + "/api/v1/stations", "javascript:alert(1)",
		"http://" + host + "/console/desk/1#x", "http://user@" + host + "/console/desk/1", "",
	} {
		if r := e.page("GET", "/console/desk/jsconfig?url="+url.QueryEscape(foreign), e.cookE, nil); r.status != 400 {
			t.Errorf("jsconfig for %q: %d", foreign, r.status)
		}
	}
	if r := e.page("GET", "/console/desk/jsconfig?url="+url.QueryEscape(e.srv.URL+path), "", nil); r.status != 303 {
		t.Errorf("jsconfig without a session: %d", r.status)
	}
}
