package console_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/models"
	"deputylink/wechat/wechattest"

	"golang.org/x/crypto/bcrypt"
)

// pageEnv is conEnv with the data key set, for the pages.
type pageEnv struct {
	*conEnv
	sealer *models.Sealer
}

func newPageEnv(t *testing.T) *pageEnv {
	t.Helper()
	conCheapHashes.Do(func() { models.PasswordCost = bcrypt.MinCost })
	sealer, err := models.NewSealer(bytes.Repeat([]byte{9}, 32))
	must(t, err)
	clk := &conClock{now: conT0}
	te := newEnvWith(t, wechattest.NewRedis(t), func(d *handlers.Deps) {
		d.Now, d.Location, d.Log, d.Sealer = clk.Now, conLoc, slog.New(slog.DiscardHandler), sealer
		d.OpinionNotify = config.OpinionNotify{Staff: config.TemplateSpec{ID: "TPL_STAFF"}, VoterOA: config.TemplateSpec{ID: "TPL_VOTER"}}
	})
	e := &conEnv{testEnv: te, clock: clk}
	ctx := t.Context()
	_, err = models.LoadDemo(ctx, e.db)
	must(t, err)
	must(t, e.db.Where("name = ?", "东门社区代表联络站").First(&e.east).Error)
	must(t, e.db.Where("name = ?", "西街社区代表联络站").First(&e.west).Error)
	must(t, e.db.Order("id").First(&e.dept).Error)
	mk := func(user string, role models.StaffRole, stations ...uint64) models.Staff {
		s, err := models.CreateConsoleUser(ctx, e.db, user, conPassword, "测试"+user, role, stations, conT0)
		must(t, err)
		return s
	}
	e.clerkE = mk("clerk_e", models.RoleClerk, e.east.ID)
	e.headE = mk("head_e", models.RoleHead, e.east.ID)
	e.clerkW = mk("clerk_w", models.RoleClerk, e.west.ID)
	e.boss = mk("admin", models.RoleAdmin)
	for _, s := range []models.Staff{e.clerkE, e.headE} {
		must(t, e.db.Model(&models.Staff{}).Where("id = ?", s.ID).Update("oa_openid", "oa-"+*s.Username).Error)
	}
	oa := "oVoterFollowing"
	v := models.Voter{OAOpenID: &oa, Following: true}
	must(t, e.db.Create(&v).Error)
	e.voter = v.ID
	_, err = models.SetVoterPhone(ctx, e.db, sealer, v.ID, "13912345678", conT0)
	must(t, err)
	e.cal, err = models.LoadCalendar(ctx, e.db)
	must(t, err)
	return &pageEnv{conEnv: e, sealer: sealer}
}

// browser is a signed-in staff member's browser: the session cookie and
// the CSRF token the pages put in every form.
type browser struct {
	e            *pageEnv
	cookie, csrf string
}

func (e *pageEnv) browser(user string) browser {
	e.t.Helper()
	s, cookie := e.login(user)
	return browser{e: e, cookie: cookie, csrf: s.CSRFToken}
}

// noRedirect keeps a 303 as the answer.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends a page request; a form (not nil) is posted with the CSRF token
// unless it sets "csrf" itself.
func (b browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		if _, ok := form["csrf"]; !ok {
			form.Set("csrf", b.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	must(b.e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "dl_console", Value: b.cookie})
	}
	resp, err := noRedirect.Do(req)
	must(b.e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

func (b browser) get(path string) (int, string) {
	b.e.t.Helper()
	r, s := b.do("GET", path, nil)
	return r.StatusCode, s
}

// post posts a form and returns the status, the Location and the page.
func (b browser) post(path string, form url.Values) (int, string, string) {
	b.e.t.Helper()
	r, s := b.do("POST", path, form)
	return r.StatusCode, r.Header.Get("Location"), s
}

func itemPath(id uint64) string { return "/console/opinions/" + idStr(id) }

// Ensure the inbox and the item are scoped like the API: a clerk sees
// their station's items only (another station's item is the 404 page), an
// admin sees all; overdue items stand out; filters narrow the list.
func TestOpinionPagesAccess(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	east := e.file(e.east.ID, conT0)
	west := e.file(e.west.ID, conT0)
	clerkE, clerkW, boss := e.browser("clerk_e"), e.browser("clerk_w"), e.browser("admin")

	st, body := clerkE.get("/console/opinions")
	if st != 200 || !strings.Contains(body, east.TrackingNo) || strings.Contains(body, west.TrackingNo) {
		t.Fatalf("east clerk's inbox: %d, east %v west %v", st, strings.Contains(body, east.TrackingNo), strings.Contains(body, west.TrackingNo))
	}
	if !strings.Contains(body, "登记线下意见") || !strings.Contains(body, "受理期限") || !strings.Contains(body, "11月26日") {
		t.Errorf("inbox lacks the entry button or the deadline the Chinese way:\n%s", body)
	}
	if st, body = boss.get("/console/opinions"); st != 200 || !strings.Contains(body, east.TrackingNo) || !strings.Contains(body, west.TrackingNo) {
		t.Errorf("admin's inbox: %d", st)
	}
	if st, body = clerkE.get(itemPath(east.ID)); st != 200 || !strings.Contains(body, "东门菜市场门口的路灯") || !strings.Contains(body, "139****5678") {
		t.Errorf("east item for east clerk: %d", st)
	}
	if strings.Contains(body, "13912345678") {
		t.Error("the item shows the full phone before a reveal")
	}
	for _, c := range []struct {
		b    browser
		path string
	}{
		{clerkW, itemPath(east.ID)}, {clerkE, itemPath(west.ID)}, {clerkE, itemPath(999999)}, {clerkE, "/console/opinions/abc"},
	} {
		if st, body := c.b.get(c.path); st != 404 || !strings.Contains(body, "没有找到这一项") {
			t.Errorf("%s: %d, want the 404 page", c.path, st)
		}
	}
	// Actions on another station's item are 404 too, and change nothing.
	before := e.snap(east.ID)
	if st, _, _ := clerkW.post(itemPath(east.ID)+"/accept", url.Values{}); st != 404 {
		t.Errorf("west clerk accepts east item: %d", st)
	}
	if after := e.snap(east.ID); after != before {
		t.Errorf("refused accept changed the item")
	}
	// Overdue: past the accept deadline the row is marked.
	e.clock.Set(conT0.Add(7 * 24 * 3600e9))
	if _, body = clerkE.get("/console/opinions?overdue=1"); !strings.Contains(body, "已超期") || !strings.Contains(body, east.TrackingNo) {
		t.Errorf("overdue filter does not mark the item")
	}
	if _, body = clerkE.get("/console/opinions?channel=letter"); strings.Contains(body, east.TrackingNo) || !strings.Contains(body, "没有符合条件的意见") {
		t.Errorf("channel filter kept an online item")
	}
	if st, body = clerkE.get("/console/opinions?status=bogus"); st != 400 || !strings.Contains(body, "未知的状态") {
		t.Errorf("bad status filter: %d", st)
	}
	// Signed out: sent to sign in, back to the item afterwards.
	anon := browser{e: e}
	r, _ := anon.do("GET", itemPath(east.ID), nil)
	if r.StatusCode != 303 || r.Header.Get("Location") != "/console/login?next="+url.QueryEscape(itemPath(east.ID)) {
		t.Errorf("anonymous: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

// Ensure every action works from its form: accept, transfer, reply, note,
// reveal, call-back, each a 303 back with a notice and its audit row; a
// refused one shows the Chinese message and keeps what was typed; a post
// without the CSRF token is refused.
func TestOpinionPageActions(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	op := e.file(e.east.ID, conT0)
	clerk, head, boss := e.browser("clerk_e"), e.browser("head_e"), e.browser("admin")
	base := itemPath(op.ID)
	ok := func(b browser, action string, form url.Values, notice string) string {
		t.Helper()
		st, loc, body := b.post(base+"/"+action, form)
		if st != 303 || loc != base+"?ok="+url.QueryEscape(notice) {
			t.Fatalf("%s: %d %q\n%s", action, st, loc, body)
		}
		st, page := b.get(loc)
		if st != 200 || !strings.Contains(page, notice) {
			t.Fatalf("%s: the item after it: %d", action, st)
		}
		return page
	}

	// No CSRF token: refused, nothing changes.
	before := e.snap(op.ID)
	if st, _, body := clerk.post(base+"/accept", url.Values{"csrf": {"forged"}}); st != 403 || !strings.Contains(body, "页面已过期") {
		t.Errorf("forged CSRF: %d", st)
	}
	if e.snap(op.ID) != before {
		t.Fatal("a forged post changed the item")
	}
	// A refused transfer (not accepted yet) keeps the form.
	st, _, body := clerk.post(base+"/transfer", url.Values{"department_id": {idStr(e.dept.ID)}, "note": {"请住建局处理"}})
	if st != 409 || !strings.Contains(body, "当前状态不能进行此操作") {
		t.Errorf("transfer before accept: %d", st)
	}

	page := ok(clerk, "accept", url.Values{"note": {"属实"}}, "已受理")
	if !strings.Contains(page, "已受理") || !strings.Contains(page, `id="act-transfer"`) {
		t.Errorf("accepted item lacks the transfer form")
	}
	if got := e.notified(op.ID, "accepted"); len(got) != 1 {
		t.Errorf("accept notified %v", got)
	}
	// A clerk cannot close (admins only); the message is Chinese.
	if strings.Contains(page, `id="act-close"`) {
		t.Error("the clerk is offered 办结")
	}
	if st, _, body := clerk.post(base+"/close", url.Values{}); st != 403 || !strings.Contains(body, "只有人大常委会办公室的管理员") {
		t.Errorf("clerk closes: %d", st)
	}
	// A bad due date: refused with the message, the typed note kept.
	st, _, body = clerk.post(base+"/transfer", url.Values{"department_id": {idStr(e.dept.ID)}, "due_at": {"明天"}, "note": {"请尽快办理"}})
	if st != 400 || !strings.Contains(body, "办理期限格式不正确") || !strings.Contains(body, "请尽快办理") {
		t.Errorf("bad due date: %d", st)
	}
	// The head transfers and names the clerk as lead.
	ok(head, "transfer", url.Values{"department_id": {idStr(e.dept.ID)}, "lead_staff_id": {idStr(e.clerkE.ID)},
		"due_at": {"2026-12-04"}, "note": {"请住建局处理"}}, "已转办")
	if got := e.notified(op.ID, "assigned"); len(got) != 1 || got[0] != "oa-clerk_e" {
		t.Errorf("assigned notified %v", got)
	}
	// Empty reply: refused, Chinese.
	if st, _, body := clerk.post(base+"/reply", url.Values{"text": {" "}}); st != 400 || !strings.Contains(body, "答复内容不能为空") {
		t.Errorf("empty reply: %d", st)
	}
	page = ok(clerk, "reply", url.Values{"text": {"已联系供电所，路灯已修复。"}}, "已答复")
	if !strings.Contains(page, "已联系供电所，路灯已修复。") || !strings.Contains(page, `id="act-callback"`) {
		t.Errorf("replied item lacks the reply or the call-back form")
	}
	ok(clerk, "note", url.Values{"text": {"群众很满意"}}, "已添加备注")
	if st, _, body := clerk.post(base+"/note", url.Values{"text": {""}}); st != 400 || !strings.Contains(body, "备注不能为空") {
		t.Errorf("empty note: %d", st)
	}

	// Reveal: the full number on that answer only, audited.
	st, _, body = clerk.post(base+"/reveal-phone", url.Values{})
	if st != 200 || !strings.Contains(body, "13912345678") || !strings.Contains(body, "此次查看已记录") {
		t.Errorf("reveal: %d", st)
	}
	if _, body = clerk.get(base); strings.Contains(body, "13912345678") {
		t.Error("the number stays on the page after the reveal")
	}
	if acts := e.actions(op.ID); !strings.Contains(strings.Join(acts, ","), "opinion.reveal_phone/staff:"+idStr(e.clerkE.ID)) {
		t.Errorf("reveal not audited: %v", acts)
	}

	// A phone call-back: 解决了 closes the item.
	if st, _, body := clerk.post(base+"/callback", url.Values{}); st != 400 || !strings.Contains(body, "请至少记录一项回访结果") {
		t.Errorf("empty call-back: %d", st)
	}
	page = ok(clerk, "callback", url.Values{"reply_score": {"satisfied"}, "result_score": {"satisfied"}, "note": {"王阿姨说路灯亮了"}}, "已记录电话回访")
	if !strings.Contains(page, "已办结") || !strings.Contains(page, "解决了吗？解决了") {
		t.Errorf("after the call-back:\n%s", page)
	}
	// The admin can reopen a replied item only; this one is closed.
	if st, _, body := boss.post(base+"/reopen", url.Values{}); st != 409 || !strings.Contains(body, "当前状态不能进行此操作") {
		t.Errorf("reopen closed: %d", st)
	}
}

// Ensure the offline entry form files an opinion without a voter, scoped
// to the clerk's stations, with Chinese errors that keep what was typed,
// prefilled from the desk's link; and that only a head or an admin may
// delete the contact's data.
func TestOfflineOpinionPage(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	clerk, clerkW, head := e.browser("clerk_e"), e.browser("clerk_w"), e.browser("head_e")
	st, body := clerk.get("/console/opinions/new?channel=reception&station=" + idStr(e.east.ID) + "&name=" + url.QueryEscape("王阿姨") +
		"&content=" + url.QueryEscape("小区门口的路灯坏了"))
	if st != 200 || !strings.Contains(body, `value="王阿姨"`) || !strings.Contains(body, "小区门口的路灯坏了") ||
		!strings.Contains(body, `value="reception" checked`) || !strings.Contains(body, `value="2026-11-24"`) {
		t.Fatalf("prefilled form: %d\n%s", st, body)
	}
	nonce := regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindStringSubmatch(body)
	if nonce == nil {
		t.Fatal("no nonce")
	}
	form := url.Values{"channel": {"letter"}, "station_id": {idStr(e.east.ID)}, "category": {"shenghuo"},
		"content": {"太短"}, "contact_name": {"王阿姨"}, "contact_phone": {"138-0013-8000"}, "nonce": {nonce[1]}}
	st, _, body = clerk.post("/console/opinions", form)
	if st != 400 || !strings.Contains(body, "意见内容需要 10 到 2000 个字") || !strings.Contains(body, `value="王阿姨"`) {
		t.Errorf("short content: %d", st)
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("content", "来信反映：东门菜市场门口的路灯坏了一个多月。")
	bad.Set("contact_phone", "12345")
	if st, _, body = clerk.post("/console/opinions", bad); st != 400 || !strings.Contains(body, "电话号码格式不正确") {
		t.Errorf("bad phone: %d", st)
	}
	bad.Set("contact_phone", "")
	bad.Set("station_id", idStr(e.west.ID))
	if st, _, body = clerk.post("/console/opinions", bad); st != 400 || !strings.Contains(body, "只能登记本联络站收到的意见") {
		t.Errorf("other station: %d", st)
	}
	bad.Set("station_id", idStr(e.east.ID))
	bad.Set("channel", "")
	if st, _, body = clerk.post("/console/opinions", bad); st != 400 || !strings.Contains(body, "请选择意见来源") {
		t.Errorf("no channel: %d", st)
	}
	var n int64
	e.db.Model(&models.Opinion{}).Count(&n)
	if n != 0 {
		t.Fatalf("refused entries stored %d", n)
	}

	form.Set("content", "来信反映：东门菜市场门口的路灯坏了一个多月。")
	st, loc, _ := clerk.post("/console/opinions", form)
	var op models.Opinion
	must(t, e.db.Last(&op).Error)
	if st != 303 || !strings.HasPrefix(loc, itemPath(op.ID)+"?ok=") || !strings.Contains(mustUnescape(t, loc), "已登记，编号"+op.TrackingNo) {
		t.Fatalf("entry: %d %s", st, loc)
	}
	// A double submit files once.
	if st, loc2, _ := clerk.post("/console/opinions", form); st != 303 || loc2 != loc {
		t.Errorf("double submit: %d %s", st, loc2)
	}
	e.db.Model(&models.Opinion{}).Count(&n)
	if n != 1 || op.VoterID != 0 || op.Source != "letter" {
		t.Errorf("%d opinions, voter %d, source %s", n, op.VoterID, op.Source)
	}
	if got := e.notified(op.ID, "new"); len(got) == 0 {
		t.Error("no staff notice of the new item")
	}
	_, body = clerk.get(itemPath(op.ID))
	for _, want := range []string{"来信", "王阿姨", "138****8000", "联络站工作人员登记（来信）", "工作人员登记：来信", "测试clerk_e"} {
		if !strings.Contains(body, want) {
			t.Errorf("item lacks %q", want)
		}
	}
	if strings.Contains(body, `id="erase-contact"`) {
		t.Error("the clerk is offered 删除来信人信息")
	}
	if st, _ := clerkW.get(itemPath(op.ID)); st != 404 {
		t.Errorf("west clerk sees the entry: %d", st)
	}
	if st, _, body := clerk.post(itemPath(op.ID)+"/erase-contact", url.Values{}); st != 403 || !strings.Contains(body, "只有站长或管理员") {
		t.Errorf("clerk erases: %d", st)
	}
	if st, _, body = clerk.post(itemPath(op.ID)+"/reveal-phone", url.Values{}); st != 200 || !strings.Contains(body, "13800138000") {
		t.Errorf("reveal the contact's phone: %d", st)
	}
	if st, loc, _ := head.post(itemPath(op.ID)+"/erase-contact", url.Values{}); st != 303 || !strings.Contains(mustUnescape(t, loc), "已删除来信人信息") {
		t.Errorf("head erases: %d %s", st, loc)
	}
	if _, body = head.get(itemPath(op.ID)); strings.Contains(body, "王阿姨") || strings.Contains(body, "138****8000") {
		t.Error("the contact is still shown")
	}
}

func mustUnescape(t *testing.T, s string) string {
	t.Helper()
	u, err := url.QueryUnescape(s)
	must(t, err)
	return u
}
