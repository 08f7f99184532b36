package console_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/models"
	"deputylink/wechat/wechattest"

	"golang.org/x/crypto/bcrypt"
)

// deptEnv is pageEnv with a data directory and the department template,
// an item of 东门 transferred to 县住建局 (lead) and another department
// (co), a bound contact of each and one of a third department.
type deptEnv struct {
	*pageEnv
	dataDir              string
	op, plain            models.Opinion
	lead, co, other      models.Staff
	leadDept, coDept, od models.Department
}

func newDeptEnv(t *testing.T) *deptEnv {
	t.Helper()
	conCheapHashes.Do(func() { models.PasswordCost = bcrypt.MinCost })
	dir := t.TempDir()
	sealer, err := models.NewSealer(bytes.Repeat([]byte{9}, 32))
	must(t, err)
	clk := &conClock{now: conT0}
	te := newEnvWith(t, wechattest.NewRedis(t), func(d *handlers.Deps) {
		d.Now, d.Location, d.Log, d.Sealer, d.DataDir = clk.Now, conLoc, slog.New(slog.DiscardHandler), sealer, dir
		d.OpinionNotify = config.OpinionNotify{Staff: config.TemplateSpec{ID: "TPL_STAFF"}, VoterOA: config.TemplateSpec{ID: "TPL_VOTER"},
			DeptTransfer: config.TemplateSpec{ID: "TPL_DEPT"}}
	})
	ce := &conEnv{testEnv: te, clock: clk}
	ctx := t.Context()
	_, err = models.LoadDemo(ctx, ce.db)
	must(t, err)
	must(t, ce.db.Where("name = ?", "东门社区代表联络站").First(&ce.east).Error)
	must(t, ce.db.Where("name = ?", "西街社区代表联络站").First(&ce.west).Error)
	mk := func(user string, role models.StaffRole, stations ...uint64) models.Staff {
		s, err := models.CreateConsoleUser(ctx, ce.db, user, conPassword, "测试"+user, role, stations, conT0)
		must(t, err)
		return s
	}
	ce.clerkE = mk("clerk_e", models.RoleClerk, ce.east.ID)
	ce.headE = mk("head_e", models.RoleHead, ce.east.ID)
	ce.clerkW = mk("clerk_w", models.RoleClerk, ce.west.ID)
	ce.boss = mk("admin", models.RoleAdmin)
	must(t, ce.db.Model(&models.Staff{}).Where("id = ?", ce.clerkE.ID).Update("oa_openid", "oa-clerk_e").Error)
	oa := "oVoterFollowing"
	v := models.Voter{OAOpenID: &oa, Following: true}
	must(t, ce.db.Create(&v).Error)
	ce.voter = v.ID
	ce.cal, err = models.LoadCalendar(ctx, ce.db)
	must(t, err)
	e := &deptEnv{pageEnv: &pageEnv{conEnv: ce, sealer: sealer}, dataDir: dir}
	var depts []models.Department
	must(t, ce.db.Order("id").Limit(3).Find(&depts).Error)
	e.leadDept, e.coDept, e.od = depts[0], depts[1], depts[2]
	e.lead = e.contact(e.leadDept, "dept_lead")
	e.co = e.contact(e.coDept, "dept_co")
	e.other = e.contact(e.od, "dept_other")
	e.op = e.file(ce.east.ID, conT0)
	_, _, err = models.AcceptOpinion(ctx, ce.db, ce.clerkE.ID, e.op.ID, "", conT0)
	must(t, err)
	// Through the page, so the departments' notices are written too.
	b := e.browser("clerk_e")
	st, loc, body := b.post("/console/opinions/"+idStr(e.op.ID)+"/transfer", url.Values{
		"department_id": {idStr(e.leadDept.ID)}, "co_department_ids": {idStr(e.coDept.ID)}, "note": {"请尽快派人到现场查看"}})
	if st != http.StatusSeeOther || !strings.Contains(loc, "/console/opinions/"+idStr(e.op.ID)) {
		t.Fatalf("transfer: %d %q %s", st, loc, body)
	}
	e.plain = e.file(ce.east.ID, conT0)
	return e
}

// contact makes a bound contact of d who can also sign in with a password
// (the tests' way in; contacts sign in through WeChat).
func (e *deptEnv) contact(d models.Department, user string) models.Staff {
	e.t.Helper()
	s, code, err := models.CreateDepartmentInvite(e.t.Context(), e.db, models.SystemActor, d.ID, "联系人"+user, time.Hour, conT0)
	must(e.t, err)
	_, _, err = models.BindDepartmentInvite(e.t.Context(), e.db, code.Code, "oa-"+user, conT0)
	must(e.t, err)
	hash, err := bcrypt.GenerateFromPassword([]byte(conPassword), bcrypt.MinCost)
	must(e.t, err)
	must(e.t, e.db.Model(&models.Staff{}).Where("id = ?", s.ID).Updates(map[string]any{"username": user, "password_hash": string(hash)}).Error)
	return s
}

// Ensure a department contact reaches only their pages: their list and
// items, the slip; the station's inbox sends them to their list, and the
// desk, management, station item pages and the JSON API are 404.
func TestDepartmentPagesScope(t *testing.T) {
	e := newDeptEnv(t)
	lead := e.browser("dept_lead")
	item := "/console/dept/opinions/" + idStr(e.op.ID)
	st, body := lead.get("/console/dept")
	if st != 200 || !strings.Contains(body, e.op.TrackingNo) || strings.Contains(body, e.plain.TrackingNo) ||
		!strings.Contains(body, "主办") || !strings.Contains(body, "转办事项") {
		t.Fatalf("list: %d\n%s", st, body)
	}
	// The nav shows only their page.
	if strings.Contains(body, `href="/console/desk"`) || strings.Contains(body, `href="/console/opinions"`) {
		t.Errorf("nav shows station pages:\n%s", body)
	}
	st, body = lead.get(item)
	if st != 200 || !strings.Contains(body, "请尽快派人到现场查看") || !strings.Contains(body, "提交答复") ||
		!strings.Contains(body, "/console/opinions/"+idStr(e.op.ID)+"/slip") {
		t.Fatalf("item: %d\n%s", st, body)
	}
	if st, body := e.browser("dept_co").get(item); st != 200 || !strings.Contains(body, "协办") {
		t.Errorf("co-handler: %d", st)
	}
	for _, path := range []string{item, "/console/dept/opinions/" + idStr(e.plain.ID)} {
		if st, body := e.browser("dept_other").get(path); st != 404 || !strings.Contains(body, "没有找到") {
			t.Errorf("other department %s: %d", path, st)
		}
	}
	if st, _ := lead.get("/console/dept/opinions/" + idStr(e.plain.ID)); st != 404 {
		t.Errorf("untransferred item: %d", st)
	}
	for path, want := range map[string]int{
		"/console/desk": 404, "/console/manage": 404, "/console/dept/contacts": 404,
		"/console/opinions/" + idStr(e.op.ID): 404, "/console/opinions/new": 404, "/console/dashboard": 404,
		"/console/api/opinions": 404, "/console/api/opinions/" + idStr(e.op.ID): 404, "/console/api/holidays": 404,
		"/console/opinions": 303, "/console/": 303, "/console/api/me": 200,
	} {
		r, _ := lead.do("GET", path, nil)
		if r.StatusCode != want {
			t.Errorf("contact GET %s: %d, want %d", path, r.StatusCode, want)
		}
		if want == 303 && r.Header.Get("Location") != "/console/dept" {
			t.Errorf("contact GET %s goes to %q", path, r.Header.Get("Location"))
		}
	}
	// No station action either.
	if st, _, _ := lead.post("/console/opinions/"+idStr(e.op.ID)+"/reply", url.Values{"text": {"已修好"}}); st != 404 {
		t.Errorf("contact replied publicly: %d", st)
	}
	// Station staff have no department pages.
	if st, _ := e.browser("clerk_e").get("/console/dept"); st != 404 {
		t.Errorf("clerk's department list: %d", st)
	}
	// The slip: the station's staff and the departments; nobody else.
	for user, want := range map[string]int{"clerk_e": 200, "admin": 200, "dept_lead": 200, "dept_co": 200, "clerk_w": 404, "dept_other": 404} {
		st, body := e.browser(user).get("/console/opinions/" + idStr(e.op.ID) + "/slip")
		if st != want {
			t.Errorf("%s slip: %d, want %d", user, st, want)
			continue
		}
		if want == 200 {
			for _, s := range []string{"群众意见建议交办单", e.op.TrackingNo, e.leadDept.Name, e.coDept.Name, "请尽快派人到现场查看",
				"签字", "transfer-slip.css", "东门菜市场门口的路灯"} {
				if !strings.Contains(body, s) {
					t.Errorf("%s slip lacks %q", user, s)
				}
			}
			if strings.Contains(body, `class="tabs"`) || strings.Contains(body, "13912345678") {
				t.Errorf("%s slip shows the nav or the full phone", user)
			}
		}
	}
	// The transfer told both departments' contacts, linking to their page.
	var rows []models.Notification
	must(t, e.db.Where("template_id = ?", "TPL_DEPT").Order("id").Find(&rows).Error)
	if len(rows) != 2 || rows[0].ToUser != "oa-dept_lead" || rows[1].ToUser != "oa-dept_co" {
		t.Errorf("department notices %+v", rows)
	}
}

// multipartReply builds the reply form with attachments (name → content).
func multipartReply(t *testing.T, csrf, text string, files map[string][]byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	must(t, w.WriteField("csrf", csrf))
	must(t, w.WriteField("text", text))
	for name, data := range files {
		fw, err := w.CreateFormFile("files", name)
		must(t, err)
		_, err = fw.Write(data)
		must(t, err)
	}
	must(t, w.Close())
	return w.FormDataContentType(), &buf
}

// reply posts a department's reply: text and files, with the CSRF token.
func (b browser) reply(path, text string, files map[string][]byte) (*http.Response, string) {
	b.e.t.Helper()
	ct, body := multipartReply(b.e.t, b.csrf, text, files)
	resp, raw := b.sendMultipart(path, ct, body)
	return resp, string(raw)
}

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var buf bytes.Buffer
	must(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func (e *deptEnv) storedFiles() int {
	n := 0
	_ = filepath.WalkDir(filepath.Join(e.dataDir, "uploads", "dept"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// Ensure the loop: the department replies with a photo and a PDF (a bad
// file refused, nothing kept), the voter sees nothing, the clerk sends it
// back with a reason the department reads, the department replies again,
// the clerk adopts it edited, and the voter gets the reply; attachments
// download with the right headers.
func TestDepartmentReplyLoopPages(t *testing.T) {
	e := newDeptEnv(t)
	lead, clerk := e.browser("dept_lead"), e.browser("clerk_e")
	id := idStr(e.op.ID)
	replyPath := "/console/dept/opinions/" + id + "/reply"

	r, body := lead.reply(replyPath, "见附件", map[string][]byte{"病毒.exe": []byte("MZ\x90\x00 not a photo")})
	if r.StatusCode != 400 || !strings.Contains(body, "附件只能是 JPG、PNG 照片或 PDF 文件") || !strings.Contains(body, "见附件") {
		t.Fatalf("bad file: %d\n%s", r.StatusCode, body)
	}
	var n int64
	e.db.Model(&models.DepartmentReply{}).Count(&n)
	if n != 0 || e.storedFiles() != 0 {
		t.Fatalf("refused reply left %d rows, %d files", n, e.storedFiles())
	}
	pdf := []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	r, body = lead.reply(replyPath, "已安排维修，三日内修复。", map[string][]byte{"现场.png": pngBytes(t), "答复函.pdf": pdf})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/console/dept/opinions/"+id+"?ok="+url.QueryEscape("已提交答复，等待联络站审核") {
		t.Fatalf("reply: %d %q\n%s", r.StatusCode, r.Header.Get("Location"), body)
	}
	if e.storedFiles() != 2 {
		t.Errorf("%d files stored", e.storedFiles())
	}
	if _, body := lead.get("/console/dept/opinions/" + id); !strings.Contains(body, "正在等待联络站审核") || strings.Contains(body, "提交答复</button>") {
		t.Errorf("pending page:\n%s", body)
	}
	// The station is told; the voter sees nothing yet.
	if got := e.notified(e.op.ID, "dept_replied"); len(got) != 1 || got[0] != "oa-clerk_e" {
		t.Errorf("station notice to %v", got)
	}
	mine, err := models.GetVoterOpinion(t.Context(), e.db, e.voter, e.op.ID, conLoc)
	if err != nil || mine.Reply != "" {
		t.Fatalf("voter sees %q %v", mine.Reply, err)
	}
	// The clerk's item page shows it with the review forms.
	st, body := clerk.get("/console/opinions/" + id)
	if st != 200 || !strings.Contains(body, "承办部门答复") || !strings.Contains(body, "已安排维修，三日内修复。") ||
		!strings.Contains(body, "采用并答复群众") || !strings.Contains(body, "打印交办单") {
		t.Fatalf("clerk's item: %d\n%s", st, body)
	}
	rid := regexp.MustCompile(`/dept-replies/(\d+)/adopt`).FindStringSubmatch(body)
	files := regexp.MustCompile(`href="(/console/opinions/\d+/dept-files/\d+)"`).FindAllStringSubmatch(body, -1)
	if rid == nil || len(files) != 2 {
		t.Fatalf("reply id %v files %v", rid, files)
	}
	for _, f := range files {
		for _, who := range []browser{clerk, lead} {
			r, raw := who.do("GET", f[1], nil)
			if r.StatusCode != 200 || r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("file %s: %d", f[1], r.StatusCode)
			}
			if ct := r.Header.Get("Content-Type"); ct == "application/pdf" {
				if !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") || raw != string(pdf) {
					t.Errorf("pdf: %q", r.Header.Get("Content-Disposition"))
				}
			} else if ct != "image/png" || r.Header.Get("Content-Disposition") != "inline" {
				t.Errorf("photo: %q %q", ct, r.Header.Get("Content-Disposition"))
			}
		}
		if st, _ := e.browser("dept_co").get(f[1]); st != 404 {
			t.Errorf("co-handler reads the lead's file: %d", st)
		}
		if st, _ := e.browser("clerk_w").get(f[1]); st != 404 {
			t.Errorf("other station reads the file: %d", st)
		}
	}
	review := "/console/opinions/" + id + "/dept-replies/" + rid[1]
	// A send-back needs a reason; the form is kept.
	st, _, body = clerk.post(review+"/sendback", url.Values{"reason": {""}})
	if st != 400 || !strings.Contains(body, "请填写退回原因") {
		t.Fatalf("send back without reason: %d", st)
	}
	st, loc, _ := clerk.post(review+"/sendback", url.Values{"reason": {"请写明具体修复日期"}})
	if st != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape("已退回部门重新答复")) {
		t.Fatalf("send back: %d %q", st, loc)
	}
	if got := e.notified(e.op.ID, "dept_sent_back"); len(got) != 1 || got[0] != "oa-dept_lead" {
		t.Errorf("send-back notice to %v", got)
	}
	if _, body := lead.get("/console/dept/opinions/" + id); !strings.Contains(body, "退回原因：请写明具体修复日期") || !strings.Contains(body, "提交答复</button>") {
		t.Fatalf("department after send-back:\n%s", body)
	}
	r, _ = lead.reply(replyPath, "已于11月26日修复路灯。", nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("second reply: %d", r.StatusCode)
	}
	_, body = clerk.get("/console/opinions/" + id)
	all := regexp.MustCompile(`/dept-replies/(\d+)/adopt`).FindAllStringSubmatch(body, -1)
	if len(all) != 1 || all[0][1] == rid[1] {
		t.Fatalf("review forms %v", all)
	}
	adopt := "/console/opinions/" + id + "/dept-replies/" + all[0][1] + "/adopt"
	// Only the station adopts.
	if st, _, _ := lead.post(adopt, url.Values{"text": {"自己采用"}}); st != 404 {
		t.Errorf("contact adopted: %d", st)
	}
	st, loc, _ = clerk.post(adopt, url.Values{"text": {"经核实，路灯已于11月26日修复。"}})
	if st != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape("已采用部门答复并答复群众")) {
		t.Fatalf("adopt: %d %q", st, loc)
	}
	mine, _ = models.GetVoterOpinion(t.Context(), e.db, e.voter, e.op.ID, conLoc)
	if mine.Reply != "经核实，路灯已于11月26日修复。" || mine.Status != models.OpinionReplied {
		t.Fatalf("voter's reply %q %s", mine.Reply, mine.Status)
	}
	if got := e.notified(e.op.ID, "replied"); len(got) != 1 || got[0] != "oVoterFollowing" {
		t.Errorf("voter notice to %v", got)
	}
	acts := strings.Join(e.actions(e.op.ID), " ")
	for _, want := range []string{"opinion.dept_reply/staff:" + idStr(e.lead.ID), "opinion.dept_sendback/staff:" + idStr(e.clerkE.ID),
		"opinion.dept_adopt/staff:" + idStr(e.clerkE.ID), "opinion.reply/staff:" + idStr(e.clerkE.ID)} {
		if !strings.Contains(acts, want) {
			t.Errorf("trail %s lacks %s", acts, want)
		}
	}
	if _, body := clerk.get("/console/opinions/" + id); !strings.Contains(body, "采用部门答复") || strings.Contains(body, "采用并答复群众") {
		t.Errorf("item after adopt:\n%s", body)
	}
}

// Ensure the contacts page is the county office's: a clerk gets 403;
// without the official account no invite is made.
func TestDepartmentContactsPage(t *testing.T) {
	e := newDeptEnv(t)
	if st, _ := e.browser("clerk_e").get("/console/dept/contacts"); st != 403 {
		t.Errorf("clerk: %d", st)
	}
	if st, _, _ := e.browser("clerk_e").post("/console/dept/contacts", url.Values{"department_id": {idStr(e.od.ID)}, "name": {"某人"}}); st != 403 {
		t.Errorf("clerk invites: %d", st)
	}
	admin := e.browser("admin")
	st, body := admin.get("/console/dept/contacts")
	if st != 200 || !strings.Contains(body, e.leadDept.Name) || !strings.Contains(body, "联系人dept_lead") || !strings.Contains(body, "已绑定微信") {
		t.Fatalf("contacts: %d\n%s", st, body)
	}
	var before int64
	e.db.Model(&models.Staff{}).Count(&before)
	st, _, body = admin.post("/console/dept/contacts", url.Values{"department_id": {idStr(e.od.ID)}, "name": {"新联系人"}})
	if st != 503 || !strings.Contains(body, "无法生成邀请二维码") || !strings.Contains(body, "新联系人") {
		t.Errorf("invite without WeChat: %d\n%s", st, body)
	}
	var after int64
	e.db.Model(&models.Staff{}).Count(&after)
	if after != before {
		t.Errorf("staff %d → %d", before, after)
	}
	st, loc, _ := admin.post("/console/dept/contacts/"+idStr(e.other.ID)+"/deactivate", url.Values{})
	if st != http.StatusSeeOther || !strings.Contains(loc, "/console/dept/contacts") {
		t.Fatalf("deactivate: %d %q", st, loc)
	}
	if st, _, _ := admin.post("/console/dept/contacts/"+idStr(e.clerkE.ID)+"/deactivate", url.Values{}); st != 404 {
		t.Errorf("deactivating a clerk as a contact: %d", st)
	}
	trail, _ := models.AuditTrail(context.Background(), e.db, "staff", e.other.ID)
	if len(trail) == 0 || trail[len(trail)-1].Action != "staff.deactivate" || trail[len(trail)-1].ActorID != e.boss.ID {
		t.Errorf("trail %+v", trail)
	}
}

// Ensure the invite works end to end: the office's QR code, scanned in
// WeChat, binds the contact, who then signs in through web authorization
// and lands on their list.
func TestDepartmentInviteBindsAndSignsIn(t *testing.T) {
	e := newSignInEnv(t, true)
	_, err := models.CreateConsoleUser(t.Context(), e.db, "admin", conPassword, "管理员", models.RoleAdmin, nil, conT0)
	must(t, err)
	s, cookie := e.login("admin")
	admin := browser{e: &pageEnv{conEnv: e.conEnv}, cookie: cookie, csrf: s.CSRFToken}
	var dept models.Department
	must(t, e.db.Order("id").First(&dept).Error)
	st, _, body := admin.post("/console/dept/contacts", url.Values{"department_id": {idStr(dept.ID)}, "name": {"王科长"}})
	if st != 200 || !strings.Contains(body, "请"+dept.Name+"的王科长用微信扫描") || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("invite: %d\n%s", st, body)
	}
	codes := e.fake.QRCodes()
	scene := codes[len(codes)-1].SceneStr
	if !strings.HasPrefix(scene, "dept:") || codes[len(codes)-1].ActionName != "QR_STR_SCENE" {
		t.Fatalf("QR %+v", codes[len(codes)-1])
	}
	if reply := e.scan("oa-wang", scene); !strings.Contains(reply, "绑定成功") || !strings.Contains(reply, dept.Name) {
		t.Fatalf("scan: %q", reply)
	}
	if reply := e.scan("oa-someone", scene); !strings.Contains(reply, "邀请码已被使用") {
		t.Errorf("second scanner: %q", reply)
	}
	// Signed in through WeChat, the contact lands on their list.
	e.fake.SetAuthorizeOpenID(wechattest.DefaultOAAppID, "oa-wang")
	b := e.browser(wechatUA)
	start := b.get("/console/auth/wechat?next=%2Fconsole%2F")
	r := b.get(b.authorize(start))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", r.StatusCode, r.body)
	}
	if r := b.get("/console/"); r.StatusCode != http.StatusSeeOther || r.location() != "/console/dept" {
		t.Fatalf("home: %d %q", r.StatusCode, r.location())
	}
	if r := b.get("/console/dept"); r.StatusCode != 200 || !strings.Contains(r.body, "目前没有转交贵单位办理的意见") {
		t.Fatalf("list: %d\n%s", r.StatusCode, r.body)
	}
}
