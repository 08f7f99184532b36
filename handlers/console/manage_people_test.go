package console_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/models"
	"deputylink/wechat"
	"deputylink/wechat/wechattest"

	"golang.org/x/crypto/bcrypt"
)

// manageEnv is the demo county with the official account's QR codes (the
// fake WeChat), the page env's staff, and a township user of 城关镇
// (东门 and 西街 are there; 桃源镇 is another township).
type manageEnv struct {
	*pageEnv
	fake    *wechattest.Server
	town    models.Staff
	taoyuan models.Station
}

func newManageEnv(t *testing.T) *manageEnv {
	t.Helper()
	conCheapHashes.Do(func() { models.PasswordCost = bcrypt.MinCost })
	clk := &conClock{now: conT0}
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	rd := wechattest.NewRedis(t)
	te := newEnvWith(t, rd, func(d *handlers.Deps) {
		d.Now, d.Location, d.Log = clk.Now, conLoc, slog.New(slog.DiscardHandler)
		d.OpinionNotify = config.OpinionNotify{Staff: config.TemplateSpec{ID: "TPL_STAFF"}}
		wc, err := wechat.New(wechat.Config{
			OAAppID: wechattest.DefaultOAAppID, OASecret: wechattest.DefaultOASecret,
			APIBase: fake.URL(), KeyPrefix: rd.Prefix, HTTPTimeout: 5 * time.Second,
		}, rd.Client, nil)
		must(t, err)
		d.WebAuth = deskWebAuth{wc}
	})
	e := &conEnv{testEnv: te, clock: clk}
	ctx := t.Context()
	_, err := models.LoadDemo(ctx, e.db)
	must(t, err)
	must(t, e.db.Where("name = ?", "东门社区代表联络站").First(&e.east).Error)
	must(t, e.db.Where("name = ?", "西街社区代表联络站").First(&e.west).Error)
	mk := func(user string, role models.StaffRole, township string, stations ...uint64) models.Staff {
		s, err := models.CreateConsoleUserIn(ctx, e.db, user, conPassword, "测试"+user, role, stations, township, conT0)
		must(t, err)
		return s
	}
	e.clerkE = mk("clerk_e", models.RoleClerk, "", e.east.ID)
	e.headE = mk("head_e", models.RoleHead, "", e.east.ID)
	e.boss = mk("admin", models.RoleAdmin, "")
	m := &manageEnv{pageEnv: &pageEnv{conEnv: e}, fake: fake, town: mk("town_cg", models.RoleTownship, e.east.District)}
	must(t, e.db.Where("name = ?", "桃源镇代表联络站").First(&m.taoyuan).Error)
	return m
}

// Ensure clerks and heads get 403 on every management page and action,
// and that nothing is written.
func TestManagePeopleAccess(t *testing.T) {
	e := newManageEnv(t)
	for _, user := range []string{"clerk_e", "head_e"} {
		b := e.browser(user)
		for _, path := range []string{"/console/manage/staff", "/console/manage/staff/" + strconv.FormatUint(e.clerkE.ID, 10),
			"/console/manage/codes", "/console/manage/outbox", "/console/manage/boards/" + strconv.FormatUint(e.east.ID, 10)} {
			if st, body := b.get(path); st != http.StatusForbidden || !strings.Contains(body, "乡镇（街道）人大") {
				t.Errorf("%s GET %s: %d", user, path, st)
			}
		}
		for _, path := range []string{"/console/manage/staff", "/console/manage/staff/" + strconv.FormatUint(e.clerkE.ID, 10) + "/deactivate",
			"/console/manage/codes", "/console/manage/outbox/retry"} {
			if st, _, _ := b.post(path, url.Values{"name": {"偷偷加的"}, "role": {"admin"}, "id": {"1"}}); st != http.StatusForbidden {
				t.Errorf("%s POST %s: %d", user, path, st)
			}
		}
	}
	var n int64
	e.db.Model(&models.Staff{}).Where("name = ?", "偷偷加的").Count(&n)
	if n != 0 {
		t.Error("a clerk created staff")
	}
}

// Ensure an admin adds a clerk with an invite whose QR code is on screen
// (a temporary official-account QR code with the invite as its scene),
// that a refused form keeps what was typed, and that every action is
// audited with the admin as actor.
func TestManageStaffInvite(t *testing.T) {
	e := newManageEnv(t)
	b := e.browser("admin")
	st, body := b.get("/console/manage/staff")
	if st != 200 || !strings.Contains(body, "测试clerk_e") || !strings.Contains(body, "添加工作人员") {
		t.Fatalf("list: %d", st)
	}
	// Refused: no station for a clerk; the name stays in the form.
	st, _, body = b.post("/console/manage/staff", url.Values{"name": {"王小明"}, "role": {"clerk"}, "days": {"7"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "至少需要选择一个联络站") || !strings.Contains(body, `value="王小明"`) {
		t.Errorf("refused create: %d %s", st, body)
	}
	st, loc, _ := b.post("/console/manage/staff", url.Values{"name": {"王小明"}, "role": {"clerk"}, "days": {"3"},
		"station_ids": {strconv.FormatUint(e.west.ID, 10)}})
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/manage/staff/") {
		t.Fatalf("create: %d %s", st, loc)
	}
	var s models.Staff
	must(t, e.db.Where("name = ?", "王小明").First(&s).Error)
	st, body = b.get(loc)
	if st != 200 || !strings.Contains(body, `id="invite-qr" src="data:image/png;base64,`) || !strings.Contains(body, "已添加王小明") {
		t.Fatalf("staff page: %d %s", st, body)
	}
	var code models.Code
	must(t, e.db.Where("kind = ? AND target_id = ?", models.CodeStaffInvite, s.ID).First(&code).Error)
	if code.QRURL == "" || !code.ExpiresAt.Equal(conT0.Add(72*time.Hour)) {
		t.Errorf("invite %+v", code)
	}
	// The same QR on the next visit: no second ticket.
	tickets := len(e.fake.Calls("/cgi-bin/qrcode/create"))
	b.get(loc)
	if n := len(e.fake.Calls("/cgi-bin/qrcode/create")); n != tickets {
		t.Errorf("a second visit made %d more QR codes", n-tickets)
	}
	// Re-issue, set a password, deactivate: each audited by the admin.
	id := strconv.FormatUint(s.ID, 10)
	for _, a := range []struct {
		path string
		form url.Values
	}{
		{"/invite", url.Values{"days": {"7"}}},
		{"/password", url.Values{"username": {"wxm01"}, "password": {"a-long-password"}, "password2": {"a-long-password"}}},
		{"/deactivate", url.Values{}},
	} {
		if st, loc, body := b.post("/console/manage/staff/"+id+a.path, a.form); st != http.StatusSeeOther || !strings.Contains(loc, "ok=") {
			t.Errorf("%s: %d %s %s", a.path, st, loc, body)
		}
	}
	var audits []models.AuditLog
	must(t, e.db.Where("entity_kind = ? AND entity_id = ?", "staff", s.ID).Order("id").Find(&audits).Error)
	want := []string{"staff.invite", "staff.reinvite", "staff.password", "staff.deactivate"}
	if len(audits) != len(want) {
		t.Fatalf("audits %+v", audits)
	}
	for i, a := range audits {
		if a.Action != want[i] || a.ActorKind != "staff" || a.ActorID != e.boss.ID {
			t.Errorf("audit %d: %+v, want %s by the admin", i, a, want[i])
		}
	}
	// A wrong second password is refused on the page, keeping the username.
	st, _, body = b.post("/console/manage/staff/"+strconv.FormatUint(e.clerkE.ID, 10)+"/password",
		url.Values{"username": {"keepme"}, "password": {"a-long-password"}, "password2": {"another-one-1"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "两次输入的密码不一致") {
		t.Errorf("mismatch: %d", st)
	}
}

// Ensure a township user manages only its township: another township's
// clerk and codes are 404, it cannot create admins, and it reads the outbox
// without retrying.
func TestManageTownshipLimits(t *testing.T) {
	e := newManageEnv(t)
	ctx := context.Background()
	admin, _ := models.ManageScopeOf(e.boss)
	far, _, err := models.InviteStaff(ctx, e.db, admin, models.NewStaff{Name: "桃源联络员", Role: models.RoleClerk, StationIDs: []uint64{e.taoyuan.ID}}, conT0)
	must(t, err)
	_, err = models.EnsureCodes(ctx, e.db)
	must(t, err)
	b := e.browser("town_cg")
	if st, _ := b.get("/console/manage/staff/" + strconv.FormatUint(far.ID, 10)); st != http.StatusNotFound {
		t.Errorf("another township's clerk: %d", st)
	}
	if st, _, _ := b.post("/console/manage/staff/"+strconv.FormatUint(far.ID, 10)+"/deactivate", url.Values{}); st != http.StatusNotFound {
		t.Errorf("deactivate another township's clerk: %d", st)
	}
	if st, body := b.get("/console/manage/staff"); st != 200 || strings.Contains(body, "桃源联络员") || !strings.Contains(body, "测试clerk_e") {
		t.Errorf("township list: %d", st)
	}
	st, _, body := b.post("/console/manage/staff", url.Values{"name": {"新管理员"}, "role": {"admin"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "只能添加联络员和站长") {
		t.Errorf("township creates an admin: %d", st)
	}
	var tyCode models.Code
	must(t, e.db.Where("kind = ? AND target_id = ?", models.CodeStation, e.taoyuan.ID).First(&tyCode).Error)
	if st, _, _ := b.post("/console/manage/codes/"+tyCode.Code+"/retire", url.Values{}); st != http.StatusNotFound {
		t.Errorf("retire another township's code: %d", st)
	}
	if st, body := b.get("/console/manage/codes?q=" + tyCode.Code); st != 200 || strings.Contains(body, `data-code="`+tyCode.Code) || !strings.Contains(body, "没有符合条件的二维码") {
		t.Errorf("township lists another township's code: %d", st)
	}
	if st, _ := b.get("/console/manage/boards/" + strconv.FormatUint(e.taoyuan.ID, 10)); st != http.StatusNotFound {
		t.Errorf("another township's boards: %d", st)
	}
	if st, body := b.get("/console/manage/outbox"); st != 200 || !strings.Contains(body, "只有县人大常委会办公室可以重新发送通知") {
		t.Errorf("township outbox: %d", st)
	}
	if st, _, _ := b.post("/console/manage/outbox/retry", url.Values{"id": {"1"}}); st != http.StatusForbidden {
		t.Errorf("township retries: %d", st)
	}
}

// Ensure the code page makes a board, prints it (the board page with its
// own style allowed by a hash, no other script or style) and retires it.
func TestManageCodesBoard(t *testing.T) {
	e := newManageEnv(t)
	_, err := models.EnsureCodes(context.Background(), e.db)
	must(t, err)
	var dep models.Deputy
	must(t, e.db.Where("station_id = ? AND status = ?", e.east.ID, models.DeputyActive).Order("id").First(&dep).Error)
	b := e.browser("town_cg")
	st, loc, body := b.post("/console/manage/codes", url.Values{"kind": {"board"}, "deputy_id": {strconv.FormatUint(dep.ID, 10)}, "label": {"东门菜场公示栏"}})
	if st != http.StatusSeeOther {
		t.Fatalf("create board: %d %s", st, body)
	}
	var code models.Code
	must(t, e.db.Where("kind = ? AND label = ?", models.CodeBoard, "东门菜场公示栏").First(&code).Error)
	st, body = b.get(loc)
	if st != 200 || !strings.Contains(body, code.Code) || !strings.Contains(body, "近90天扫码0次") {
		t.Errorf("list after create: %d", st)
	}
	r, page := b.do("GET", "/console/manage/codes/"+code.Code+"/board", nil)
	csp := r.Header.Get("Content-Security-Policy")
	if r.StatusCode != 200 || !strings.Contains(page, dep.Name) || !strings.Contains(page, "东门菜场公示栏") ||
		!strings.Contains(csp, "style-src 'sha256-") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
		t.Errorf("board: %d %q", r.StatusCode, csp)
	}
	must(t, e.db.First(&code, "code = ?", code.Code).Error)
	if code.QRURL == "" {
		t.Error("the board's QR code was not kept for reprints")
	}
	r, page = b.do("GET", "/console/manage/boards/"+strconv.FormatUint(e.east.ID, 10), nil)
	if r.StatusCode != 200 || strings.Count(page, `<main class="board">`) < 2 {
		t.Errorf("station boards: %d, %d sheets", r.StatusCode, strings.Count(page, `<main class="board">`))
	}
	if st, _, _ := b.post("/console/manage/codes/"+code.Code+"/retire", url.Values{}); st != http.StatusSeeOther {
		t.Errorf("retire: %d", st)
	}
	if st, _ := b.get("/console/manage/codes/" + code.Code + "/board"); st != http.StatusNotFound {
		t.Errorf("a retired board prints: %d", st)
	}
}
