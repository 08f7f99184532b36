package console_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/handlers/console"
	"deputylink/models"
)

// bcEnv is the deputies' env (wang and li of the east station bound to
// WeChat) with the deputy notice template configured, a county admin and
// its data directory.
type bcEnv struct {
	*deputyEnv
	dir   string
	admin models.Staff
}

func newBCEnv(t *testing.T) *bcEnv {
	t.Helper()
	notice, err := config.ParseTemplateSpec("TPL_DEPUTY|title=thing1,sender=thing2,time=time3")
	must(t, err)
	dir := t.TempDir()
	e := &bcEnv{dir: dir}
	e.deputyEnv = &deputyEnv{signInEnv: newSignInEnv(t, true, func(d *handlers.Deps) {
		d.DataDir = dir
		d.DeputyNotify = config.DeputyNotify{Notice: notice, PerWeek: 3}
	})}
	var deps []models.Deputy
	must(t, e.db.Where("status = ? AND station_id = ?", models.DeputyActive, e.east.ID).Order("id").Limit(2).Find(&deps).Error)
	e.wang, e.li = e.bind(deps[0], "oa-deputy-wang"), e.bind(deps[1], "oa-deputy-li")
	e.admin, err = models.CreateConsoleUser(t.Context(), e.db, "admin", conPassword, "测试admin", models.RoleAdmin, nil, conT0)
	must(t, err)
	return e
}

// staffBrowser is a desk browser signed in as user (through the JSON
// API's login, whose cookie the pages share).
func (e *bcEnv) staffBrowser(user string) *uaBrowser {
	e.t.Helper()
	_, cookie := e.login(user)
	b := e.browser(deskUA)
	u, _ := url.Parse(e.srv.URL + "/console/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: console.ConsoleCookie, Value: cookie, Path: "/console"}})
	return b
}

// deputyBrowser is WeChat's browser signed in as a bound deputy.
func (e *bcEnv) deputyBrowser(openid string) *uaBrowser {
	e.t.Helper()
	b, r := e.signInWeChat(openid, "/console/me")
	if r.StatusCode != http.StatusSeeOther || r.location() != "/console/me" {
		e.t.Fatalf("deputy %s signing in: %d %q", openid, r.StatusCode, r.location())
	}
	return b
}

// csrfOf is the CSRF token of the browser's session, read from a page.
func (b *uaBrowser) csrfOf(page string) string {
	b.t.Helper()
	tok := hidden(b.get(page).body, "csrf")
	if tok == "" {
		b.t.Fatalf("no CSRF token on %s", page)
	}
	return tok
}

// send posts the new article's form with an optional attachment and
// returns the answer.
func (e *bcEnv) send(b *uaBrowser, fields url.Values, file string, data []byte) pageResp {
	e.t.Helper()
	fields.Set("csrf", b.csrfOf("/console/broadcasts/new"))
	var files map[string]map[string][]byte
	if file != "" {
		files = map[string]map[string][]byte{"attachment": {file: data}}
	}
	return b.postMultipart("/console/broadcasts", fields, files)
}

// sentID is the id of the article a successful send went to.
func sentID(t *testing.T, r pageResp) uint64 {
	t.Helper()
	m := regexp.MustCompile(`^/console/broadcasts/(\d+)\?ok=`).FindStringSubmatch(r.location())
	if r.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("sending: %d %q\n%s", r.StatusCode, r.location(), r.body)
	}
	id, _ := strconv.ParseUint(m[1], 10, 64)
	return id
}

// recipientIDs are the deputies an article went to, in id order.
func (e *bcEnv) recipientIDs(id uint64) []uint64 {
	e.t.Helper()
	var ids []uint64
	must(e.t, e.db.Model(&models.BroadcastRecipient{}).Where("broadcast_id = ?", id).Order("deputy_id").Pluck("deputy_id", &ids).Error)
	return ids
}

var pdfBytes = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

// Ensure the office sends an article with a PDF to a deputy group: the
// form's live count and the recipients are the group's active members,
// the bound member gets one notice linking to the article and naming none
// of it; a clerk gets the 403 page everywhere; a deputy outside the group
// gets the 404 page on the article and on its attachment, a member reads
// it (recorded once, however often opened) and downloads the attachment
// under its Chinese name.
func TestBroadcastToGroup(t *testing.T) {
	e := newBCEnv(t)
	ctx := t.Context()
	county := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: e.admin.ID}, All: true}
	var others []models.Deputy
	must(t, e.db.Where("status = ? AND station_id = ? AND oa_openid IS NULL", models.DeputyActive, e.west.ID).Order("id").Limit(2).Find(&others).Error)
	g, err := models.CreateGroup(ctx, e.db, county, models.GroupInput{Name: "空中讲堂测试小组"}, conT0)
	must(t, err)
	_, err = models.AddGroupMembers(ctx, e.db, county, g.ID, []uint64{e.wang.ID, others[0].ID, others[1].ID}, conT0)
	must(t, err)
	want := []uint64{e.wang.ID, others[0].ID, others[1].ID}
	slices.Sort(want)

	office := e.staffBrowser("admin")
	r := office.get("/console/broadcasts/audience?audience=group&group_id=" + idStr(g.ID))
	var pv struct {
		Count, Bound  int
		Text, Confirm string
	}
	if r.StatusCode != 200 || json.Unmarshal([]byte(r.body), &pv) != nil || pv.Count != 3 || pv.Bound != 1 ||
		!strings.Contains(pv.Confirm, "3 位代表") {
		t.Fatalf("audience preview: %d %s", r.StatusCode, r.body)
	}
	title := "关于学习新修订的代表法的通知"
	body := "各位代表：\n\n新修订的代表法已经施行，请认真学习。\n\n<script>alert(1)</script>"
	id := sentID(t, e.send(office, url.Values{"kind": {"law"}, "title": {title}, "body": {body},
		"audience": {"group"}, "group_id": {idStr(g.ID)}}, "代表法学习辅导.pdf", pdfBytes))
	if got := e.recipientIDs(id); !slices.Equal(got, want) {
		t.Fatalf("recipients %v, want the group's %v", got, want)
	}
	var notes []models.Notification
	must(t, e.db.Where("dedupe_key LIKE ?", "broadcast:"+idStr(id)+":%").Find(&notes).Error)
	// (The notice's link, absolute under DEPUTYLINK_PUBLIC_URL, is followed
	// in TestBrowserDeputySignsUpForTraining.)
	if len(notes) != 1 || notes[0].ToUser != "oa-deputy-wang" {
		t.Fatalf("notices %+v", notes)
	}
	if strings.Contains(notes[0].Fields, "代表法") || strings.Contains(notes[0].Fields, "学习") || !strings.Contains(notes[0].Fields, "县人大常委会办公室") {
		t.Errorf("the notice's fields %s: want the sender and no word of the article", notes[0].Fields)
	}
	page := office.get("/console/broadcasts/" + idStr(id))
	if page.StatusCode != 200 || !strings.Contains(page.body, title) || !strings.Contains(page.body, "&lt;script&gt;") ||
		strings.Contains(page.body, "<script>alert") || !strings.Contains(page.body, "空中讲堂测试小组") {
		t.Fatalf("office's article page: %d\n%s", page.StatusCode, page.body)
	}

	// A clerk: the 403 page on every page and action.
	clerk := e.staffBrowser("clerk_e")
	for _, p := range []string{"/console/broadcasts", "/console/broadcasts/new", "/console/broadcasts/" + idStr(id),
		"/console/broadcasts/" + idStr(id) + "/file", "/console/broadcasts/audience?audience=all"} {
		if r := clerk.get(p); r.StatusCode != http.StatusForbidden {
			t.Errorf("clerk GET %s: %d", p, r.StatusCode)
		}
	}
	csrf := clerk.csrfOf("/console/opinions")
	for _, p := range []string{"/console/broadcasts", "/console/broadcasts/" + idStr(id) + "/attendance"} {
		if r := clerk.post(p, url.Values{"csrf": {csrf}, "title": {"x"}, "deputy_ids": {idStr(e.wang.ID)}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("clerk POST %s: %d", p, r.StatusCode)
		}
	}
	if r := clerk.get("/console/broadcasts"); !strings.Contains(r.body, "只有人大常委会办公室") {
		t.Errorf("clerk's 403 page: %s", r.body)
	}
	if r := office.get("/console/opinions"); !strings.Contains(r.body, `href="/console/broadcasts"`) {
		t.Error("the office's nav has no 空中讲堂")
	}
	if r := clerk.get("/console/opinions"); strings.Contains(r.body, `href="/console/broadcasts"`) {
		t.Error("a clerk's nav shows 空中讲堂")
	}

	// li is not in the group: 404 on the article and the attachment, and
	// nothing recorded.
	li := e.deputyBrowser("oa-deputy-li")
	for _, p := range []string{"/console/me/broadcasts/" + idStr(id), "/console/me/broadcasts/" + idStr(id) + "/file"} {
		if r := li.get(p); r.StatusCode != http.StatusNotFound || !strings.Contains(r.body, "没有找到") {
			t.Errorf("li GET %s: %d", p, r.StatusCode)
		}
	}
	if r := li.get("/console/me/broadcasts"); strings.Contains(r.body, title) {
		t.Error("li's list shows the group's article")
	}

	// wang reads it twice: one read, the first.
	wang := e.deputyBrowser("oa-deputy-wang")
	if r := wang.get("/console/me"); !strings.Contains(r.body, "1</strong> 篇文章未读") {
		t.Errorf("wang's home does not count the unread article:\n%s", r.body)
	}
	r = wang.get("/console/me/broadcasts/" + idStr(id))
	if r.StatusCode != 200 || !strings.Contains(r.body, title) || !strings.Contains(r.body, "新修订的代表法已经施行") ||
		!strings.Contains(r.body, "&lt;script&gt;") || !strings.Contains(r.body, "代表法学习辅导.pdf") {
		t.Fatalf("wang's article: %d\n%s", r.StatusCode, r.body)
	}
	first := e.readAt(id, e.wang.ID)
	e.clock.Add(time.Hour)
	wang.get("/console/me/broadcasts/" + idStr(id))
	if again := e.readAt(id, e.wang.ID); first == nil || again == nil || !again.Equal(*first) {
		t.Errorf("read at %v, then %v: want the first read kept", first, again)
	}
	var reads int64
	must(t, e.db.Model(&models.BroadcastRecipient{}).Where("broadcast_id = ? AND read_at IS NOT NULL", id).Count(&reads).Error)
	if reads != 1 {
		t.Errorf("%d reads recorded", reads)
	}
	if r := office.get("/console/broadcasts"); !strings.Contains(r.body, "已读 <strong>1</strong>（33%）") {
		t.Errorf("the office's list does not show 1 read of 3:\n%s", r.body)
	}
	if r := office.get("/console/broadcasts/" + idStr(id) + "?show=unread"); strings.Contains(r.body, `data-deputy="`+idStr(e.wang.ID)+`"`) ||
		!strings.Contains(r.body, `data-deputy="`+idStr(others[0].ID)+`"`) {
		t.Error("the unread filter lists wang, or not the others")
	}
	f := wang.get("/console/me/broadcasts/" + idStr(id) + "/file")
	if f.StatusCode != 200 || f.body != string(pdfBytes) || f.Header.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(f.Header.Get("Content-Disposition"), "filename*=UTF-8''"+url.PathEscape("代表法学习辅导.pdf")) {
		t.Errorf("wang's download: %d %q %q", f.StatusCode, f.Header.Get("Content-Type"), f.Header.Get("Content-Disposition"))
	}
	if f := office.get("/console/broadcasts/" + idStr(id) + "/file"); f.StatusCode != 200 || f.body != string(pdfBytes) {
		t.Errorf("the office's download: %d", f.StatusCode)
	}
}

// readAt is when deputy first read article id.
func (e *bcEnv) readAt(id, deputyID uint64) *time.Time {
	e.t.Helper()
	var r models.BroadcastRecipient
	must(e.t, e.db.Where("broadcast_id = ? AND deputy_id = ?", id, deputyID).First(&r).Error)
	return r.ReadAt
}

// Ensure a training to a station: a deputy signs up and sees 已报名;
// after the deadline another is refused with the Chinese reason and the
// page says sign-up closed; on the session's day the office ticks both as
// attended, which shows in their records (学习培训), once however often
// ticked; an untick removes the entry.
func TestBroadcastTrainingSignUpAndAttendance(t *testing.T) {
	e := newBCEnv(t)
	office := e.staffBrowser("admin")
	id := sentID(t, e.send(office, url.Values{"kind": {"training"}, "title": {"代表履职能力培训班"},
		"body": {"请参加培训。"}, "audience": {"stations"}, "station_ids": {idStr(e.east.ID)},
		"session_at": {"2026-11-27T14:30"}, "session_place": {"县人大常委会三楼会议室"}, "signup_until": {"2026-11-26T18:00"}}, "", nil))
	if ids := e.recipientIDs(id); !slices.Contains(ids, e.wang.ID) || !slices.Contains(ids, e.li.ID) {
		t.Fatalf("recipients %v lack the east station's deputies", ids)
	}
	article := "/console/me/broadcasts/" + idStr(id)

	wang := e.deputyBrowser("oa-deputy-wang")
	r := wang.get(article)
	if !strings.Contains(r.body, "11月27日（星期五）14:30") || !strings.Contains(r.body, "县人大常委会三楼会议室") ||
		!strings.Contains(r.body, "11月26日 18:00") || !strings.Contains(r.body, "我要报名") {
		t.Fatalf("wang's training page:\n%s", r.body)
	}
	r = wang.post(article+"/signup", url.Values{"csrf": {hidden(r.body, "csrf")}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up: %d %s", r.StatusCode, r.body)
	}
	if r = wang.get(r.location()); !strings.Contains(r.body, "报名成功") || !strings.Contains(r.body, "已报名") ||
		!strings.Contains(r.body, "取消报名") || strings.Contains(r.body, `id="bc-signup"`) {
		t.Fatalf("after signing up:\n%s", r.body)
	}

	// Past the deadline: li is refused in Chinese; nothing is written.
	e.clock.Set(time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)) // 18:30 in Beijing
	li := e.deputyBrowser("oa-deputy-li")
	r = li.get(article)
	if strings.Contains(r.body, `id="bc-signup"`) || !strings.Contains(r.body, "报名已于11月26日 18:00截止") {
		t.Fatalf("li's page after the deadline:\n%s", r.body)
	}
	r = li.post(article+"/signup", url.Values{"csrf": {hidden(r.body, "csrf")}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "报名已截止") {
		t.Fatalf("li signing up late: %d\n%s", r.StatusCode, r.body)
	}
	var rec models.BroadcastRecipient
	must(t, e.db.Where("broadcast_id = ? AND deputy_id = ?", id, e.li.ID).First(&rec).Error)
	if rec.SignedUpAt != nil {
		t.Error("a late sign-up was recorded")
	}

	// Before the session's day the office cannot tick; on it, it can.
	page := office.get("/console/broadcasts/" + idStr(id))
	if strings.Contains(page.body, `id="attend-save"`) || !strings.Contains(page.body, "培训当天起") {
		t.Errorf("the check-in is offered before the session's day")
	}
	csrf := hidden(page.body, "csrf")
	if r := office.post("/console/broadcasts/"+idStr(id)+"/attendance", url.Values{"csrf": {csrf}, "deputy_ids": {idStr(e.wang.ID)}}); r.StatusCode != http.StatusConflict ||
		!strings.Contains(r.body, "培训尚未开始") {
		t.Errorf("ticking before the session: %d", r.StatusCode)
	}
	e.clock.Set(time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC))
	page = office.get("/console/broadcasts/" + idStr(id))
	if !strings.Contains(page.body, `id="attend-save"`) {
		t.Fatalf("no check-in on the session's day:\n%s", page.body)
	}
	for range 2 {
		r := office.post("/console/broadcasts/"+idStr(id)+"/attendance", url.Values{"csrf": {csrf},
			"deputy_ids": {idStr(e.wang.ID), idStr(e.li.ID)}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("check-in: %d %s", r.StatusCode, r.body)
		}
	}
	for _, d := range []models.Deputy{e.wang, e.li} {
		var n int64
		must(t, e.db.Model(&models.Activity{}).Where("deputy_id = ? AND type = ? AND status = ?", d.ID, models.ActStudy, models.ActivityApproved).Count(&n).Error)
		if n != 1 {
			t.Errorf("%s has %d 学习培训 entries after two check-ins", d.Name, n)
		}
		rp := office.get("/console/records/deputy/" + idStr(d.ID))
		if !regexp.MustCompile(`<td>学习培训</td><td>1</td>`).MatchString(rp.body) || !strings.Contains(rp.body, "代表履职能力培训班") {
			t.Errorf("%s's record page does not show the training:\n%s", d.Name, rp.body)
		}
	}
	if r := wang.get(article); !strings.Contains(r.body, "已签到") || strings.Contains(r.body, `id="bc-cancel"`) {
		t.Errorf("wang's page after the check-in:\n%s", r.body)
	}
	if r := wang.get("/console/me"); !strings.Contains(r.body, "代表履职能力培训班") {
		t.Error("wang's own record does not list the training")
	}
	if r := office.get("/console/broadcasts/" + idStr(id)); !strings.Contains(r.body, `<span class="me-count">2</span><span>已签到</span>`) {
		t.Errorf("the office's page does not count 2 attended")
	}

	// A wrong tick is undone, with its entry.
	if r := office.post("/console/broadcasts/"+idStr(id)+"/attendance/remove", url.Values{"csrf": {csrf}, "deputy_id": {idStr(e.li.ID)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("untick: %d %s", r.StatusCode, r.body)
	}
	var n int64
	must(t, e.db.Model(&models.Activity{}).Where("deputy_id = ? AND type = ?", e.li.ID, models.ActStudy).Count(&n).Error)
	if n != 0 {
		t.Errorf("li keeps %d 学习培训 entries after the untick", n)
	}
}

// docx is a minimal Word document: a ZIP package with word/document.xml.
func docx(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "word/document.xml"} {
		w, err := z.Create(name)
		must(t, err)
		_, _ = w.Write([]byte("<?xml version=\"1.0\"?><x/>"))
	}
	must(t, z.Close())
	return buf.Bytes()
}

// Ensure bad input is refused with a Chinese reason on the form, writing
// nothing (no article, no notice, no stored file); a Word document is
// taken and downloads as one.
func TestBroadcastRefusals(t *testing.T) {
	e := newBCEnv(t)
	office := e.staffBrowser("admin")
	ok := url.Values{"kind": {"news"}, "title": {"十二月工作动态"}, "body": {"本月代表活动安排如下。"}, "audience": {"all"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range ok {
			f[key] = slices.Clone(vs)
		}
		f.Set(k, v)
		return f
	}
	for name, c := range map[string]struct {
		form       url.Values
		file       string
		data       []byte
		bad, reply string
	}{
		"no title":         {with("title", ""), "", nil, "title", "标题应为2至100个字"},
		"no kind":          {with("kind", "gossip"), "", nil, "kind", "请选择类别"},
		"no group":         {with("audience", "group"), "", nil, "group_id", "请选择代表小组"},
		"bad session":      {with("kind", "training"), "", nil, "session_at", "请填写培训时间"},
		"text file":        {ok, "名单.txt", []byte("张三\n李四\n"), "attachment", "附件只能是 PDF 文件、Word 文档"},
		"title, with file": {with("title", "x"), "通知.pdf", pdfBytes, "title", "附件需要重新选择"},
	} {
		r := e.send(office, c.form, c.file, c.data)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, c.reply) ||
			!strings.Contains(r.body, `is-bad`) {
			t.Errorf("%s: %d, want 400 with %q\n%s", name, r.StatusCode, c.reply, r.body)
		}
	}
	var n int64
	must(t, e.db.Model(&models.Broadcast{}).Count(&n).Error)
	if n != 0 {
		t.Errorf("%d broadcasts written by refused forms", n)
	}
	must(t, e.db.Model(&models.Notification{}).Where("dedupe_key LIKE ?", "broadcast:%").Count(&n).Error)
	if n != 0 {
		t.Errorf("%d notices queued by refused forms", n)
	}
	if files := storedFiles(t, filepath.Join(e.dir, "uploads", "broadcasts")); len(files) != 0 {
		t.Errorf("refused forms left files: %v", files)
	}

	f := with("audience", "stations")
	f.Add("station_ids", idStr(e.east.ID))
	id := sentID(t, e.send(office, f, "会议安排.docx", docx(t)))
	wang := e.deputyBrowser("oa-deputy-wang")
	d := wang.get("/console/me/broadcasts/" + idStr(id) + "/file")
	if d.StatusCode != 200 || !strings.HasPrefix(d.Header.Get("Content-Type"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document") ||
		!strings.Contains(d.Header.Get("Content-Disposition"), "attachment; filename=\"attachment.docx\"; filename*=UTF-8''"+url.PathEscape("会议安排.docx")) {
		t.Errorf("the Word attachment: %d %q %q", d.StatusCode, d.Header.Get("Content-Type"), d.Header.Get("Content-Disposition"))
	}
}

// storedFiles lists the files under dir (none when it does not exist).
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return filepath.SkipDir
			}
			return err
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	must(t, err)
	return out
}

// Ensure the console API lists the office's articles with their counts,
// shows one with its recipients, checks deputies in at a training (from
// the session's day, idempotently), and refuses a clerk.
func TestBroadcastAPI(t *testing.T) {
	e := newBCEnv(t)
	id := sentID(t, e.send(e.staffBrowser("admin"), url.Values{"kind": {"training"}, "title": {"代表履职能力培训班"},
		"body": {"请参加培训。"}, "audience": {"stations"}, "station_ids": {idStr(e.east.ID)},
		"session_at": {"2026-11-27T14:30"}, "session_place": {"县人大常委会三楼会议室"}}, "", nil))
	token := e.token("admin")
	var list struct {
		Items []console.BroadcastSummary `json:"items"`
	}
	if r := e.bearer("GET", "/console/api/broadcasts", token, "", &list); r.StatusCode != 200 || len(list.Items) != 1 ||
		list.Items[0].ID != id || list.Items[0].KindLabel != "培训通知" || list.Items[0].Recipients < 2 ||
		list.Items[0].SessionAt == nil || list.Items[0].SessionAt.Format(time.RFC3339) != "2026-11-27T14:30:00+08:00" {
		t.Fatalf("list: %d %+v", r.StatusCode, list)
	}
	var one console.BroadcastDetail
	if r := e.bearer("GET", "/console/api/broadcasts/"+idStr(id), token, "", &one); r.StatusCode != 200 ||
		one.Body != "请参加培训。" || len(one.Deputies) != list.Items[0].Recipients {
		t.Fatalf("one: %d %+v", r.StatusCode, one)
	}
	body := `{"deputy_ids":[` + idStr(e.wang.ID) + `]}`
	var eb errBody
	if r := e.bearer("POST", "/console/api/broadcasts/"+idStr(id)+"/attendance", token, body, &eb); r.StatusCode != 409 ||
		eb.Error.Code != "broadcast_before_session" {
		t.Errorf("check-in before the session: %d %+v", r.StatusCode, eb)
	}
	e.clock.Set(time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC))
	for i, want := range []int{1, 0} { // the second check-in marks nobody new
		var res console.AttendanceResult
		if r := e.bearer("POST", "/console/api/broadcasts/"+idStr(id)+"/attendance", token, body, &res); r.StatusCode != 200 || res.Marked != want {
			t.Errorf("check-in #%d: %d %+v, want %d marked", i+1, r.StatusCode, res, want)
		}
	}
	var outsider models.Deputy
	must(t, e.db.Where("station_id = ?", e.west.ID).First(&outsider).Error)
	if r := e.bearer("POST", "/console/api/broadcasts/"+idStr(id)+"/attendance", token, `{"deputy_ids":[`+idStr(outsider.ID)+`]}`, &eb); r.StatusCode != 400 ||
		eb.Error.Code != "broadcast_not_recipient" {
		t.Errorf("checking in a deputy it did not go to: %d %+v", r.StatusCode, eb)
	}
	clerk := e.token("clerk_e")
	for _, p := range []string{"/console/api/broadcasts", "/console/api/broadcasts/" + idStr(id)} {
		if r := e.bearer("GET", p, clerk, "", &eb); r.StatusCode != 403 || eb.Error.Code != "admin_only" {
			t.Errorf("clerk GET %s: %d %+v", p, r.StatusCode, eb)
		}
	}
	if r := e.bearer("GET", "/console/api/broadcasts/999999", token, "", &eb); r.StatusCode != 404 || eb.Error.Code != "broadcast_not_found" {
		t.Errorf("a missing article: %d %+v", r.StatusCode, eb)
	}
}
