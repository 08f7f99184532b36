package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"

	"gorm.io/gorm"
)

// cliEnv runs deputylink commands in-process against a fresh database, a
// test Redis and a fake WeChat. The SDK's HTTP client is process-wide, so
// these tests must not run in parallel with other fakes.
type cliEnv struct {
	t    *testing.T
	env  map[string]string
	fake *wechattest.Server
	db   *gorm.DB // the same database, for seeding and checking
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	fake := wechattest.New()
	t.Cleanup(fake.Close)
	rd := wechattest.NewRedis(t)
	dbURL := modelstest.URL(t)
	e := &cliEnv{t: t, fake: fake, env: map[string]string{
		"DEPUTYLINK_DATABASE_URL":    dbURL,
		"DEPUTYLINK_REDIS_PREFIX":    rd.Prefix,
		"DEPUTYLINK_WECHAT_API_BASE": fake.URL(),
		"DEPUTYLINK_OA_APPID":        wechattest.DefaultOAAppID,
		"DEPUTYLINK_OA_SECRET":       wechattest.DefaultOASecret,
		"DEPUTYLINK_MP_APPID":        wechattest.DefaultMPAppID,
		"DEPUTYLINK_MP_SECRET":       wechattest.DefaultMPSecret,
		"DEPUTYLINK_DATA_DIR":        t.TempDir(),
		"DEPUTYLINK_LOG_LEVEL":       "warn",
	}}
	name, url := rd.ServerVar()
	e.env[name] = url
	e.db = modelstest.Open(t, dbURL)
	return e
}

// run executes one command line and returns its exit code and output.
func (e *cliEnv) run(args ...string) (int, string, string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return e.env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

// mustRun fails the test unless the command exits 0.
func (e *cliEnv) mustRun(args ...string) string {
	e.t.Helper()
	code, out, errs := e.run(args...)
	if code != 0 {
		e.t.Fatalf("deputylink %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// wechatCalls is the number of calls the fake received on every route.
func (e *cliEnv) wechatCalls() int {
	n := 0
	for _, p := range []string{"/cgi-bin/token", "/cgi-bin/stable_token", "/cgi-bin/qrcode/create",
		"/wxa/getwxacodeunlimit", "/cgi-bin/menu/create", "/cgi-bin/menu/get", "/cgi-bin/showqrcode"} {
		n += e.fake.CallCount(p)
	}
	return n
}

// demoDeputy loads the demo county and returns an active deputy.
func (e *cliEnv) demoDeputy() models.Deputy {
	e.t.Helper()
	if _, err := models.LoadDemo(context.Background(), e.db); err != nil {
		e.t.Fatal(err)
	}
	var d models.Deputy
	if err := e.db.Where("status = ?", models.DeputyActive).Order("id").First(&d).Error; err != nil {
		e.t.Fatal(err)
	}
	return d
}

func idArg(n uint64) string { return strconv.FormatUint(n, 10) }

// Ensure "codes generate" codes every deputy and station once.
func TestCodesGenerateIdempotent(t *testing.T) {
	e := newCLIEnv(t)
	st := models.Station{Kind: models.KindStation, Name: "新站", Address: "地址", District: "城关镇", OpenHours: "全天"}
	if err := e.db.Create(&st).Error; err != nil {
		t.Fatal(err)
	}
	d := models.Deputy{Name: "新代表", Level: models.LevelTownship, StationID: st.ID, Status: models.DeputyActive}
	if err := e.db.Create(&d).Error; err != nil {
		t.Fatal(err)
	}
	if out := e.mustRun("codes", "generate"); !strings.Contains(out, "created 2 codes") {
		t.Fatalf("first run: %q", out)
	}
	if out := e.mustRun("codes", "generate"); !strings.Contains(out, "created 0 codes") {
		t.Fatalf("second run: %q", out)
	}
	if e.wechatCalls() != 0 {
		t.Error("generating codes called WeChat")
	}
}

var dataPNG = regexp.MustCompile(`src="data:image/png;base64,[A-Za-z0-9+/=]+"`)

// Ensure "codes print" fetches both images once, keeps them, and prints a
// second time without a single WeChat call.
func TestCodesPrintKeepsImages(t *testing.T) {
	e := newCLIEnv(t)
	d := e.demoDeputy()
	dir := t.TempDir()
	first, second := filepath.Join(dir, "board.html"), filepath.Join(dir, "again.html")

	out := e.mustRun("codes", "print", "--deputy", idArg(d.ID), "--out", first, "--county", "青溪县")
	if !strings.Contains(out, "fetched from WeChat") {
		t.Errorf("first print: %q", out)
	}
	if n := e.fake.CallCount("/wxa/getwxacodeunlimit"); n != 1 {
		t.Fatalf("%d mini-program code calls, want 1", n)
	}
	qrs := e.fake.QRCodes()
	if len(qrs) != 1 || qrs[0].ActionName != "QR_LIMIT_STR_SCENE" {
		t.Fatalf("official-account QR codes: %+v", qrs)
	}
	code := qrs[0].SceneStr
	var wxa struct {
		Scene, Page string
		CheckPath   *bool `json:"check_path"`
	}
	_ = json.Unmarshal(e.fake.Calls("/wxa/getwxacodeunlimit")[0].Body, &wxa)
	if wxa.Scene != code || wxa.Page != "pages/deputy/index" || wxa.CheckPath == nil || *wxa.CheckPath {
		t.Fatalf("mini-program code request: %+v (code %s)", wxa, code)
	}
	kept, err := models.FindCode(context.Background(), e.db, code)
	if err != nil || !kept.HasImages() || kept.QRURL != qrs[0].URL || kept.TargetID != d.ID {
		t.Fatalf("kept code: %+v %v", kept.QRURL, err)
	}

	before := e.wechatCalls()
	out = e.mustRun("codes", "print", "--deputy", idArg(d.ID), "--out", second, "--county", "青溪县")
	if got := e.wechatCalls(); got != before {
		t.Fatalf("the reprint made %d WeChat calls, want 0", got-before)
	}
	if !strings.Contains(out, "no WeChat call") {
		t.Errorf("second print: %q", out)
	}

	var pages [2]string
	for i, path := range []string{first, second} {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		pages[i] = string(raw)
		level := d.Level.Label()
		var st models.Station
		e.db.First(&st, d.StationID)
		for _, want := range []string{d.Name, level, st.Name, st.Address, "人大代表公示牌", "青溪县", code} {
			if !strings.Contains(pages[i], want) {
				t.Errorf("%s lacks %q", filepath.Base(path), want)
			}
		}
		if n := len(dataPNG.FindAllString(pages[i], -1)); n != 2 {
			t.Errorf("%s has %d inline PNG images, want 2", filepath.Base(path), n)
		}
	}
	if a, b := dataPNG.FindAllString(pages[0], -1), dataPNG.FindAllString(pages[1], -1); strings.Join(a, "") != strings.Join(b, "") {
		t.Error("the reprint's codes differ from the first print's")
	}

	// "codes images" has nothing left to fetch for this deputy.
	if out := e.mustRun("codes", "images", "--deputy", idArg(d.ID)); !strings.Contains(out, "fetched images for 0 codes, 1 already") {
		t.Errorf("images after print: %q", out)
	}
	if got := e.wechatCalls(); got != before {
		t.Fatal("codes images called WeChat for kept images")
	}
}

// Ensure "codes board" makes a board code for the deputy that prints.
func TestCodesBoard(t *testing.T) {
	e := newCLIEnv(t)
	d := e.demoDeputy()
	out := e.mustRun("codes", "board", "--deputy", idArg(d.ID), "--label", "东门社区公示栏")
	m := regexp.MustCompile(`board code ([2-9A-Z]{8}) created`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output: %q", out)
	}
	c, err := models.FindCode(context.Background(), e.db, m[1])
	if err != nil || c.Kind != models.CodeBoard || c.TargetKind != models.CodeDeputy || c.TargetID != d.ID || c.Label != "东门社区公示栏" {
		t.Fatalf("board code: %+v %v", c, err)
	}
	page := e.mustRun("codes", "print", "--code", m[1])
	if !strings.Contains(page, "东门社区公示栏") || !strings.Contains(page, d.Name) || len(dataPNG.FindAllString(page, -1)) != 2 {
		t.Error("the board code's page lacks its label, deputy or codes")
	}
	if qrs := e.fake.QRCodes(); len(qrs) != 1 || qrs[0].SceneStr != m[1] {
		t.Errorf("QR codes: %+v", qrs)
	}

	if code, _, errs := e.run("codes", "board", "--deputy", "99999", "--label", "x"); code != 1 || !strings.Contains(errs, "deputy_not_found") {
		t.Errorf("unknown deputy: exit %d %q", code, errs)
	}
	for _, args := range [][]string{
		{"codes"}, {"codes", "frob"}, {"codes", "board", "--deputy", idArg(d.ID)}, {"codes", "board", "--label", "x"},
		{"codes", "print"}, {"codes", "print", "--deputy", "1", "--code", "ABCD2345"}, {"codes", "images"},
		{"codes", "generate", "extra"}, {"admin"}, {"admin", "invite"}, {"admin", "invite", "--station", "1"},
		{"admin", "invite", "--station", "1", "--name", "甲", "--role", "admin"},
		{"admin", "invite", "--station", "1", "--name", "甲", "--ttl", "800h"}, {"wechat"}, {"wechat", "frob"},
	} {
		if code, _, errs := e.run(args...); code != 2 || !strings.Contains(errs, "Usage:") {
			t.Errorf("%v: exit %d, want 2 with usage", args, code)
		}
	}
}

// Ensure the menu is published once and a second run changes nothing.
func TestWechatMenuIdempotent(t *testing.T) {
	e := newCLIEnv(t)
	if out := e.mustRun("wechat", "menu"); !strings.Contains(out, "menu published") {
		t.Fatalf("first run: %q", out)
	}
	if n := e.fake.CallCount("/cgi-bin/menu/create"); n != 1 {
		t.Fatalf("%d menu/create calls", n)
	}
	menu := string(e.fake.Menu())
	for _, want := range []string{"MENU_BOOK", "MENU_FILE", "MENU_MY", "MENU_STATIONS", `"miniprogram"`,
		wechattest.DefaultMPAppID, "pages/booking/index", "pages/opinion/new", `"url"`} {
		if !strings.Contains(menu, want) {
			t.Errorf("published menu lacks %s: %s", want, menu)
		}
	}
	if out := e.mustRun("wechat", "menu"); !strings.Contains(out, "menu unchanged") {
		t.Fatalf("second run: %q", out)
	}
	if n := e.fake.CallCount("/cgi-bin/menu/create"); n != 1 {
		t.Fatalf("the second run called menu/create (%d calls)", n)
	}
	// A changed page is published again.
	e.mustRun("wechat", "menu", "--book-page", "pages/book/v2")
	if n := e.fake.CallCount("/cgi-bin/menu/create"); n != 2 {
		t.Fatalf("a changed menu was not published (%d calls)", n)
	}
	if out := e.mustRun("wechat", "menu", "--dry-run"); !strings.Contains(out, `"key": "MENU_BOOK"`) {
		t.Errorf("dry run: %q", out)
	}
}

// Ensure "admin invite" creates a member and an invite, puts the invite code
// into a temporary QR_STR_SCENE code, and that the invite then binds.
func TestAdminInvite(t *testing.T) {
	e := newCLIEnv(t)
	ctx := context.Background()
	d := e.demoDeputy()
	out := e.mustRun("admin", "invite", "--station", idArg(d.StationID), "--name", "王小红", "--role", "head", "--ttl", "48h")
	m := regexp.MustCompile(`invite code:\s+([2-9A-Z]{8})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output: %q", out)
	}
	code := m[1]
	for _, want := range []string{"staff id:", "王小红", "站长", "expires:", "qr ticket url: https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q: %s", want, out)
		}
	}
	qrs := e.fake.QRCodes()
	if len(qrs) != 1 || qrs[0].ActionName != "QR_STR_SCENE" || qrs[0].SceneStr != code || qrs[0].ExpireSeconds != 48*3600 {
		t.Fatalf("QR codes: %+v", qrs)
	}
	if !strings.Contains(out, "ticket="+url.QueryEscape(qrs[0].Ticket)) {
		t.Errorf("the printed ticket is not the escaped one: %s", out)
	}
	staff, st, err := models.BindStaffInvite(ctx, e.db, code, "oClerk000000001", time.Now())
	if err != nil || staff.Name != "王小红" || staff.Role != models.RoleHead || st.ID != d.StationID {
		t.Fatalf("binding the printed invite: %+v %+v %v", staff, st, err)
	}

	// An unknown station: a clear error, nothing made.
	code1, _, errs := e.run("admin", "invite", "--station", "99999", "--name", "甲")
	if code1 != 1 || !strings.Contains(errs, "station_not_found") {
		t.Errorf("unknown station: exit %d %q", code1, errs)
	}
	if len(e.fake.QRCodes()) != 1 {
		t.Error("an unknown station got a QR code")
	}

	// WeChat refuses the QR: the invite is withdrawn.
	e.fake.FailNext("/cgi-bin/qrcode/create", 45009)
	code2, _, errs := e.run("admin", "invite", "--station", idArg(d.StationID), "--name", "李四")
	if code2 != 1 || !strings.Contains(errs, "withdrawn") {
		t.Fatalf("QR failure: exit %d %q", code2, errs)
	}
	var s models.Staff
	if err := e.db.Where("name = ?", "李四").First(&s).Error; err != nil || s.Active {
		t.Fatalf("member of the failed invite: %+v %v", s, err)
	}
	var c models.Code
	if err := e.db.Where("kind = ? AND target_id = ?", models.CodeStaffInvite, s.ID).First(&c).Error; err != nil || !c.Revoked {
		t.Fatalf("invite of the failed QR: %+v %v", c, err)
	}
}

// Ensure "codes images --all" fetches every printable code once, keeps what
// it got when WeChat fails half-way, and resumes where it stopped.
func TestCodesImagesAll(t *testing.T) {
	e := newCLIEnv(t)
	e.demoDeputy()
	all, err := models.PrintableCodes(context.Background(), e.db, false)
	if err != nil || len(all) < 10 {
		t.Fatalf("printable demo codes: %d %v", len(all), err)
	}

	// The third mini-program code fails: two codes are done, the third keeps nothing.
	e.fake.FailNext("/wxa/getwxacodeunlimit", 0, 0, 45009)
	code, _, errs := e.run("codes", "images", "--all")
	if code != 1 || !strings.Contains(errs, "errcode=45009") || !strings.Contains(errs, "fetched 2 before it") {
		t.Fatalf("failing run: exit %d %q", code, errs)
	}
	missing, _ := models.PrintableCodes(context.Background(), e.db, true)
	if len(missing) != len(all)-2 {
		t.Fatalf("%d codes still missing images, want %d", len(missing), len(all)-2)
	}

	out := e.mustRun("codes", "images", "--all")
	if want := "fetched images for " + strconv.Itoa(len(all)-2) + " codes, 0 already"; !strings.Contains(out, want) {
		t.Fatalf("resumed run: %q, want %q", out, want)
	}
	if n := len(e.fake.QRCodes()); n != len(all) {
		t.Fatalf("%d official-account QR codes for %d codes", n, len(all))
	}
	before := e.wechatCalls()
	if out := e.mustRun("codes", "images", "--all"); !strings.Contains(out, "fetched images for 0 codes") {
		t.Fatalf("third run: %q", out)
	}
	if e.wechatCalls() != before {
		t.Fatal("a run with every image kept called WeChat")
	}
}
