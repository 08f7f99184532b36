package console_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/console"
	"deputylink/models"
	"deputylink/models/records"
	"deputylink/wechat/wechattest"
)

// deputyEnv is the sign-in env (fake WeChat) with a data directory and two
// deputies of the east station bound to WeChat: wang (oa-deputy-wang) and
// li (oa-deputy-li).
type deputyEnv struct {
	*signInEnv
	wang, li models.Deputy
}

func newDeputyEnv(t *testing.T) *deputyEnv {
	t.Helper()
	dir := t.TempDir()
	e := &deputyEnv{signInEnv: newSignInEnv(t, true, func(d *handlers.Deps) { d.DataDir = dir })}
	var deps []models.Deputy
	must(t, e.db.Where("status = ? AND station_id = ?", models.DeputyActive, e.east.ID).Order("id").Limit(2).Find(&deps).Error)
	if len(deps) < 2 {
		t.Fatalf("demo data: %d active deputies at the east station", len(deps))
	}
	e.wang, e.li = e.bind(deps[0], "oa-deputy-wang"), e.bind(deps[1], "oa-deputy-li")
	return e
}

// bind binds dep to openid through a real invite.
func (e *deputyEnv) bind(dep models.Deputy, openid string) models.Deputy {
	e.t.Helper()
	inv, err := models.CreateDeputyInvite(e.t.Context(), e.db, models.SystemActor, dep.ID, time.Hour, e.clock.Now())
	must(e.t, err)
	d, err := models.BindDeputyInvite(e.t.Context(), e.db, inv.Code, openid, e.clock.Now())
	must(e.t, err)
	return d
}

// signInWeChat signs a WeChat browser in as openid through web
// authorization, starting at target, and returns where it landed.
func (e *deputyEnv) signInWeChat(openid, target string) (*uaBrowser, pageResp) {
	e.t.Helper()
	e.fake.SetAuthorizeOpenID(wechattest.DefaultOAAppID, openid)
	b := e.browser(wechatUA)
	r := b.get(target)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/console/auth/wechat?next=") {
		e.t.Fatalf("%s without a session: %d %q", target, r.StatusCode, r.location())
	}
	return b, b.get(b.authorize(b.get(r.location())))
}

// postMultipart posts a form with files (field → name → content).
func (b *uaBrowser) postMultipart(target string, fields url.Values, files map[string]map[string][]byte) pageResp {
	b.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			must(b.t, w.WriteField(k, v))
		}
	}
	for field, byName := range files {
		for name, data := range byName {
			fw, err := w.CreateFormFile(field, name)
			must(b.t, err)
			_, err = fw.Write(data)
			must(b.t, err)
		}
	}
	must(b.t, w.Close())
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+target, &buf)
	must(b.t, err)
	req.Header.Set("User-Agent", b.ua)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := b.c.Do(req)
	must(b.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return pageResp{resp, string(raw)}
}

// TestDeputySignInRoles: a deputy signs in with WeChat (web authorization
// and the desk's QR code) and sees only their own pages; a staff member's
// WeChat also bound to a deputy gets both roles in one session; a staff
// member who is no deputy gets the 403 page on the deputy's pages; an
// unbound WeChat is still refused.
func TestDeputySignInRoles(t *testing.T) {
	e := newDeputyEnv(t)

	// Deputy only, from a notice's link inside WeChat.
	b, r := e.signInWeChat("oa-deputy-wang", "/console/me")
	if r.StatusCode != http.StatusSeeOther || r.location() != "/console/me" {
		t.Fatalf("deputy's callback: %d %q %s", r.StatusCode, r.location(), r.body)
	}
	r = b.get("/console/me")
	if r.StatusCode != 200 || !strings.Contains(r.body, e.wang.Name+"代表") || !strings.Contains(r.body, "登记履职活动") ||
		!strings.Contains(r.body, `href="/console/me"`) || strings.Contains(r.body, `href="/console/opinions"`) {
		t.Fatalf("deputy's home: %d\n%s", r.StatusCode, r.body)
	}
	// Staff pages send a deputy home; the staff API refuses them.
	for _, p := range []string{"/console/", "/console/opinions", "/console/desk", "/console/manage/deputies"} {
		if r := b.get(p); r.StatusCode != http.StatusSeeOther || r.location() != "/console/me" {
			t.Errorf("deputy on %s: %d %q", p, r.StatusCode, r.location())
		}
	}
	if b.me() != 0 {
		t.Error("a deputy's session reads the staff API")
	}
	if r := b.post("/console/opinions", url.Values{"csrf": {hidden(b.get("/console/me").body, "csrf")}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("deputy posting a staff form: %d", r.StatusCode)
	}

	// Staff only: the deputy's pages are not theirs.
	sb, r := e.signInWeChat("oa-clerk_e", "/console/opinions")
	if r.StatusCode != http.StatusSeeOther || sb.me() != e.clerkE.ID {
		t.Fatalf("clerk's sign-in: %d %q", r.StatusCode, r.location())
	}
	if r := sb.get("/console/me"); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "只供已绑定微信的人大代表本人使用") {
		t.Fatalf("clerk on the deputy's pages: %d\n%s", r.StatusCode, r.body)
	}
	if r := sb.get("/console/opinions"); strings.Contains(r.body, "我的履职") {
		t.Error("a clerk's nav shows 我的履职")
	}

	// Both: the head's WeChat is also a deputy's.
	var third models.Deputy
	must(t, e.db.Where("status = ? AND oa_openid IS NULL", models.DeputyActive).Order("id").First(&third).Error)
	e.bind(third, "oa-head_e")
	hb, r := e.signInWeChat("oa-head_e", "/console/me")
	if r.StatusCode != http.StatusSeeOther || r.location() != "/console/me" || hb.me() != e.headE.ID {
		t.Fatalf("both roles' sign-in: %d %q", r.StatusCode, r.location())
	}
	r = hb.get("/console/me")
	if r.StatusCode != 200 || !strings.Contains(r.body, third.Name+"代表") || !strings.Contains(r.body, `href="/console/opinions"`) ||
		!strings.Contains(r.body, "、代表）") {
		t.Fatalf("both roles' home: %d\n%s", r.StatusCode, r.body)
	}
	if r := hb.get("/console/opinions"); r.StatusCode != 200 || !strings.Contains(r.body, `href="/console/me"`) {
		t.Fatalf("both roles on the staff pages: %d", r.StatusCode)
	}
	// Unbinding the deputy ends the deputy's part only.
	must(t, models.UnbindDeputy(t.Context(), e.db, models.SystemActor, third.ID, e.clock.Now()))
	if r := hb.get("/console/me"); r.StatusCode != http.StatusForbidden || hb.me() != e.headE.ID {
		t.Fatalf("after unbinding the deputy: %d, staff %d", r.StatusCode, hb.me())
	}
	// And a deputy-only session ends.
	must(t, models.UnbindDeputy(t.Context(), e.db, models.SystemActor, e.wang.ID, e.clock.Now()))
	if r := b.get("/console/me"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/console/auth/wechat") {
		t.Fatalf("deputy's session after the unbinding: %d %q", r.StatusCode, r.location())
	}

	// An unbound WeChat is refused.
	_, r = e.signInWeChat("oNobody00000001", "/console/me")
	if r.StatusCode != http.StatusUnauthorized || setCookieNamed(r.Response, console.ConsoleCookie) != nil {
		t.Fatalf("unbound WeChat: %d", r.StatusCode)
	}
}

// TestDeputyDeskQRSignIn: a deputy scanning the desk's sign-in code is
// signed in on the desk's browser as that deputy.
func TestDeputyDeskQRSignIn(t *testing.T) {
	e := newDeputyEnv(t)
	desk := e.browser(deskUA)
	poll, scene := desk.deskQR()
	if reply := e.scan("oNobody00000001", scene); !strings.Contains(reply, "尚未绑定") {
		t.Fatalf("stranger's scan: %q", reply)
	}
	if reply := e.scan("oa-deputy-li", scene); !strings.HasPrefix(reply, "已确认") {
		t.Fatalf("deputy's scan: %q", reply)
	}
	if p := desk.poll(poll); p.State != "signed_in" {
		t.Fatalf("poll: %+v", p)
	}
	r := desk.get("/console/me")
	if r.StatusCode != 200 || !strings.Contains(r.body, e.li.Name+"代表") {
		t.Fatalf("deputy's home at the desk: %d\n%s", r.StatusCode, r.body)
	}
	if r := desk.get("/console/desk"); r.StatusCode != http.StatusSeeOther || r.location() != "/console/me" {
		t.Fatalf("deputy at the desk's staff page: %d %q", r.StatusCode, r.location())
	}
}

// TestDeputyAddsActivity: a deputy adds an activity with a photo (pending,
// with the notice), a refused form keeps what was typed and says why in
// Chinese, a PDF over the limit is refused; the deputy sees only their own
// entries and files (another deputy's are the 404 page); the deputy
// unbinds their WeChat from their page.
func TestDeputyAddsActivity(t *testing.T) {
	e := newDeputyEnv(t)
	b, _ := e.signInWeChat("oa-deputy-wang", "/console/me")
	r := b.get("/console/me/activities/new")
	csrf := hidden(r.body, "csrf")
	if r.StatusCode != 200 || csrf == "" || !strings.Contains(r.body, `accept="image/*" multiple`) ||
		!strings.Contains(r.body, "走访选民") || strings.Contains(r.body, `value="reception"`) {
		t.Fatalf("new activity form: %d\n%s", r.StatusCode, r.body)
	}
	fields := func(typ, title string) url.Values {
		return url.Values{"csrf": {csrf}, "type": {typ}, "date": {"2026-11-20"}, "title": {title}, "description": {"走访东门社区居民，收集到停车难问题"}}
	}

	// Refused: no title; what was typed stays.
	r = b.postMultipart("/console/me/activities", fields("visit", ""), nil)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "请填写活动名称") ||
		!strings.Contains(r.body, "走访东门社区居民，收集到停车难问题") || !strings.Contains(r.body, `value="visit" checked`) {
		t.Fatalf("no title: %d\n%s", r.StatusCode, r.body)
	}
	// Refused: a PDF over 10 MB.
	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), 10<<20)...)
	r = b.postMultipart("/console/me/activities", fields("visit", "走访选民"), map[string]map[string][]byte{"pdf": {"材料.pdf": big}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "PDF文件不能超过10MB") {
		t.Fatalf("big PDF: %d\n%s", r.StatusCode, r.body)
	}
	var n int64
	must(t, e.db.Model(&models.Activity{}).Count(&n).Error)
	if n != 0 {
		t.Fatalf("%d activities after refusals", n)
	}

	// Happy path with a photo.
	r = b.postMultipart("/console/me/activities", fields("visit", "走访东门社区"), map[string]map[string][]byte{"photos": {"现场.png": pngBytes(t)}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/console/me?ok=") ||
		mustUnescape(t, r.location()) != "/console/me?ok=已提交，等待工作人员审核" {
		t.Fatalf("add: %d %q\n%s", r.StatusCode, r.location(), r.body)
	}
	var a models.Activity
	must(t, e.db.Where("deputy_id = ?", e.wang.ID).First(&a).Error)
	if a.Status != models.ActivityPending || a.Source != models.SourceDeputy || a.Type != models.ActVisit || a.Date != "2026-11-20" {
		t.Fatalf("stored %+v", a)
	}
	var f models.ActivityFile
	must(t, e.db.Where("activity_id = ?", a.ID).First(&f).Error)
	r = b.get(r.location())
	if !strings.Contains(r.body, "已提交，等待工作人员审核") || !strings.Contains(r.body, "待审核") || !strings.Contains(r.body, "走访东门社区") {
		t.Fatalf("home after adding:\n%s", r.body)
	}
	item := "/console/me/activities/" + strconv.FormatUint(a.ID, 10)
	fileURL := "/console/me/files/" + strconv.FormatUint(f.ID, 10)
	if r := b.get(item); r.StatusCode != 200 || !strings.Contains(r.body, fileURL) {
		t.Fatalf("own entry: %d\n%s", r.StatusCode, r.body)
	}
	if r := b.get(fileURL); r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("own photo: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	// Another deputy sees neither.
	lb, _ := e.signInWeChat("oa-deputy-li", "/console/me")
	for _, p := range []string{item, fileURL, "/console/me/activities/999999", "/console/me/activities/x"} {
		if r := lb.get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("another deputy's %s: %d", p, r.StatusCode)
		}
	}
	if r := lb.get("/console/me"); strings.Contains(r.body, "走访东门社区") {
		t.Error("another deputy's home lists the entry")
	}

	// The opinions filed through my codes: read-only, no phone.
	op := e.file(e.east.ID, conT0)
	must(t, e.db.Model(&models.Opinion{}).Where("id = ?", op.ID).Updates(map[string]any{
		"deputy_id": e.wang.ID, "content": "小区门口路灯坏了，请联系我 13812345678 核实"}).Error)
	r = b.get("/console/me/opinions")
	if r.StatusCode != 200 || !strings.Contains(r.body, "不计入您本人提出的意见建议") || !strings.Contains(r.body, op.TrackingNo) ||
		!strings.Contains(r.body, "反映意见 1 件") || strings.Contains(r.body, "13812345678") || !strings.Contains(r.body, "请联系我 **** 核实") {
		t.Fatalf("opinions: %d\n%s", r.StatusCode, r.body)
	}
	if r := lb.get("/console/me/opinions"); strings.Contains(r.body, op.TrackingNo) {
		t.Error("another deputy sees the opinion")
	}

	// Unbind from my page: the session ends, the binding is gone.
	r = b.get("/console/me/wechat")
	if r.StatusCode != 200 || !strings.Contains(r.body, `data-confirm=`) {
		t.Fatalf("wechat page: %d", r.StatusCode)
	}
	r = b.post("/console/me/wechat/unbind", url.Values{"csrf": {hidden(r.body, "csrf")}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/console/login?ok=") {
		t.Fatalf("unbind: %d %q", r.StatusCode, r.location())
	}
	var d models.Deputy
	must(t, e.db.First(&d, e.wang.ID).Error)
	if d.OAOpenID != nil {
		t.Fatal("still bound")
	}
	if r := b.get("/console/me"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after unbinding: %d", r.StatusCode)
	}
}

// TestDeputyBindingFromManagePage: the office makes a deputy's binding QR
// code on the deputy's page, the deputy scans it, and the office unbinds.
func TestDeputyBindingFromManagePage(t *testing.T) {
	e := newDeputyEnv(t)
	admin, err := models.CreateConsoleUser(t.Context(), e.db, "office_a", conPassword, "县人大办公室", models.RoleAdmin, nil, conT0)
	must(t, err)
	must(t, e.db.Model(&models.Staff{}).Where("id = ?", admin.ID).Update("oa_openid", "oa-office").Error)
	b, _ := e.signInWeChat("oa-office", "/console/manage/deputies")
	var dep models.Deputy
	must(t, e.db.Where("status = ? AND oa_openid IS NULL", models.DeputyActive).Order("id").First(&dep).Error)
	page := fmt.Sprintf("/console/manage/deputies/%d", dep.ID)
	r := b.get(page)
	if r.StatusCode != 200 || !strings.Contains(r.body, "未绑定微信") || !strings.Contains(r.body, "生成绑定二维码") {
		t.Fatalf("deputy page: %d\n%s", r.StatusCode, r.body)
	}
	r = b.post(page+"/wechat-invite", url.Values{"csrf": {hidden(r.body, "csrf")}})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(mustUnescape(t, r.location()), "已生成绑定二维码") {
		t.Fatalf("invite: %d %q", r.StatusCode, r.location())
	}
	codes := e.fake.QRCodes()
	last := codes[len(codes)-1]
	r = b.get(r.location())
	if !strings.Contains(r.body, `id="deputy-invite-qr" src="`+qrDataURI(t, last.URL)+`"`) {
		t.Fatalf("no QR code on the page:\n%s", r.body)
	}
	if reply := e.scan("oa-new-deputy", last.SceneStr); !strings.Contains(reply, dep.Name+"代表，您已绑定") {
		t.Fatalf("scan: %q", reply)
	}
	r = b.get(page)
	if !strings.Contains(r.body, "已绑定微信") || !strings.Contains(r.body, "绑定微信") {
		t.Fatalf("after binding:\n%s", r.body)
	}
	r = b.post(page+"/wechat-unbind", url.Values{"csrf": {hidden(r.body, "csrf")}})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(mustUnescape(t, r.location()), "已解除") {
		t.Fatalf("unbind: %d %q", r.StatusCode, r.location())
	}
	var d models.Deputy
	must(t, e.db.First(&d, dep.ID).Error)
	if d.OAOpenID != nil {
		t.Fatal("still bound")
	}
}

// Ensure a deputy writes their own self-assessment (代表自评) on their
// pages while their evaluation is open: offered on /console/me, refused in
// Chinese without a grade (what was typed stays), saved, offered for
// change, and refused once the evaluation is closed.
func TestDeputySelfAssessment(t *testing.T) {
	e := newDeputyEnv(t)
	ctx := t.Context()
	must(t, e.db.Model(&models.Deputy{}).Where("id = ?", e.wang.ID).Update("level", models.LevelCounty).Error)
	office := models.ManageScope{Actor: models.SystemActor, All: true}
	b, home := e.signInWeChat("oa-deputy-wang", "/console/me")
	if strings.Contains(home.body, "年度自评") {
		t.Fatalf("self-assessment offered with no evaluation:\n%s", home.body)
	}
	if r := b.get("/console/me/self"); r.StatusCode != http.StatusNotFound || !strings.Contains(r.body, "今年还没有需要您填写自评的考评") {
		t.Fatalf("self page with no evaluation: %d", r.StatusCode)
	}
	ev, err := records.CreateEvaluation(ctx, e.db, office, e.clock.Now().In(conLoc).Year(), models.LevelCounty, e.clock.Now())
	must(t, err)
	if r := b.get("/console/me"); !strings.Contains(r.body, "填写年度自评") {
		t.Fatalf("home does not offer the self-assessment:\n%s", r.body)
	}
	r := b.get("/console/me/self")
	csrf := hidden(r.body, "csrf")
	if r.StatusCode != 200 || csrf == "" || !strings.Contains(r.body, "请如实填写本年度的履职情况") {
		t.Fatalf("self page: %d\n%s", r.StatusCode, r.body)
	}
	text := "本年度参加县人大常委会会议4次，走访选民20余户，提出建议3件。"
	r = b.post("/console/me/self", url.Values{"csrf": {csrf}, "text": {text}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, text) {
		t.Fatalf("no grade: %d\n%s", r.StatusCode, r.body)
	}
	r = b.post("/console/me/self", url.Values{"csrf": {csrf}, "text": {text}, "grade": {"称职"}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/console/me/self?ok=") {
		t.Fatalf("save: %d %q", r.StatusCode, r.location())
	}
	sheet, err := records.EvaluationSheet(ctx, e.db, ev.ID, e.wang.ID)
	must(t, err)
	if sheet.Self == nil || sheet.Self.Text != text || sheet.Self.Grade != "称职" {
		t.Fatalf("stored self-assessment %+v", sheet.Self)
	}
	if r := b.get("/console/me"); !strings.Contains(r.body, "修改年度自评") {
		t.Errorf("home does not offer to change the self-assessment")
	}
	_, err = records.CloseEvaluation(ctx, e.db, office, ev.ID, e.clock.Now())
	must(t, err)
	r = b.post("/console/me/self", url.Values{"csrf": {csrf}, "text": {"改"}, "grade": {"优秀"}})
	if r.StatusCode < 400 || r.StatusCode >= 500 {
		t.Fatalf("save after closing: %d", r.StatusCode)
	}
	sheet, err = records.EvaluationSheet(ctx, e.db, ev.ID, e.wang.ID)
	must(t, err)
	if sheet.Self.Grade != "称职" {
		t.Errorf("a closed evaluation's self-assessment changed to %q", sheet.Self.Grade)
	}
}
