package console_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"deputylink/models"
)

// placesEnv is pageEnv with a township user of 城关镇 (tw_cg), whose
// stations are east and west.
func placesEnv(t *testing.T) *pageEnv {
	t.Helper()
	e := newPageEnv(t)
	s, err := models.CreateConsoleUser(t.Context(), e.db, "tw_cg", conPassword, "城关镇人大主席团", models.RoleClerk, []uint64{e.east.ID}, conT0)
	must(t, err)
	must(t, e.db.Model(&models.Staff{}).Where("id = ?", s.ID).Updates(map[string]any{"role": models.RoleTownship, "township": "城关镇"}).Error)
	must(t, e.db.Exec("DELETE FROM staff_stations WHERE staff_id = ?", s.ID).Error)
	return e
}

// auditRows counts the audit rows of action.
func (e *pageEnv) auditRows(action string) int64 {
	var n int64
	must(e.t, e.db.Model(&models.AuditLog{}).Where("action = ?", action).Count(&n).Error)
	return n
}

// wantSeeOther checks a post answered 303 to path with notice.
func wantSeeOther(t *testing.T, st int, loc, body, path, notice string) {
	t.Helper()
	if st != 303 || !strings.HasPrefix(loc, path) || !strings.Contains(loc, "ok=") || !strings.Contains(mustUnescape(t, loc), notice) {
		t.Fatalf("want 303 to %s with %q, got %d %s\n%s", path, notice, st, loc, body)
	}
}

// Ensure the management pages are the office's: clerks and heads get the
// 403 page on every one, a township user sees its township only (another
// township's station or community is the 404 page, the county's sections
// 403) and the index shows each scope what it may use.
func TestManagePlacesAccess(t *testing.T) {
	t.Parallel()
	e := placesEnv(t)
	clerk, head, boss, tw := e.browser("clerk_e"), e.browser("head_e"), e.browser("admin"), e.browser("tw_cg")
	var shimen models.Station
	must(t, e.db.Where("name = ?", "石门镇代表联络站").First(&shimen).Error)
	var shimenComm models.Community
	must(t, e.db.Where("station_id = ?", shimen.ID).First(&shimenComm).Error)
	paths := []string{"/console/manage", "/console/manage/stations", "/console/manage/stations/new",
		"/console/manage/stations/" + idStr(e.east.ID), "/console/manage/stations/" + idStr(e.east.ID) + "/contacts",
		"/console/manage/stations/" + idStr(e.east.ID) + "/rule", "/console/manage/communities",
		"/console/manage/categories", "/console/manage/departments", "/console/manage/holidays"}
	for _, b := range []browser{clerk, head} {
		for _, p := range paths {
			if st, body := b.get(p); st != 403 || !strings.Contains(body, "只有人大常委会办公室或乡镇（街道）人大") {
				t.Errorf("%s as clerk/head: %d", p, st)
			}
		}
		if st, _, _ := b.post("/console/manage/stations/"+idStr(e.east.ID), url.Values{"name": {"改名"}}); st != 403 {
			t.Errorf("clerk/head posts a station: %d", st)
		}
	}
	for _, p := range paths {
		if st, body := boss.get(p); st != 200 {
			t.Errorf("%s as admin: %d\n%s", p, st, body)
		}
	}
	// The index: the county's sections for the admin only.
	_, body := boss.get("/console/manage")
	for _, want := range []string{"联络站", "村（社区）", "代表", "工作人员与邀请", "二维码与公示牌", "Excel导入", "数据导出",
		"意见类别与办理期限", "承办部门", "节假日与调休", "通知发送", `href="/console/manage/deputies"`, `href="/console/exports"`} {
		if !strings.Contains(body, want) {
			t.Errorf("admin's index lacks %s", want)
		}
	}
	_, body = tw.get("/console/manage")
	if !strings.Contains(body, "/console/manage/stations") || strings.Contains(body, "/console/manage/categories") ||
		strings.Contains(body, "/console/manage/holidays") || strings.Contains(body, "/console/manage/departments") {
		t.Errorf("township's index shows the wrong sections:\n%s", body)
	}
	for _, p := range []string{"/console/manage/categories", "/console/manage/departments", "/console/manage/holidays", "/console/manage/categories/1"} {
		if st, body := tw.get(p); st != 403 || !strings.Contains(body, "只有县人大常委会办公室") {
			t.Errorf("%s as township: %d", p, st)
		}
	}
	if st, _, _ := tw.post("/console/manage/holidays", url.Values{"date": {"2026-12-31"}, "kind": {"holiday"}, "name": {"县庆"}}); st != 403 {
		t.Errorf("township adds a holiday: %d", st)
	}
	// Another township's station and community are 404, reading or writing.
	for _, p := range []string{"/console/manage/stations/" + idStr(shimen.ID), "/console/manage/stations/" + idStr(shimen.ID) + "/contacts",
		"/console/manage/stations/" + idStr(shimen.ID) + "/rule", "/console/manage/communities/" + idStr(shimenComm.ID),
		"/console/manage/stations/999999", "/console/manage/stations/abc"} {
		if st, body := tw.get(p); st != 404 || !strings.Contains(body, "没有找到这一项") {
			t.Errorf("%s as township: %d", p, st)
		}
	}
	before := e.auditRows("station.update")
	if st, _, _ := tw.post("/console/manage/stations/"+idStr(shimen.ID), url.Values{"kind": {"station"}, "name": {"改名"},
		"address": {"某路"}, "lat": {"30.2"}, "lng": {"120.2"}, "open_hours": {"周一"}}); st != 404 {
		t.Errorf("township edits another township's station: %d", st)
	}
	if st, _, _ := tw.post("/console/manage/stations/"+idStr(shimen.ID)+"/delete", url.Values{}); st != 404 {
		t.Errorf("township deletes another township's station: %d", st)
	}
	if e.auditRows("station.update") != before {
		t.Error("a refused edit was audited")
	}
	// The township's lists show its township only.
	_, body = tw.get("/console/manage/stations")
	if !strings.Contains(body, "东门社区代表联络站") || strings.Contains(body, "石门镇代表联络站") {
		t.Errorf("township's station list is not its township's")
	}
	_, body = tw.get("/console/manage/communities")
	if !strings.Contains(body, "东门社区") || strings.Contains(body, shimenComm.Name) {
		t.Errorf("township's community list is not its township's")
	}
	// A post without the CSRF token changes nothing.
	if st, _, _ := boss.post("/console/manage/stations/"+idStr(e.east.ID)+"/delete", url.Values{"csrf": {"wrong"}}); st != 403 {
		t.Errorf("post without CSRF: %d", st)
	}
}

// Ensure stations are searched, created, edited, deleted from their forms,
// each change audited; a refused form keeps what was typed; a township
// user's new station lands in its township.
func TestManageStationPages(t *testing.T) {
	t.Parallel()
	e := placesEnv(t)
	boss, tw := e.browser("admin"), e.browser("tw_cg")
	if _, body := boss.get("/console/manage/stations?q=" + url.QueryEscape("立法")); !strings.Contains(body, "东溪街道基层立法联系点") ||
		strings.Contains(body, "东门社区代表联络站") || !strings.Contains(body, "共1个") {
		t.Errorf("search by name")
	}
	if _, body := boss.get("/console/manage/stations?district=" + url.QueryEscape("石门镇")); !strings.Contains(body, "龙潭村代表联络站") ||
		strings.Contains(body, "东门社区代表联络站") {
		t.Errorf("filter by township")
	}
	form := url.Values{"kind": {"station"}, "name": {"北关社区代表联络站"}, "district": {"城关镇"}, "address": {"青溪县城关镇北关街8号"},
		"lat": {"30.2755"}, "lng": {"120.1490"}, "open_hours": {"周一至周五 9:00-17:00"}, "phone": {"0571-63810031"}}
	// A refused form: the field's message, what was typed kept, nothing written.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("lat", "北纬30度")
	st, _, body := boss.post("/console/manage/stations", bad)
	if st != 400 || !strings.Contains(body, "纬度应为数字") || !strings.Contains(body, "青溪县城关镇北关街8号") {
		t.Fatalf("bad latitude: %d\n%s", st, body)
	}
	if e.auditRows("station.create") != 0 {
		t.Error("a refused create was audited")
	}
	st, loc, body := boss.post("/console/manage/stations", form)
	wantSeeOther(t, st, loc, body, "/console/manage/stations/", "已新增北关社区代表联络站")
	var created models.Station
	must(t, e.db.Where("name = ?", "北关社区代表联络站").First(&created).Error)
	if created.Lat != 30.2755 || created.Phone != "0571-63810031" || e.auditRows("station.create") != 1 {
		t.Errorf("created: %+v", created)
	}
	// Edit.
	if st, body := boss.get("/console/manage/stations/" + idStr(created.ID)); st != 200 || !strings.Contains(body, "30.2755") || !strings.Contains(body, "各类意见的联系人") {
		t.Errorf("edit page: %d", st)
	}
	form.Set("open_hours", "周二、周四 9:00-11:30")
	st, loc, body = boss.post("/console/manage/stations/"+idStr(created.ID), form)
	wantSeeOther(t, st, loc, body, "/console/manage/stations/"+idStr(created.ID), "已保存")
	trail, err := models.AuditTrail(t.Context(), e.db, "station", created.ID)
	must(t, err)
	if len(trail) != 2 || !strings.Contains(trail[1].Note, "周二、周四") {
		t.Errorf("edit trail: %+v", trail)
	}
	// A duplicate name is refused on the form.
	form.Set("name", "东门社区代表联络站")
	if st, _, body = boss.post("/console/manage/stations/"+idStr(created.ID), form); st != 400 || !strings.Contains(body, "已有同名的联络站") {
		t.Errorf("duplicate name: %d", st)
	}
	// Deleting a station in use is refused with the reason; an empty one goes.
	st, _, body = boss.post("/console/manage/stations/"+idStr(e.east.ID)+"/delete", url.Values{})
	if st != 409 || !strings.Contains(body, "不能删除") || !strings.Contains(body, "代表") {
		t.Errorf("delete a station in use: %d\n%s", st, body)
	}
	st, loc, body = boss.post("/console/manage/stations/"+idStr(created.ID)+"/delete", url.Values{})
	wantSeeOther(t, st, loc, body, "/console/manage/stations", "已删除北关社区代表联络站")
	// A township user's station is in its township, whatever was posted.
	form.Set("name", "南门社区代表联络站")
	form.Set("district", "石门镇")
	form.Del("csrf") // the admin's
	st, loc, body = tw.post("/console/manage/stations", form)
	if st != 303 {
		t.Fatalf("township creates: %d %s", st, regexp.MustCompile(`<main[\s\S]*</main>`).FindString(body))
	}
	wantSeeOther(t, st, loc, body, "/console/manage/stations/", "已新增")
	var twSt models.Station
	must(t, e.db.Where("name = ?", "南门社区代表联络站").First(&twSt).Error)
	if twSt.District != "城关镇" {
		t.Errorf("township's station is in %s", twSt.District)
	}
}

// Ensure the contact table, the reception rule and communities are saved
// from their forms, audited, and a refused one shows the message.
func TestManageContactsRuleCommunities(t *testing.T) {
	t.Parallel()
	e := placesEnv(t)
	boss, tw := e.browser("admin"), e.browser("tw_cg")
	base := "/console/manage/stations/" + idStr(e.east.ID)
	st, body := tw.get(base + "/contacts")
	if st != 200 || !strings.Contains(body, "所有类别") || !strings.Contains(body, "测试head_e（站长）") {
		t.Fatalf("contact table: %d\n%s", st, body)
	}
	var cat models.Category
	must(t, e.db.Order("sort_order, id").First(&cat).Error)
	st, loc, body := tw.post(base+"/contacts", url.Values{"cat_0": {idStr(e.headE.ID)}, "cat_" + idStr(cat.ID): {idStr(e.clerkE.ID)}})
	wantSeeOther(t, st, loc, body, base+"/contacts", "2项变化")
	if id, how, _ := models.PickHandler(t.Context(), e.db, e.east.ID, cat.ID); id != e.clerkE.ID || how != models.PickContact {
		t.Errorf("routing after the table: %d %s", id, how)
	}
	if e.auditRows("station_contact.set") != 2 {
		t.Errorf("contact sets audited %d times", e.auditRows("station_contact.set"))
	}
	// Another station's clerk is refused; nothing changes.
	st, _, body = tw.post(base+"/contacts", url.Values{"cat_0": {""}, "cat_" + idStr(cat.ID): {idStr(e.clerkW.ID)}})
	if st != 400 || !strings.Contains(body, "不属于这个联络站") {
		t.Errorf("a stranger as contact: %d\n%s", st, body)
	}
	if n, _ := models.ListStationContacts(t.Context(), e.db, e.east.ID); len(n) != 2 {
		t.Errorf("a refused table changed the contacts: %+v", n)
	}

	// The reception rule: the default first, then saved.
	if st, body = tw.get(base + "/rule"); st != 200 || !strings.Contains(body, "全县默认的规则") {
		t.Errorf("rule page: %d", st)
	}
	rule := url.Values{"active": {"1"}, "day_of_month": {"15"}, "start_time": {"14:00"}, "end_time": {"16:30"}, "slot_minutes": {"30"},
		"seats_per_slot": {"6"}, "walk_in_seats": {"2"}, "waitlist": {"1"}, "waitlist_max": {"10"}, "opens_days_before": {"14"}, "closes_at": {"18:00"}}
	st, loc, body = tw.post(base+"/rule", rule)
	wantSeeOther(t, st, loc, body, base+"/rule", "已保存接待日规则")
	if r, err := models.GetReceptionRule(t.Context(), e.db, e.east.ID); err != nil || r.DayOfMonth != 15 || r.StartTime != "14:00" {
		t.Errorf("saved rule: %+v %v", r, err)
	}
	rule.Set("walk_in_seats", "9")
	if st, _, body = tw.post(base+"/rule", rule); st != 400 || !strings.Contains(body, "现场名额不能") || !strings.Contains(body, `value="9"`) {
		t.Errorf("bad rule: %d", st)
	}

	// Communities: created with aliases one per line, then edited.
	form := url.Values{"name": {"东关社区"}, "station_id": {idStr(e.east.ID)}, "aliases": {"东关\r\n东关街\r\n\r\n老东关"}}
	st, loc, body = tw.post("/console/manage/communities", form)
	wantSeeOther(t, st, loc, body, "/console/manage/communities", "已新增东关社区")
	var cm models.Community
	must(t, e.db.Where("name = ?", "东关社区").First(&cm).Error)
	if cm.Aliases != "东关|东关街|老东关" || cm.District != "城关镇" {
		t.Errorf("community: %+v", cm)
	}
	if _, body = boss.get("/console/manage/communities?q=" + url.QueryEscape("老东关")); !strings.Contains(body, `big">东关社区<`) || strings.Contains(body, `big">西街社区<`) {
		t.Errorf("search by alias")
	}
	if _, body = boss.get("/console/manage/communities/" + idStr(cm.ID)); !strings.Contains(body, "东关\n东关街\n老东关") {
		t.Errorf("edit page does not show the aliases one per line:\n%s", body)
	}
	form.Set("name", "")
	if st, _, body = tw.post("/console/manage/communities/"+idStr(cm.ID), form); st != 400 || !strings.Contains(body, "请填写名称") {
		t.Errorf("empty name: %d", st)
	}
	form.Set("name", "东关社区")
	form.Set("station_id", idStr(e.west.ID))
	st, loc, body = tw.post("/console/manage/communities/"+idStr(cm.ID), form)
	wantSeeOther(t, st, loc, body, "/console/manage/communities/"+idStr(cm.ID), "已保存")
	if e.auditRows("community.create") != 1 || e.auditRows("community.update") != 1 {
		t.Errorf("community changes not audited")
	}
}

// Ensure the county office's categories, departments and holidays work
// from their forms, with Chinese validation.
func TestManageCountyPages(t *testing.T) {
	t.Parallel()
	e := placesEnv(t)
	boss := e.browser("admin")
	if st, body := boss.get("/console/manage/categories"); st != 200 || !strings.Contains(body, "受理") || !strings.Contains(body, "法规草案名称") {
		t.Errorf("categories: %d", st)
	}
	cat := url.Values{"code": {"wenlv"}, "name": {"文化旅游"}, "hint": {"景区、文化活动"}, "accept_days": {"3"}, "reply_days": {"2"}, "sort_order": {"60"}}
	if st, _, body := boss.post("/console/manage/categories", cat); st != 400 || !strings.Contains(body, "答复期限不能短于受理期限") || !strings.Contains(body, "景区、文化活动") {
		t.Errorf("bad deadlines: %d", st)
	}
	cat.Set("reply_days", "20")
	st, loc, body := boss.post("/console/manage/categories", cat)
	wantSeeOther(t, st, loc, body, "/console/manage/categories", "已新增类别“文化旅游”")
	c, err := models.CategoryByCode(t.Context(), e.db, "wenlv")
	must(t, err)
	cat.Set("accept_days", "四")
	if st, _, body = boss.post("/console/manage/categories/"+idStr(c.ID), cat); st != 400 || !strings.Contains(body, "受理期限应为整数") || !strings.Contains(body, "wenlv") {
		t.Errorf("non-numeric days: %d", st)
	}
	cat.Set("accept_days", "2")
	st, loc, body = boss.post("/console/manage/categories/"+idStr(c.ID), cat)
	wantSeeOther(t, st, loc, body, "/console/manage/categories", "已保存类别")

	dept := url.Values{"name": {"县文化和广电旅游体育局"}, "contact": {"办公室 王明"}, "phone": {"电话"}}
	if st, _, body = boss.post("/console/manage/departments", dept); st != 400 || !strings.Contains(body, "电话号码格式不正确") {
		t.Errorf("bad phone: %d", st)
	}
	dept.Set("phone", "0571-63860909")
	st, loc, body = boss.post("/console/manage/departments", dept)
	wantSeeOther(t, st, loc, body, "/console/manage/departments", "已新增")
	var d models.Department
	must(t, e.db.Where("name = ?", "县文化和广电旅游体育局").First(&d).Error)
	dept.Set("contact", "办公室 李华")
	st, loc, body = boss.post("/console/manage/departments/"+idStr(d.ID), dept)
	wantSeeOther(t, st, loc, body, "/console/manage/departments", "已保存")
	st, loc, body = boss.post("/console/manage/departments/"+idStr(d.ID)+"/delete", url.Values{})
	wantSeeOther(t, st, loc, body, "/console/manage/departments", "已删除")

	if st, body = boss.get("/console/manage/holidays?year=2026"); st != 200 || !strings.Contains(body, "春节") {
		t.Errorf("holidays 2026: %d", st)
	}
	if st, body = boss.get("/console/manage/holidays?year=2206"); st != 400 || !strings.Contains(body, "年份应在") {
		t.Errorf("year 2206: %d", st)
	}
	st, loc, body = boss.post("/console/manage/holidays", url.Values{"date": {"2026-12-31"}, "kind": {"holiday"}, "name": {"县庆"}})
	if st != 303 {
		t.Fatalf("add a holiday: %d %s", st, regexp.MustCompile(`notice err[^<]*<`).FindString(body))
	}
	wantSeeOther(t, st, loc, body, "/console/manage/holidays", "已保存2026年12月31日")
	if _, body = boss.get("/console/manage/holidays?year=2026"); !strings.Contains(body, "县庆") {
		t.Errorf("the new holiday is not listed")
	}
	if st, _, body = boss.post("/console/manage/holidays", url.Values{"date": {"12月31日"}, "kind": {"holiday"}, "name": {"县庆"}}); st != 400 || !strings.Contains(body, "日期格式不正确") {
		t.Errorf("bad date: %d", st)
	}
	st, loc, body = boss.post("/console/manage/holidays/2026-12-31/delete", url.Values{})
	wantSeeOther(t, st, loc, body, "/console/manage/holidays", "已删除")
	for _, a := range []string{"category.create", "category.update", "department.create", "department.update", "department.delete", "holiday.set", "holiday.delete"} {
		if e.auditRows(a) != 1 {
			t.Errorf("%s audited %d times", a, e.auditRows(a))
		}
	}
}
