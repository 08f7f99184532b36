package console_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat/wechattest"

	"golang.org/x/crypto/bcrypt"
)

// depEnv is the console over the demo data with a data directory and a
// routing cache that only an invalidation refreshes, a township user of
// 城关镇 (town_cg) besides the clerks, the head and the admin.
type depEnv struct {
	*pageEnv
	dir    string
	routes *models.RouteWorldCache
	town   models.Staff
}

func newDepEnv(t *testing.T) *depEnv { return newDepEnvWith(t, nil) }

// newDepEnvWith is newDepEnv with the dependencies adjusted (nil: none).
func newDepEnvWith(t *testing.T, adjust func(*handlers.Deps)) *depEnv {
	t.Helper()
	conCheapHashes.Do(func() { models.PasswordCost = bcrypt.MinCost })
	clk := &conClock{now: conT0}
	dir := t.TempDir()
	routes := &models.RouteWorldCache{TTL: time.Hour}
	te := newEnvWith(t, wechattest.NewRedis(t), func(d *handlers.Deps) {
		d.Now, d.Location, d.Log, d.DataDir, d.Routes = clk.Now, conLoc, slog.New(slog.DiscardHandler), dir, routes
		if adjust != nil {
			adjust(d)
		}
	})
	e := &conEnv{testEnv: te, clock: clk}
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
	e.boss = mk("admin", models.RoleAdmin)
	oa := "oVoterFollowing"
	v := models.Voter{OAOpenID: &oa, Following: true}
	must(t, e.db.Create(&v).Error)
	e.voter = v.ID
	e.cal, err = models.LoadCalendar(ctx, e.db)
	must(t, err)
	town := mk("town_cg", models.RoleAdmin)
	must(t, e.db.Model(&models.Staff{}).Where("id = ?", town.ID).
		Updates(map[string]any{"role": models.RoleTownship, "township": "城关镇"}).Error)
	return &depEnv{pageEnv: &pageEnv{conEnv: e}, dir: dir, routes: routes, town: town}
}

func (e *depEnv) deputy(name string) models.Deputy {
	e.t.Helper()
	var d models.Deputy
	must(e.t, e.db.Where("name = ?", name).First(&d).Error)
	return d
}

func (e *depEnv) station(name string) models.Station {
	e.t.Helper()
	var s models.Station
	must(e.t, e.db.Where("name = ?", name).First(&s).Error)
	return s
}

func (e *depEnv) deputyAudits(id uint64) []models.AuditLog {
	e.t.Helper()
	rows, err := models.AuditTrail(e.t.Context(), e.db, "deputy", id)
	must(e.t, err)
	return rows
}

func depPath(id uint64) string { return "/console/manage/deputies/" + idStr(id) }

// Ensure who reaches the management of deputies: a clerk and a head get
// the 403 page on every page and action; a township user sees only its
// township's township deputies, and a county deputy or another township's
// deputy is the 404 page, for reading and for every action, with nothing
// changed; the admin sees every deputy.
func TestManageDeputiesAccess(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	county, other, own := e.deputy("王桂英"), e.deputy("范春生"), e.deputy("潘红梅")
	for _, user := range []string{"clerk_e", "head_e"} {
		b := e.browser(user)
		for _, p := range []string{"/console/manage/deputies", "/console/manage/deputies/new", depPath(own.ID)} {
			if st, body := b.get(p); st != http.StatusForbidden || !strings.Contains(body, "只有人大常委会办公室") {
				t.Errorf("%s GET %s: %d", user, p, st)
			}
		}
		if st, _, _ := b.post(depPath(own.ID)+"/retire", url.Values{"date": {"2026-11-20"}}); st != http.StatusForbidden {
			t.Errorf("%s retire: %d", user, st)
		}
		if st, _, _ := b.post("/console/manage/deputies", url.Values{"name": {"某某"}, "level": {"township"}, "station_id": {idStr(e.east.ID)}}); st != http.StatusForbidden {
			t.Errorf("%s create: %d", user, st)
		}
	}

	town := e.browser("town_cg")
	st, body := town.get("/console/manage/deputies")
	if st != http.StatusOK || !strings.Contains(body, "潘红梅") || strings.Contains(body, "王桂英") || strings.Contains(body, "范春生") {
		t.Errorf("township list: %d, own %v county %v other %v", st, strings.Contains(body, "潘红梅"),
			strings.Contains(body, "王桂英"), strings.Contains(body, "范春生"))
	}
	if strings.Contains(body, "全国人大代表") || strings.Contains(body, "桃源镇代表联络站") {
		t.Errorf("the township's filters offer other levels or townships")
	}
	if st, _ := town.get(depPath(own.ID)); st != http.StatusOK {
		t.Errorf("township, own deputy: %d", st)
	}
	for _, d := range []models.Deputy{county, other} {
		if st, body := town.get(depPath(d.ID)); st != http.StatusNotFound || !strings.Contains(body, "没有找到") {
			t.Errorf("township GET %s: %d", d.Name, st)
		}
		for _, act := range []struct {
			path string
			form url.Values
		}{
			{depPath(d.ID), url.Values{"name": {"改名"}, "level": {"township"}}},
			{depPath(d.ID) + "/retire", url.Values{"date": {"2026-11-20"}}},
			{depPath(d.ID) + "/move", url.Values{"station_id": {idStr(e.west.ID)}}},
			{depPath(d.ID) + "/reinstate", url.Values{}},
		} {
			if st, _, _ := town.post(act.path, act.form); st != http.StatusNotFound {
				t.Errorf("township POST %s: %d", act.path, st)
			}
		}
		var again models.Deputy
		must(t, e.db.First(&again, d.ID).Error)
		if again.Name != d.Name || again.Status != d.Status || again.StationID != d.StationID || len(e.deputyAudits(d.ID)) != 0 {
			t.Errorf("%s changed by a refused township action: %+v", d.Name, again)
		}
	}

	admin := e.browser("admin")
	st, body = admin.get("/console/manage/deputies")
	if st != http.StatusOK || !strings.Contains(body, "王桂英") || !strings.Contains(body, "共 60 位代表") {
		t.Errorf("admin list: %d %q", st, between(body, `id="deputy-counts">`, "</p>"))
	}
	for _, d := range []models.Deputy{county, other, own} {
		if st, _ := admin.get(depPath(d.ID)); st != http.StatusOK {
			t.Errorf("admin GET %s: %d", d.Name, st)
		}
	}
	if st, _ := admin.get(depPath(999999)); st != http.StatusNotFound {
		t.Errorf("no such deputy: %d", st)
	}
	if st, _ := admin.get("/console/manage/deputies/abc"); st != http.StatusNotFound {
		t.Errorf("a bad id: %d", st)
	}
}

// between is the text of s between from and to ("" when absent).
func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	out, _, _ := strings.Cut(rest, to)
	return out
}

// Ensure the list's search and filters narrow it, with the counts.
func TestManageDeputiesList(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	b := e.browser("admin")
	_, body := b.get("/console/manage/deputies?q=" + url.QueryEscape("红梅"))
	if !strings.Contains(body, "潘红梅") || strings.Contains(body, "王桂英") || !strings.Contains(body, "共 1 位代表") {
		t.Errorf("search: %q", between(body, `id="deputy-counts">`, "</p>"))
	}
	_, body = b.get("/console/manage/deputies?status=retired")
	if !strings.Contains(body, "郑晓峰") || !strings.Contains(body, "钟水生") || strings.Contains(body, "王桂英") {
		t.Errorf("retired filter misses or adds deputies")
	}
	_, body = b.get("/console/manage/deputies?level=provincial&township=" + url.QueryEscape("东溪街道"))
	if !strings.Contains(body, "何慧敏") || strings.Contains(body, "沈国良") {
		t.Errorf("level and township filters")
	}
	if st, body := b.get("/console/manage/deputies?level=mayor"); st != http.StatusBadRequest || !strings.Contains(body, "请选择有效的代表层级") {
		t.Errorf("a bad level: %d", st)
	}
	_, body = b.get("/console/manage/deputies")
	if !strings.Contains(body, "下一页") || !strings.Contains(body, "本页第 1–50 位") {
		t.Errorf("the first page of 60 has no next page: %q", between(body, `id="deputy-counts">`, "</p>"))
	}
	_, body = b.get("/console/manage/deputies?page=2")
	if !strings.Contains(body, "本页第 51–60 位") || !strings.Contains(body, "上一页") {
		t.Errorf("page 2: %q", between(body, `id="deputy-counts">`, "</p>"))
	}
}

// Ensure adding and editing a deputy on the page: a refused form shows
// the Chinese message and keeps what was typed, writing nothing; a good
// one adds the deputy (with a code), audited as the admin, and an edit
// changes the profile and the links; a township user adds a township
// deputy of its township only.
func TestManageDeputyCreateAndEdit(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	b := e.browser("admin")
	home, cgComm := e.station("城关镇人大代表之家"), models.Community{}
	must(t, e.db.Where("name = ?", "东门社区").First(&cgComm).Error)
	if st, body := b.get("/console/manage/deputies/new"); st != http.StatusOK || !strings.Contains(body, "全国人大代表") || !strings.Contains(body, "东门社区") {
		t.Fatalf("new form: %d", st)
	}
	var before int64
	e.db.Model(&models.Deputy{}).Count(&before)
	form := url.Values{"name": {"林晓雯"}, "level": {"county"}, "station_id": {idStr(e.east.ID)}, "term": {"第十八届"},
		"station_ids": {idStr(home.ID)}, "community_ids": {idStr(cgComm.ID)}, "duties": {"东门社区党委书记"},
		"pledge": {"每月到站接待一次选民"}, "term_start": {"2027-01-01"}, "term_end": {"2026-12-31"}}
	st, _, body := b.post("/console/manage/deputies", form)
	if st != http.StatusBadRequest || !strings.Contains(body, "任期结束日期不能早于开始日期") || !strings.Contains(body, `value="林晓雯"`) ||
		!strings.Contains(body, "每月到站接待一次选民") {
		t.Errorf("refused form: %d, kept %v", st, strings.Contains(body, `value="林晓雯"`))
	}
	var after int64
	e.db.Model(&models.Deputy{}).Count(&after)
	if after != before {
		t.Fatalf("a refused form wrote a deputy")
	}
	form.Set("term_start", "2022-01-01")
	st, loc, _ := b.post("/console/manage/deputies", form)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/manage/deputies/") {
		t.Fatalf("create: %d %s", st, loc)
	}
	d := e.deputy("林晓雯")
	_, body = b.get(loc)
	if !strings.Contains(body, "已添加林晓雯代表") || !strings.Contains(body, "东门社区党委书记") || !strings.Contains(body, "添加") {
		t.Errorf("the new deputy's page lacks the notice or the profile")
	}
	codes, err := models.PrimaryCodes(t.Context(), e.db, models.CodeDeputy, []uint64{d.ID})
	if err != nil || codes[d.ID] == "" || !strings.Contains(body, codes[d.ID]) {
		t.Errorf("the new deputy's code %v %v", codes, err)
	}
	a := e.deputyAudits(d.ID)
	if len(a) != 1 || a[0].Action != models.AuditDeputyCreate || a[0].ActorID != e.boss.ID || a[0].ActorKind != "staff" {
		t.Errorf("create audit %+v", a)
	}
	// Edit: drop the other station and the constituency, change the pledge.
	edit := url.Values{"name": {"林晓雯"}, "level": {"county"}, "term": {"第十八届"}, "duties": {"东门社区党委书记"},
		"pledge": {"有事来站里找我"}, "term_start": {"2022-01-01"}, "term_end": {"2026-12-31"}}
	if st, loc, _ := b.post(depPath(d.ID), edit); st != http.StatusSeeOther || loc != depPath(d.ID)+"?ok="+url.QueryEscape("已保存林晓雯代表的资料") {
		t.Errorf("edit: %d %s", st, loc)
	}
	got, err := models.GetManagedDeputy(t.Context(), e.db, models.ManageScope{All: true}, d.ID)
	must(t, err)
	if got.Pledge != "有事来站里找我" || len(got.Stations) != 0 || len(got.Constituency) != 0 || got.StationID != e.east.ID {
		t.Errorf("after the edit %+v", got)
	}
	if a := e.deputyAudits(d.ID); len(a) != 2 || a[1].Action != models.AuditDeputyUpdate || a[1].ActorID != e.boss.ID {
		t.Errorf("edit audit %+v", a)
	}
	// A refused edit keeps what was typed.
	edit.Set("name", "")
	edit.Set("duties", "新职务")
	if st, _, body := b.post(depPath(d.ID), edit); st != http.StatusBadRequest || !strings.Contains(body, "姓名不能为空") || !strings.Contains(body, `value="新职务"`) {
		t.Errorf("refused edit: %d", st)
	}

	// A township user adds a township deputy of its own township only.
	town := e.browser("town_cg")
	tf := url.Values{"name": {"镇代表甲"}, "level": {"county"}, "station_id": {idStr(e.east.ID)}}
	if st, _, body := town.post("/console/manage/deputies", tf); st != http.StatusBadRequest || !strings.Contains(body, "只能管理本乡镇（街道）的镇人大代表") {
		t.Errorf("township adds a county deputy: %d", st)
	}
	tf.Set("level", "township")
	tf.Set("station_id", idStr(e.station("桃源镇代表联络站").ID))
	if st, _, body := town.post("/console/manage/deputies", tf); st != http.StatusBadRequest || !strings.Contains(body, "只能选择本乡镇（街道）的联络站") {
		t.Errorf("township adds a deputy elsewhere: %d", st)
	}
	tf.Set("station_id", idStr(e.east.ID))
	if st, _, _ := town.post("/console/manage/deputies", tf); st != http.StatusSeeOther {
		t.Errorf("township adds its deputy: %d", st)
	}
	nd := e.deputy("镇代表甲")
	if a := e.deputyAudits(nd.ID); len(a) != 1 || a[0].ActorID != e.town.ID {
		t.Errorf("township create audit %+v", a)
	}
}

// Ensure move and retire on the page: a move makes the deputy's code
// route to the new station at once (the routing cache is dropped), leaves
// filed items where they are, and is audited; a retirement sets the
// status and date, keeps the code routing to the primary station, and is
// audited; a retirement before the term is refused in Chinese.
func TestManageDeputyMoveAndRetire(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	b := e.browser("admin")
	d := e.deputy("王桂英")
	code, err := models.EnsureDeputyCode(t.Context(), e.db, d.ID)
	must(t, err)
	route := func() models.RouteResult {
		w, err := e.routes.Get(t.Context(), e.db)
		must(t, err)
		return models.Route(models.RouteInput{Code: code.Code, At: conT0}, w)
	}
	if r := route(); r.StationID != e.east.ID {
		t.Fatalf("before: %+v", r)
	}
	op := e.file(e.east.ID, conT0)
	st, loc, _ := b.post(depPath(d.ID)+"/move", url.Values{"station_id": {idStr(e.west.ID)}})
	if st != http.StatusSeeOther {
		t.Fatalf("move: %d", st)
	}
	if _, body := b.get(loc); !strings.Contains(body, "王桂英代表已换到西街社区代表联络站") {
		t.Errorf("move notice missing")
	}
	if r := route(); r.StationID != e.west.ID || r.Rule != models.RuleCodeDeputy {
		t.Errorf("after the move the code routes to %+v (the cache was not dropped?)", r)
	}
	var again models.Opinion
	must(t, e.db.First(&again, op.ID).Error)
	if again.StationID != e.east.ID {
		t.Errorf("a filed item moved with the deputy")
	}
	// Moving to the same station is refused on the page, the move form open.
	if st, _, body := b.post(depPath(d.ID)+"/move", url.Values{"station_id": {idStr(e.west.ID)}}); st != http.StatusBadRequest ||
		!strings.Contains(body, "主要联络站已经是西街社区代表联络站") || !strings.Contains(body, `<details open id="act-move">`) {
		t.Errorf("a move to the same station: %d", st)
	}
	must(t, e.db.Model(&models.Deputy{}).Where("id = ?", d.ID).Update("term_start", "2022-01-01").Error)
	if st, _, body := b.post(depPath(d.ID)+"/retire", url.Values{"date": {"2021-06-01"}}); st != http.StatusBadRequest ||
		!strings.Contains(body, "离任日期不能早于任期开始日期") {
		t.Errorf("retire before the term: %d", st)
	}
	st, loc, _ = b.post(depPath(d.ID)+"/retire", url.Values{"date": {"2026-11-20"}, "reason": {"工作调动"}})
	if st != http.StatusSeeOther {
		t.Fatalf("retire: %d", st)
	}
	_, body := b.get(loc)
	if !strings.Contains(body, "已离任（2026-11-20）") || !strings.Contains(body, "恢复在任") {
		t.Errorf("the retired deputy's page")
	}
	if r := route(); r.StationID != e.west.ID || r.Rule != models.RuleCodeRetiredDeputy {
		t.Errorf("a retired deputy's code routes to %+v", r)
	}
	var actions []string
	for _, a := range e.deputyAudits(d.ID) {
		actions = append(actions, a.Action)
		if a.ActorID != e.boss.ID {
			t.Errorf("audit %s by %d", a.Action, a.ActorID)
		}
	}
	if strings.Join(actions, ",") != models.AuditDeputyMove+","+models.AuditDeputyRetire {
		t.Errorf("audit actions %v", actions)
	}
	if st, loc, _ := b.post(depPath(d.ID)+"/reinstate", url.Values{}); st != http.StatusSeeOther {
		t.Errorf("reinstate: %d %s", st, loc)
	}
}

// Ensure a photo uploaded for the boards is checked by its content,
// re-encoded as a JPEG without metadata, kept under the data directory,
// pointed at by the deputy's photo address and served by the API; a file
// that is not a photo is refused in Chinese and changes nothing.
func TestManageDeputyPhoto(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	b := e.browser("admin")
	d := e.deputy("王桂英")
	upload := func(name string, data []byte) (int, string, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		must(t, mw.WriteField("csrf", b.csrf))
		fw, err := mw.CreateFormFile("photo", name)
		must(t, err)
		_, _ = fw.Write(data)
		must(t, mw.Close())
		req, err := http.NewRequest("POST", e.srv.URL+depPath(d.ID)+"/photo", &buf)
		must(t, err)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: "dl_console", Value: b.cookie})
		resp, err := noRedirect.Do(req)
		must(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(raw)
	}
	if st, _, body := upload("a.txt", []byte("这不是照片")); st != http.StatusBadRequest || !strings.Contains(body, "只能上传 JPG 或 PNG 格式的照片") {
		t.Errorf("a text file: %d", st)
	}
	img := image.NewRGBA(image.Rect(0, 0, 2400, 3200))
	for y := 0; y < 3200; y += 7 {
		for x := 0; x < 2400; x++ {
			img.Set(x, y, color.RGBA{200, 30, 30, 255})
		}
	}
	var pngBuf bytes.Buffer
	must(t, png.Encode(&pngBuf, img))
	st, loc, _ := upload("me.png", pngBuf.Bytes())
	if st != http.StatusSeeOther || !strings.Contains(loc, "ok=") {
		t.Fatalf("upload: %d %s", st, loc)
	}
	var got models.Deputy
	must(t, e.db.First(&got, d.ID).Error)
	if !models.IsDeputyPhotoPath(got.PhotoURL) || !strings.HasPrefix(got.PhotoURL, models.DeputyPhotoPath(d.ID, "")) {
		t.Fatalf("photo address %q", got.PhotoURL)
	}
	stored, err := os.ReadFile(shared.DeputyPhotoFile(e.dir, d.ID))
	must(t, err)
	cfg, kind, err := image.DecodeConfig(bytes.NewReader(stored))
	if err != nil || kind != "jpeg" || cfg.Width != 800 || cfg.Height != 1066 {
		t.Errorf("stored photo %s %dx%d %v, want a JPEG scaled to 800x1066", kind, cfg.Width, cfg.Height, err)
	}
	resp, err := http.Get(e.srv.URL + got.PhotoURL)
	must(t, err)
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(served, stored) {
		t.Errorf("served photo: %d, %d bytes", resp.StatusCode, len(served))
	}
	if a := e.deputyAudits(d.ID); len(a) != 1 || a[0].Action != models.AuditDeputyPhoto {
		t.Errorf("photo audit %+v", a)
	}
	if _, body := b.get(depPath(d.ID)); !strings.Contains(body, `src="`+got.PhotoURL) {
		t.Errorf("the page does not show the photo")
	}
}
