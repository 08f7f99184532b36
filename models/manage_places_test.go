package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

var mpNow = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// mpEnv is the demo county with an admin's and 城关镇's scopes.
func mpEnv(t *testing.T) (context.Context, *gorm.DB, models.ManageScope, models.ManageScope) {
	t.Helper()
	ctx := context.Background()
	db := modelstest.NewDB(t)
	if _, err := models.LoadDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	admin := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 9001}, All: true}
	town := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 9002}, Township: "城关镇"}
	return ctx, db, admin, town
}

func mpStation(t *testing.T, db *gorm.DB, name string) models.Station {
	t.Helper()
	var st models.Station
	if err := db.Where("name = ?", name).First(&st).Error; err != nil {
		t.Fatal(err)
	}
	return st
}

// auditCount counts the audit rows of an action by an actor.
func auditCount(t *testing.T, db *gorm.DB, action string, actor uint64) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&models.AuditLog{}).Where("action = ? AND actor_id = ?", action, actor).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) || ve.Field != field {
		t.Fatalf("want a validation error on %s, got %v", field, err)
	}
}

func newStation(name, district string) models.Station {
	return models.Station{Kind: models.KindStation, Name: name, Address: "青溪县某路1号", District: district,
		Lat: 30.27, Lng: 120.15, OpenHours: "周一至周五 9:00-17:00", Phone: "0571-63810099"}
}

// Ensure stations are created, changed and deleted within the scope, each
// change audited; a township user's station stays in its township, another
// township's is not found; bad input and a station in use write nothing.
func TestManageStations(t *testing.T) {
	ctx, db, admin, town := mpEnv(t)
	st, err := models.CreateStation(ctx, db, admin, newStation(" 北关社区代表联络站 ", "城关镇"), mpNow)
	if err != nil || st.ID == 0 || st.Name != "北关社区代表联络站" {
		t.Fatalf("create: %+v %v", st, err)
	}
	if n := auditCount(t, db, "station.create", admin.Actor.ID); n != 1 {
		t.Errorf("create audited %d times", n)
	}
	// A township user's new station is forced into its township.
	tw, err := models.CreateStation(ctx, db, town, newStation("南门社区代表联络站", "石门镇"), mpNow)
	if err != nil || tw.District != "城关镇" {
		t.Fatalf("township create: %+v %v", tw, err)
	}
	// Validation: the field is named, nothing is written.
	var before int64
	db.Model(&models.Station{}).Count(&before)
	bad := newStation("坏站", "城关镇")
	bad.Lat, bad.Lng = 120.15, 30.27 // swapped
	_, err = models.CreateStation(ctx, db, admin, bad, mpNow)
	wantField(t, err, "lat")
	_, err = models.CreateStation(ctx, db, admin, newStation("东门社区代表联络站", "城关镇"), mpNow)
	wantField(t, err, "name")
	bad = newStation("电话错站", "城关镇")
	bad.Phone = "打电话给老王"
	_, err = models.CreateStation(ctx, db, admin, bad, mpNow)
	wantField(t, err, "phone")
	bad = newStation("类型错站", "城关镇")
	bad.Kind = "shop"
	_, err = models.CreateStation(ctx, db, admin, bad, mpNow)
	wantField(t, err, "kind")
	var after int64
	db.Model(&models.Station{}).Count(&after)
	if after != before {
		t.Errorf("refused creates wrote %d stations", after-before)
	}
	// Another township's station is as absent as a missing one.
	shimen := mpStation(t, db, "石门镇代表联络站")
	if _, err := models.GetManagedStation(ctx, db, town, shimen.ID); !errors.Is(err, models.ErrStationNotFound) {
		t.Errorf("township reads another township's station: %v", err)
	}
	edit := shimen
	edit.Phone = "0571-63850002"
	if _, err := models.UpdateStation(ctx, db, town, edit, mpNow); !errors.Is(err, models.ErrStationNotFound) {
		t.Errorf("township edits another township's station: %v", err)
	}
	// A township user cannot move its station out of the township.
	edit = tw
	edit.District, edit.OpenHours = "石门镇", "周二 9:00-11:30"
	got, err := models.UpdateStation(ctx, db, town, edit, mpNow)
	if err != nil || got.District != "城关镇" || got.OpenHours != "周二 9:00-11:30" {
		t.Fatalf("township update: %+v %v", got, err)
	}
	trail, _ := models.AuditTrail(ctx, db, "station", tw.ID)
	if len(trail) != 2 || trail[1].Action != "station.update" || !strings.Contains(trail[1].Note, "开放时间") {
		t.Errorf("update trail: %+v", trail)
	}
	// Searching and filtering.
	rows, err := models.ListManagedStations(ctx, db, town, models.ManageStationQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.District != "城关镇" {
			t.Errorf("township list shows %s", r.Name)
		}
	}
	if len(rows) != 5 {
		t.Errorf("township list has %d stations, want 5", len(rows))
	}
	rows, _ = models.ListManagedStations(ctx, db, admin, models.ManageStationQuery{Query: "立法", Kind: models.KindLegislative})
	if len(rows) != 1 || rows[0].Name != "东溪街道基层立法联系点" {
		t.Errorf("search: %+v", rows)
	}
	if rows, _ = models.ListManagedStations(ctx, db, admin, models.ManageStationQuery{Query: "%"}); len(rows) != 0 {
		t.Errorf("%% matched %d stations", len(rows))
	}
	east := mpStation(t, db, "东门社区代表联络站")
	rows, _ = models.ListManagedStations(ctx, db, admin, models.ManageStationQuery{Query: "东门社区代表"})
	if len(rows) != 1 || rows[0].Communities == 0 || rows[0].Deputies == 0 {
		t.Errorf("east row counts: %+v", rows)
	}
	// Deleting: refused while anything points at it, with the reason.
	err = models.DeleteStation(ctx, db, admin, east.ID, mpNow)
	var ce *models.CodedError
	if !errors.As(err, &ce) || !errors.Is(err, models.ErrConflict) || !strings.Contains(ce.Msg, "代表") || !strings.Contains(ce.Msg, "不能删除") {
		t.Fatalf("delete of a station in use: %v", err)
	}
	if _, err := models.GetManagedStation(ctx, db, admin, east.ID); err != nil {
		t.Errorf("refused delete removed the station: %v", err)
	}
	if _, err := models.SetReceptionRule(ctx, db, admin.Actor, models.DefaultReceptionRule(st.ID), mpNow); err != nil {
		t.Fatal(err)
	}
	if err := models.DeleteStation(ctx, db, admin, st.ID, mpNow); err != nil {
		t.Fatalf("delete of an empty station: %v", err)
	}
	if _, err := models.GetReceptionRule(ctx, db, st.ID); !errors.Is(err, models.ErrReceptionRuleNotFound) {
		t.Errorf("the deleted station's rule stays: %v", err)
	}
	if n := auditCount(t, db, "station.delete", admin.Actor.ID); n != 1 {
		t.Errorf("delete audited %d times", n)
	}
}

// Ensure communities keep their aliases one per line, follow their
// station's township, and are scoped like stations.
func TestManageCommunities(t *testing.T) {
	ctx, db, admin, town := mpEnv(t)
	east := mpStation(t, db, "东门社区代表联络站")
	shimen := mpStation(t, db, "石门镇代表联络站")
	c, err := models.CreateCommunity(ctx, db, town, models.Community{Name: "东关社区", StationID: east.ID},
		"东关\n 东关街 \n东关\n\n东关社区\n老东关、东关口", mpNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.District != "城关镇" || c.Aliases != "东关|东关街|老东关|东关口" {
		t.Errorf("community: %+v", c)
	}
	if n := auditCount(t, db, "community.create", town.Actor.ID); n != 1 {
		t.Errorf("create audited %d times", n)
	}
	// A township user cannot hang a community on another township's station.
	_, err = models.CreateCommunity(ctx, db, town, models.Community{Name: "石门新村", StationID: shimen.ID}, "", mpNow)
	wantField(t, err, "station_id")
	_, err = models.CreateCommunity(ctx, db, admin, models.Community{Name: "长别名村", StationID: shimen.ID},
		strings.Repeat("长", 21), mpNow)
	wantField(t, err, "aliases")
	_, err = models.CreateCommunity(ctx, db, admin, models.Community{Name: "东门社区", StationID: east.ID}, "", mpNow)
	wantField(t, err, "name")
	// Editing moves it to another station; the admin may.
	c.StationID = shimen.ID
	c.District = ""
	got, err := models.UpdateCommunity(ctx, db, admin, c, "东关", mpNow)
	if err != nil || got.District != "石门镇" || got.Aliases != "东关" {
		t.Fatalf("update: %+v %v", got, err)
	}
	// Now in 石门镇, it is out of 城关镇's reach.
	if _, err := models.GetManagedCommunity(ctx, db, town, c.ID); !errors.Is(err, models.ErrCommunityNotFound) {
		t.Errorf("township reads another township's community: %v", err)
	}
	rows, err := models.ListManagedCommunities(ctx, db, admin, models.ManageCommunityQuery{Query: "东关"})
	if err != nil || len(rows) != 1 || rows[0].StationName != "石门镇代表联络站" {
		t.Errorf("search by alias: %+v %v", rows, err)
	}
	rows, _ = models.ListManagedCommunities(ctx, db, town, models.ManageCommunityQuery{})
	for _, r := range rows {
		if r.District != "城关镇" {
			t.Errorf("township list shows %s", r.Name)
		}
	}
	if err := models.DeleteCommunity(ctx, db, admin, c.ID, mpNow); err != nil {
		t.Errorf("delete: %v", err)
	}
}

// Ensure categories and departments are the county office's, validated,
// audited; a department items were transferred to stays.
func TestManageCategoriesDepartments(t *testing.T) {
	ctx, db, admin, town := mpEnv(t)
	cat := models.Category{Code: "Wenlv", Name: "文化旅游", Hint: "景区、文化活动", AcceptDays: 2, ReplyDays: 10, SortOrder: 50}
	if _, err := models.CreateCategory(ctx, db, town, cat, mpNow); !errors.Is(err, models.ErrCountyOnly) {
		t.Errorf("township creates a category: %v", err)
	}
	got, err := models.CreateCategory(ctx, db, admin, cat, mpNow)
	if err != nil || got.Code != "wenlv" {
		t.Fatalf("create: %+v %v", got, err)
	}
	_, err = models.CreateCategory(ctx, db, admin, cat, mpNow)
	wantField(t, err, "code")
	got.ReplyDays = 1
	_, err = models.UpdateCategory(ctx, db, admin, got, mpNow)
	wantField(t, err, "reply_days")
	got.AcceptDays, got.ReplyDays = 31, 40
	_, err = models.UpdateCategory(ctx, db, admin, got, mpNow)
	wantField(t, err, "accept_days")
	got.Code, got.AcceptDays, got.ReplyDays = "changed", 3, 20
	upd, err := models.UpdateCategory(ctx, db, admin, got, mpNow)
	if err != nil || upd.Code != "wenlv" || upd.ReplyDays != 20 {
		t.Fatalf("update: %+v %v", upd, err)
	}
	trail, _ := models.AuditTrail(ctx, db, "category", got.ID)
	if len(trail) != 2 || !strings.Contains(trail[1].Note, "答复期限：10→20") {
		t.Errorf("category trail: %+v", trail)
	}

	d, err := models.CreateDepartment(ctx, db, admin, models.Department{Name: "县文化和广电旅游体育局", Contact: "王科长", Phone: "0571-63800001"}, mpNow)
	if err != nil {
		t.Fatal(err)
	}
	_, err = models.CreateDepartment(ctx, db, admin, models.Department{Name: "县文化和广电旅游体育局", Contact: "王科长", Phone: "0571-63800001"}, mpNow)
	wantField(t, err, "name")
	_, err = models.CreateDepartment(ctx, db, admin, models.Department{Name: "县水利局", Contact: "李", Phone: ""}, mpNow)
	wantField(t, err, "phone")
	if _, err := models.UpdateDepartment(ctx, db, town, d, mpNow); !errors.Is(err, models.ErrCountyOnly) {
		t.Errorf("township edits a department: %v", err)
	}
	// A co-handling transfer (协办) names it.
	if err := db.Create(&models.OpinionDepartment{OpinionID: 1, DepartmentID: d.ID, Role: "co", CreatedAt: mpNow}).Error; err != nil {
		t.Fatal(err)
	}
	if err := models.DeleteDepartment(ctx, db, admin, d.ID, mpNow); !errors.Is(err, models.ErrConflict) {
		t.Errorf("delete of a department in use: %v", err)
	}
	d2, _ := models.CreateDepartment(ctx, db, admin, models.Department{Name: "县档案馆", Contact: "赵", Phone: "13812345678"}, mpNow)
	if err := models.DeleteDepartment(ctx, db, admin, d2.ID, mpNow); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := models.DeleteDepartment(ctx, db, admin, d2.ID, mpNow); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

// Ensure the contact table is saved whole or not at all, every change
// audited, and only within the scope.
func TestManageContactTable(t *testing.T) {
	ctx, db, admin, town := mpEnv(t)
	east := mpStation(t, db, "东门社区代表联络站")
	st, rows, staff, err := models.StationContactTable(ctx, db, town, east.ID)
	if err != nil || st.ID != east.ID || len(rows) < 2 || rows[0].CategoryID != 0 || len(staff) == 0 {
		t.Fatalf("table: %+v %d %d %v", st, len(rows), len(staff), err)
	}
	var head, other uint64
	for _, s := range staff {
		if s.Role == models.RoleHead {
			head = s.ID
		}
	}
	var stranger models.Staff
	if err := db.Where("role = ? AND id NOT IN (?)", models.RoleClerk,
		db.Table("staff_stations").Select("staff_id").Where("station_id = ?", east.ID)).First(&stranger).Error; err != nil {
		t.Fatal(err)
	}
	other = stranger.ID
	want := map[uint64]uint64{0: head, rows[1].CategoryID: head}
	n, err := models.SetStationContacts(ctx, db, town, east.ID, want, mpNow)
	if err != nil || n != 2 {
		t.Fatalf("set: %d %v", n, err)
	}
	// One bad choice: nothing of the table changes.
	n, err = models.SetStationContacts(ctx, db, town, east.ID, map[uint64]uint64{0: 0, rows[2].CategoryID: other}, mpNow)
	if err == nil || n != 0 {
		t.Fatalf("a stranger as contact: %d %v", n, err)
	}
	have, _ := models.ListStationContacts(ctx, db, east.ID)
	if len(have) != 2 {
		t.Errorf("refused save changed the table: %+v", have)
	}
	if got := auditCount(t, db, "station_contact.set", town.Actor.ID); got != 2 {
		t.Errorf("sets audited %d times", got)
	}
	if id, how, _ := models.PickHandler(ctx, db, east.ID, rows[1].CategoryID); id != head || how != models.PickContact {
		t.Errorf("routing does not use the table: %d %s", id, how)
	}
	shimen := mpStation(t, db, "石门镇代表联络站")
	if _, err := models.SetStationContacts(ctx, db, town, shimen.ID, map[uint64]uint64{0: head}, mpNow); !errors.Is(err, models.ErrStationNotFound) {
		t.Errorf("township sets another township's table: %v", err)
	}
	if n, err := models.SetStationContacts(ctx, db, admin, east.ID, map[uint64]uint64{0: 0}, mpNow); err != nil || n != 1 {
		t.Errorf("clear: %d %v", n, err)
	}
}

// Ensure reception rules and holidays go through the scope.
func TestManageRulesHolidays(t *testing.T) {
	ctx, db, admin, town := mpEnv(t)
	east := mpStation(t, db, "东门社区代表联络站")
	shimen := mpStation(t, db, "石门镇代表联络站")
	_, r, _, err := models.ManagedReceptionRule(ctx, db, town, east.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.DayOfMonth = 15
	if _, err := models.SetManagedReceptionRule(ctx, db, town, r, mpNow); err != nil {
		t.Fatal(err)
	}
	if _, got, found, _ := models.ManagedReceptionRule(ctx, db, admin, east.ID); !found || got.DayOfMonth != 15 {
		t.Errorf("rule: %+v %v", got, found)
	}
	r.StationID = shimen.ID
	if _, err := models.SetManagedReceptionRule(ctx, db, town, r, mpNow); !errors.Is(err, models.ErrStationNotFound) {
		t.Errorf("township sets another township's rule: %v", err)
	}
	h := models.Holiday{Date: "2026-12-31", Kind: models.HolidayOff, Name: "县庆"}
	if err := models.SetManagedHoliday(ctx, db, town, h, mpNow); !errors.Is(err, models.ErrCountyOnly) {
		t.Errorf("township sets a holiday: %v", err)
	}
	if err := models.SetManagedHoliday(ctx, db, admin, h, mpNow); err != nil {
		t.Fatal(err)
	}
	if err := models.DeleteManagedHoliday(ctx, db, admin, "2026-12-31", mpNow); err != nil {
		t.Fatal(err)
	}
	if n := auditCount(t, db, "holiday.delete", admin.Actor.ID); n != 1 {
		t.Errorf("holiday delete audited %d times", n)
	}
}

// Ensure Invalidate makes the next Get see a change.
func TestRouteWorldCacheInvalidate(t *testing.T) {
	ctx, db, admin, _ := mpEnv(t)
	cache := &models.RouteWorldCache{TTL: time.Hour}
	w, err := cache.Get(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	n := len(w.Stations)
	if _, err := models.CreateStation(ctx, db, admin, newStation("新建联络站", "白沙镇"), mpNow); err != nil {
		t.Fatal(err)
	}
	if w, _ = cache.Get(ctx, db); len(w.Stations) != n {
		t.Fatalf("cache reloaded before Invalidate")
	}
	cache.Invalidate()
	if w, _ = cache.Get(ctx, db); len(w.Stations) != n+1 {
		t.Errorf("after Invalidate: %d stations, want %d", len(w.Stations), n+1)
	}
	var nilCache *models.RouteWorldCache
	nilCache.Invalidate()
}
