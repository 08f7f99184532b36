package models_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

var mdT0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

type mdEnv struct {
	t        *testing.T
	db       *gorm.DB
	admin    models.ManageScope
	cg       models.ManageScope // 城关镇
	stations map[string]models.Station
	comms    map[string]models.Community
}

func newMDEnv(t *testing.T) *mdEnv {
	t.Helper()
	db := modelstest.NewDB(t)
	if _, err := models.LoadDemo(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	e := &mdEnv{t: t, db: db, stations: map[string]models.Station{}, comms: map[string]models.Community{},
		admin: models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 901}, All: true},
		cg:    models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 902}, Township: "城关镇"}}
	var sts []models.Station
	var cs []models.Community
	if err := db.Find(&sts).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Find(&cs).Error; err != nil {
		t.Fatal(err)
	}
	for _, s := range sts {
		e.stations[s.Name] = s
	}
	for _, c := range cs {
		e.comms[c.Name] = c
	}
	return e
}

func (e *mdEnv) deputy(name string) models.Deputy {
	e.t.Helper()
	var d models.Deputy
	if err := e.db.Where("name = ?", name).First(&d).Error; err != nil {
		e.t.Fatal(name, err)
	}
	return d
}

func (e *mdEnv) audits(id uint64, action string) []models.AuditLog {
	e.t.Helper()
	rows, err := models.AuditTrail(context.Background(), e.db, "deputy", id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []models.AuditLog
	for _, r := range rows {
		if r.Action == action {
			out = append(out, r)
		}
	}
	return out
}

func fieldOf(err error) string {
	var v *models.ValidationError
	if errors.As(err, &v) {
		return v.Field
	}
	return ""
}

// Ensure creating a deputy validates every field (the error names the
// field in Chinese), writes nothing on a refusal, stores the profile with
// its other stations and constituency, gives them a code and audits it.
func TestCreateDeputy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newMDEnv(t)
	east, west, home := e.stations["东门社区代表联络站"], e.stations["西街社区代表联络站"], e.stations["城关镇人大代表之家"]
	good := models.DeputyInput{Name: " 林 晓 ", Level: models.LevelCounty, StationID: east.ID,
		OtherStationIDs: []uint64{west.ID, east.ID, west.ID}, CommunityIDs: []uint64{e.comms["东门社区"].ID, e.comms["城东村"].ID},
		Duties: "东门社区党委书记", Pledge: "每月到站接待一次选民", Term: "第十八届", TermStart: "2022-01-01", TermEnd: "2026-12-31",
		PhotoURL: "https://example.org/lin.jpg"}
	var before int64
	e.db.Model(&models.Deputy{}).Count(&before)
	bad := []struct {
		field string
		edit  func(*models.DeputyInput)
	}{
		{"name", func(in *models.DeputyInput) { in.Name = "  " }},
		{"level", func(in *models.DeputyInput) { in.Level = "district" }},
		{"station_id", func(in *models.DeputyInput) { in.StationID = 0 }},
		{"station_id", func(in *models.DeputyInput) { in.StationID = 99999 }},
		{"station_ids", func(in *models.DeputyInput) { in.OtherStationIDs = []uint64{99999} }},
		{"community_ids", func(in *models.DeputyInput) { in.CommunityIDs = []uint64{99999} }},
		{"community_ids", func(in *models.DeputyInput) { in.Level = models.LevelProvincial }},
		{"term_start", func(in *models.DeputyInput) { in.TermStart = "2022/01/01" }},
		{"term_end", func(in *models.DeputyInput) { in.TermStart, in.TermEnd = "2027-01-01", "2026-12-31" }},
		{"photo_url", func(in *models.DeputyInput) { in.PhotoURL = "javascript:alert(1)" }},
	}
	for _, b := range bad {
		in := good
		b.edit(&in)
		_, err := models.CreateDeputy(ctx, e.db, e.admin, in, mdT0)
		if fieldOf(err) != b.field {
			t.Errorf("want a %s error, got %v", b.field, err)
		}
	}
	var after int64
	e.db.Model(&models.Deputy{}).Count(&after)
	if after != before {
		t.Fatalf("refused inputs wrote %d deputies", after-before)
	}
	d, err := models.CreateDeputy(ctx, e.db, e.admin, good, mdT0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := models.GetManagedDeputy(ctx, e.db, e.admin, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "林 晓" || got.Status != models.DeputyActive || got.StationID != east.ID || got.Duties != good.Duties ||
		got.Pledge != good.Pledge || got.TermStart != "2022-01-01" || got.TermEnd != "2026-12-31" {
		t.Errorf("stored %+v", got)
	}
	if len(got.Stations) != 1 || got.Stations[0].ID != west.ID {
		t.Errorf("other stations %+v, want only 西街 (the primary and repeats dropped)", got.Stations)
	}
	if len(got.Constituency) != 2 {
		t.Errorf("constituency %+v", got.Constituency)
	}
	codes, err := models.PrimaryCodes(ctx, e.db, models.CodeDeputy, []uint64{d.ID})
	if err != nil || codes[d.ID] == "" {
		t.Errorf("no code for the new deputy: %v %v", codes, err)
	}
	if a := e.audits(d.ID, models.AuditDeputyCreate); len(a) != 1 || a[0].ActorID != 901 {
		t.Errorf("create audit %+v", a)
	}
	// An edit changes the profile and the links, and is audited with what changed.
	in := good
	in.Name, in.OtherStationIDs, in.CommunityIDs, in.Pledge = "林晓", []uint64{home.ID}, nil, "有事找我"
	if _, err := models.UpdateDeputy(ctx, e.db, e.admin, d.ID, in, mdT0); err != nil {
		t.Fatal(err)
	}
	got, _ = models.GetManagedDeputy(ctx, e.db, e.admin, d.ID)
	if got.Name != "林晓" || len(got.Stations) != 1 || got.Stations[0].ID != home.ID || len(got.Constituency) != 0 || got.Pledge != "有事找我" {
		t.Errorf("after the edit %+v", got)
	}
	if a := e.audits(d.ID, models.AuditDeputyUpdate); len(a) != 1 || a[0].Note == "" {
		t.Errorf("update audit %+v", a)
	}
	// The primary station is not changed by an edit.
	in.StationID = west.ID
	if _, err := models.UpdateDeputy(ctx, e.db, e.admin, d.ID, in, mdT0); fieldOf(err) != "station_id" {
		t.Errorf("an edit moved the deputy: %v", err)
	}
}

// Ensure a township user sees, edits and creates only township-level
// deputies of its own township: a county deputy or another township's
// deputy is not found, and the list holds only its own.
func TestTownshipManagesItsDeputies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newMDEnv(t)
	own := e.deputy("潘红梅")    // 镇 deputy, 东门 (城关镇)
	county := e.deputy("王桂英") // 县 deputy, 东门
	other := e.deputy("范春生")  // 镇 deputy, 桃源镇
	if _, err := models.GetManagedDeputy(ctx, e.db, e.cg, own.ID); err != nil {
		t.Errorf("own deputy: %v", err)
	}
	for _, d := range []models.Deputy{county, other} {
		if _, err := models.GetManagedDeputy(ctx, e.db, e.cg, d.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: %v, want not found", d.Name, err)
		}
		if _, err := models.RetireDeputy(ctx, e.db, e.cg, d.ID, "2026-11-01", "", mdT0); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("retire %s: %v", d.Name, err)
		}
	}
	rows, counts, err := models.ListManagedDeputies(ctx, e.db, e.cg, models.DeputyQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || counts.Total != int64(len(rows)) {
		t.Fatalf("township list %d rows, counts %+v", len(rows), counts)
	}
	for _, r := range rows {
		if r.Level != models.LevelTownship || r.Township != "城关镇" {
			t.Errorf("township list holds %s (%s, %s)", r.Name, r.Level, r.Township)
		}
	}
	in := models.DeputyInput{Name: "新代表", Level: models.LevelCounty, StationID: e.stations["东门社区代表联络站"].ID}
	if _, err := models.CreateDeputy(ctx, e.db, e.cg, in, mdT0); fieldOf(err) != "level" {
		t.Errorf("township created a county deputy: %v", err)
	}
	in.Level, in.StationID = models.LevelTownship, e.stations["桃源镇代表联络站"].ID
	if _, err := models.CreateDeputy(ctx, e.db, e.cg, in, mdT0); fieldOf(err) != "station_id" {
		t.Errorf("township created a deputy in another township: %v", err)
	}
	in.StationID, in.CommunityIDs = e.stations["东门社区代表联络站"].ID, []uint64{e.comms["桃花村"].ID}
	if _, err := models.CreateDeputy(ctx, e.db, e.cg, in, mdT0); fieldOf(err) != "community_ids" {
		t.Errorf("township used another township's community: %v", err)
	}
	in.CommunityIDs = []uint64{e.comms["东门社区"].ID}
	if _, err := models.CreateDeputy(ctx, e.db, e.cg, in, mdT0); err != nil {
		t.Errorf("township's own deputy: %v", err)
	}
	if _, err := models.MoveDeputy(ctx, e.db, e.cg, own.ID, e.stations["桃源镇代表联络站"].ID, mdT0); fieldOf(err) != "station_id" {
		t.Errorf("township moved its deputy out of the township: %v", err)
	}
	if _, _, err := models.ListManagedDeputies(ctx, e.db, models.ManageScope{}, models.DeputyQuery{}); !errors.Is(err, models.ErrForbidden) {
		t.Errorf("an empty scope lists: %v", err)
	}
}

// Ensure the list's filters and counts: by name, level, station (primary
// or other), township and status.
func TestListManagedDeputies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newMDEnv(t)
	all, counts, err := models.ListManagedDeputies(ctx, e.db, e.admin, models.DeputyQuery{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	e.db.Model(&models.Deputy{}).Count(&n)
	if counts.Total != n || int64(len(all)) != n || counts.Retired < 2 || counts.Active+counts.Retired != n {
		t.Errorf("all: %d rows, counts %+v, %d in the table", len(all), counts, n)
	}
	if all[0].Level == models.LevelTownship || all[len(all)-1].Level != models.LevelTownship {
		t.Errorf("not ordered by level: first %s, last %s", all[0].Level, all[len(all)-1].Level)
	}
	rows, _, _ := models.ListManagedDeputies(ctx, e.db, e.admin, models.DeputyQuery{Query: "红梅"})
	if len(rows) != 1 || rows[0].Name != "潘红梅" || rows[0].StationName != "东门社区代表联络站" {
		t.Errorf("by name: %+v", rows)
	}
	if rows, _, _ := models.ListManagedDeputies(ctx, e.db, e.admin, models.DeputyQuery{Query: "%"}); len(rows) != 0 {
		t.Errorf("a %% matched %d deputies", len(rows))
	}
	if _, err := models.CreateDeputy(ctx, e.db, e.admin, models.DeputyInput{Name: "王_测!", Level: models.LevelCity,
		StationID: e.stations["东门社区代表联络站"].ID}, mdT0); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"_", "!", "_测!"} {
		if rows, _, _ := models.ListManagedDeputies(ctx, e.db, e.admin, models.DeputyQuery{Query: q}); len(rows) != 1 || rows[0].Name != "王_测!" {
			t.Errorf("search %q: %d rows", q, len(rows))
		}
	}
	rows, c, _ := models.ListManagedDeputies(ctx, e.db, e.admin, models.DeputyQuery{Status: models.DeputyRetired})
	if int64(len(rows)) != c.Retired || c.Total != c.Retired {
		t.Errorf("retired: %d rows, %+v", len(rows), c)
	}
	for _, r := range rows {
		if r.Status != models.DeputyRetired {
			t.Errorf("retired filter holds %s", r.Name)
		}
	}
	rows, _, _ = models.ListManagedDeputies(ctx, e.db, e.admin, models.DeputyQuery{Level: models.LevelProvincial, Township: "东溪街道"})
	if len(rows) != 1 || rows[0].Name != "何慧敏" {
		t.Errorf("provincial in 东溪街道: %+v", rows)
	}
	// A deputy who also serves a station is listed under it.
	west := e.stations["西街社区代表联络站"]
	d := e.deputy("沈国良")
	in := models.DeputyInput{Name: d.Name, Level: d.Level, StationID: d.StationID, OtherStationIDs: []uint64{west.ID}}
	if _, err := models.UpdateDeputy(ctx, e.db, e.admin, d.ID, in, mdT0); err != nil {
		t.Fatal(err)
	}
	rows, _, _ = models.ListManagedDeputies(ctx, e.db, e.admin, models.DeputyQuery{StationID: west.ID, Limit: 200})
	found := false
	for _, r := range rows {
		found = found || r.ID == d.ID
		if r.StationID != west.ID && r.ID != d.ID {
			t.Errorf("station filter holds %s of station %d", r.Name, r.StationID)
		}
	}
	if !found {
		t.Errorf("沈国良, who also serves 西街, is not listed under it")
	}
}

// Ensure retiring and moving: retire sets the status and the term's end,
// refuses a date before the term and a second retirement, is audited, and
// the code keeps routing to the primary station; a move changes where the
// code routes from now on, leaves filed items where they are, and is
// audited.
func TestRetireAndMoveDeputy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newMDEnv(t)
	d := e.deputy("王桂英")
	east, west := e.stations["东门社区代表联络站"], e.stations["西街社区代表联络站"]
	code, err := models.EnsureDeputyCode(ctx, e.db, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	route := func() models.RouteResult {
		w, err := models.LoadRouteWorld(ctx, e.db)
		if err != nil {
			t.Fatal(err)
		}
		return models.Route(models.RouteInput{Code: code.Code, At: mdT0}, w)
	}
	if r := route(); r.StationID != east.ID || r.Rule != models.RuleCodeDeputy {
		t.Fatalf("before: %+v", r)
	}
	// An item filed before the move.
	op := models.Opinion{TrackingNo: "T-MOVE-1", StationID: east.ID, Content: "东门菜场门口积水", Status: models.OpinionSubmitted}
	if err := e.db.Omit("Photos").Create(&op).Error; err != nil {
		t.Logf("seeding an item: %v (skipped)", err)
		op.ID = 0
	}
	if _, err := models.MoveDeputy(ctx, e.db, e.admin, d.ID, east.ID, mdT0); fieldOf(err) != "station_id" {
		t.Errorf("move to the same station: %v", err)
	}
	if _, err := models.MoveDeputy(ctx, e.db, e.admin, d.ID, 99999, mdT0); fieldOf(err) != "station_id" {
		t.Errorf("move to no station: %v", err)
	}
	moved, err := models.MoveDeputy(ctx, e.db, e.admin, d.ID, west.ID, mdT0)
	if err != nil || moved.StationID != west.ID {
		t.Fatalf("move: %+v %v", moved, err)
	}
	if r := route(); r.StationID != west.ID || r.Rule != models.RuleCodeDeputy {
		t.Errorf("after the move the code routes %+v, want 西街", r)
	}
	if op.ID != 0 {
		var again models.Opinion
		e.db.First(&again, op.ID)
		if again.StationID != east.ID {
			t.Errorf("the filed item moved to %d", again.StationID)
		}
	}
	a := e.audits(d.ID, models.AuditDeputyMove)
	if len(a) != 1 || a[0].FromState != strconv.FormatUint(east.ID, 10) || a[0].ToState != strconv.FormatUint(west.ID, 10) {
		t.Errorf("move audit %+v", a)
	}
	// Retire.
	if err := e.db.Model(&models.Deputy{}).Where("id = ?", d.ID).Update("term_start", "2022-01-01").Error; err != nil {
		t.Fatal(err)
	}
	if _, err := models.RetireDeputy(ctx, e.db, e.admin, d.ID, "2021-12-31", "", mdT0); fieldOf(err) != "date" {
		t.Errorf("retire before the term: %v", err)
	}
	if _, err := models.RetireDeputy(ctx, e.db, e.admin, d.ID, "", "", mdT0); fieldOf(err) != "date" {
		t.Errorf("retire without a date: %v", err)
	}
	r, err := models.RetireDeputy(ctx, e.db, e.admin, d.ID, "2026-11-20", "工作调动", mdT0)
	if err != nil || r.Status != models.DeputyRetired || r.TermEnd != "2026-11-20" {
		t.Fatalf("retire: %+v %v", r, err)
	}
	if _, err := models.RetireDeputy(ctx, e.db, e.admin, d.ID, "2026-11-21", "", mdT0); !errors.Is(err, models.ErrConflict) {
		t.Errorf("retired twice: %v", err)
	}
	if r := route(); r.StationID != west.ID || r.Rule != models.RuleCodeRetiredDeputy {
		t.Errorf("a retired deputy's code routes %+v, want their primary station", r)
	}
	if a := e.audits(d.ID, models.AuditDeputyRetire); len(a) != 1 || a[0].ToState != "retired" || a[0].Note != "离任日期 2026-11-20；工作调动" {
		t.Errorf("retire audit %+v", a)
	}
	if _, err := models.ReinstateDeputy(ctx, e.db, e.admin, d.ID, mdT0); err != nil {
		t.Errorf("reinstate: %v", err)
	}
	if a := e.audits(d.ID, models.AuditDeputyReinstate); len(a) != 1 {
		t.Errorf("reinstate audit %+v", a)
	}
}
