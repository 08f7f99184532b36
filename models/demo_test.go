package models_test

import (
	"context"
	"testing"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

// loadDemoDB loads the demo county into a fresh database and returns both.
func loadDemoDB(t *testing.T) (*gorm.DB, models.DemoStats) {
	t.Helper()
	db := modelstest.NewDB(t)
	st, err := models.LoadDemo(context.Background(), db)
	if err != nil {
		t.Fatalf("LoadDemo: %v", err)
	}
	return db, st
}

func demoCount(t *testing.T, db *gorm.DB, model any, where ...any) int64 {
	t.Helper()
	q := db.Model(model)
	if len(where) > 0 {
		q = q.Where(where[0], where[1:]...)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		t.Fatalf("count %T: %v", model, err)
	}
	return n
}

// Ensure a fresh load creates the whole county, and the stats say so.
func TestLoadDemoCounts(t *testing.T) {
	db, st := loadDemoDB(t)

	if st.Present.Sum() != 0 {
		t.Errorf("fresh database: Present = %+v, want all zero", st.Present)
	}
	if st.New != st.DemoCounts {
		t.Errorf("fresh database: New = %+v, want the totals %+v", st.New, st.DemoCounts)
	}
	checks := []struct {
		name     string
		got, min int
		rows     int64
	}{
		{"stations", st.Stations, 12, demoCount(t, db, &models.Station{})},
		{"communities", st.Communities, 40, demoCount(t, db, &models.Community{})},
		{"deputies", st.Deputies, 60, demoCount(t, db, &models.Deputy{})},
		{"codes", st.Codes, st.Stations + st.Deputies, demoCount(t, db, &models.Code{})},
		{"categories", st.Categories, 8, demoCount(t, db, &models.Category{})},
		{"departments", st.Departments, 6, demoCount(t, db, &models.Department{})},
		{"staff", st.Staff, 3, demoCount(t, db, &models.Staff{})},
	}
	for _, c := range checks {
		if c.got < c.min {
			t.Errorf("%s: %d, want at least %d", c.name, c.got, c.min)
		}
		if int64(c.got) != c.rows {
			t.Errorf("%s: stats say %d, table has %d", c.name, c.got, c.rows)
		}
	}
	if st.Created() != st.Sum() {
		t.Errorf("Created() = %d, want %d", st.Created(), st.Sum())
	}
	if n := demoCount(t, db, &models.AuditLog{}, "action = ?", "demo.load"); n != 1 {
		t.Errorf("demo.load audit rows = %d, want 1", n)
	}
}

// Ensure the kinds, levels and statuses match what the flows need.
func TestLoadDemoShape(t *testing.T) {
	db, _ := loadDemoDB(t)

	for kind, want := range map[models.StationKind]int64{models.KindHome: 1, models.KindLegislative: 1} {
		if n := demoCount(t, db, &models.Station{}, "kind = ?", kind); n != want {
			t.Errorf("%s stations: %d, want %d", kind, n, want)
		}
	}
	var stations []models.Station
	if err := db.Order("id").Find(&stations).Error; err != nil {
		t.Fatal(err)
	}
	byID := map[uint64]models.Station{}
	for _, s := range stations {
		byID[s.ID] = s
		if !s.Kind.Valid() || s.Address == "" || s.District == "" || s.OpenHours == "" || s.Phone == "" {
			t.Errorf("station %s is incomplete: %+v", s.Name, s)
		}
		if err := models.ValidatePoint(s.Lat, s.Lng); err != nil || s.Lat == 0 || s.Lng == 0 {
			t.Errorf("station %s: bad point (%v, %v)", s.Name, s.Lat, s.Lng)
		}
	}

	levels := map[models.Level]int{}
	names := map[string]bool{}
	activeAt := map[uint64]int{}
	var deputies []models.Deputy
	if err := db.Order("id").Find(&deputies).Error; err != nil {
		t.Fatal(err)
	}
	retired := 0
	for _, d := range deputies {
		levels[d.Level]++
		if names[d.Name] {
			t.Errorf("deputy name %s appears twice", d.Name)
		}
		names[d.Name] = true
		if _, ok := byID[d.StationID]; !ok {
			t.Errorf("deputy %s: station %d does not exist", d.Name, d.StationID)
		}
		if d.Group == "" || d.Bio == "" || d.Term == "" {
			t.Errorf("deputy %s is incomplete: %+v", d.Name, d)
		}
		switch d.Status {
		case models.DeputyActive:
			activeAt[d.StationID]++
		case models.DeputyRetired:
			retired++
		default:
			t.Errorf("deputy %s: status %q", d.Name, d.Status)
		}
	}
	wantLevels := map[models.Level]int{
		models.LevelProvincial: 2, models.LevelCity: 6, models.LevelCounty: 28, models.LevelTownship: 24,
	}
	for l, want := range wantLevels {
		if levels[l] != want {
			t.Errorf("%s deputies: %d, want %d", l, levels[l], want)
		}
	}
	if retired != 2 {
		t.Errorf("retired deputies: %d, want 2", retired)
	}
	for _, s := range stations {
		if activeAt[s.ID] == 0 {
			t.Errorf("station %s has no active deputy", s.Name)
		}
	}

	var communities []models.Community
	if err := db.Order("id").Find(&communities).Error; err != nil {
		t.Fatal(err)
	}
	for _, c := range communities {
		if len(c.AliasList()) == 0 {
			t.Errorf("community %s has no aliases", c.Name)
		}
		s, ok := byID[c.StationID]
		if !ok {
			t.Errorf("community %s: station %d does not exist", c.Name, c.StationID)
		} else if s.District != c.District {
			t.Errorf("community %s in %s is served by %s in %s", c.Name, c.District, s.Name, s.District)
		}
	}

	wantCats := map[string]string{
		"shenghuo": "生活服务", "chengxiang": "城乡建设", "jiaotong": "交通出行", "jiaoyi": "教育医疗",
		"shengtai": "生态环境", "shehui": "社会治理", "lifa": "立法意见", "qita": "其他",
	}
	var cats []models.Category
	if err := db.Order("sort_order").Find(&cats).Error; err != nil {
		t.Fatal(err)
	}
	if len(cats) != len(wantCats) {
		t.Errorf("categories: %d, want %d", len(cats), len(wantCats))
	}
	for _, c := range cats {
		if wantCats[c.Code] != c.Name {
			t.Errorf("category %s = %s, want %s", c.Code, c.Name, wantCats[c.Code])
		}
		if c.Hint == "" || c.AcceptDays != 2 || c.ReplyDays <= 0 {
			t.Errorf("category %s: %+v", c.Code, c)
		}
	}

	var staff []models.Staff
	if err := db.Preload("Stations").Order("id").Find(&staff).Error; err != nil {
		t.Fatal(err)
	}
	admins := 0
	for _, s := range staff {
		if s.PasswordHash != "" || s.OAOpenID != nil || s.Username != nil || !s.Active {
			t.Errorf("staff %s should be active with no account yet: %+v", s.Name, s)
		}
		if s.Role == models.RoleAdmin {
			admins++
		} else if len(s.Stations) != 1 {
			t.Errorf("staff %s: %d stations, want 1", s.Name, len(s.Stations))
		}
	}
	if admins != 1 {
		t.Errorf("admins: %d, want 1", admins)
	}
}

// Ensure every deputy and station has exactly one live, well-formed code.
func TestLoadDemoCodes(t *testing.T) {
	db, _ := loadDemoDB(t)
	ctx := context.Background()
	for _, kind := range []models.CodeKind{models.CodeDeputy, models.CodeStation} {
		var ids []uint64
		model := any(&models.Deputy{})
		if kind == models.CodeStation {
			model = &models.Station{}
		}
		if err := db.Model(model).Order("id").Pluck("id", &ids).Error; err != nil {
			t.Fatal(err)
		}
		primary, err := models.PrimaryCodes(ctx, db, kind, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			code, ok := primary[id]
			if !ok {
				t.Errorf("%s %d has no live code", kind, id)
				continue
			}
			if norm, ok := models.NormalizeCode(code); !ok || norm != code {
				t.Errorf("%s %d: code %q is not a normalised code", kind, id, code)
			}
			if n := demoCount(t, db, &models.Code{}, "kind = ? AND target_kind = ? AND target_id = ? AND revoked = ?", kind, kind, id, false); n != 1 {
				t.Errorf("%s %d: %d live codes, want 1", kind, id, n)
			}
		}
	}
}

// Ensure a second run creates nothing and changes no row count.
func TestLoadDemoIdempotent(t *testing.T) {
	db, first := loadDemoDB(t)
	tables := []any{
		&models.Station{}, &models.Community{}, &models.Deputy{}, &models.Code{},
		&models.Category{}, &models.Department{}, &models.Staff{}, &models.AuditLog{},
	}
	before := make([]int64, len(tables))
	for i, m := range tables {
		before[i] = demoCount(t, db, m)
	}
	var links int64
	if err := db.Table("staff_stations").Count(&links).Error; err != nil {
		t.Fatal(err)
	}

	second, err := models.LoadDemo(context.Background(), db)
	if err != nil {
		t.Fatalf("second LoadDemo: %v", err)
	}
	if second.Created() != 0 {
		t.Errorf("second run created %d rows: %+v", second.Created(), second.New)
	}
	if second.Present != first.New || second.DemoCounts != first.DemoCounts {
		t.Errorf("second run: %v; first: %v", second, first)
	}
	for i, m := range tables {
		if n := demoCount(t, db, m); n != before[i] {
			t.Errorf("%T: %d rows after the second run, %d before", m, n, before[i])
		}
	}
	var links2 int64
	if err := db.Table("staff_stations").Count(&links2).Error; err != nil {
		t.Fatal(err)
	}
	if links2 != links {
		t.Errorf("staff_stations: %d rows after the second run, %d before", links2, links)
	}
}

// Ensure the codes depend only on the data, so README examples work anywhere.
func TestLoadDemoDeterministic(t *testing.T) {
	codesByName := func(db *gorm.DB) map[string]string {
		t.Helper()
		var rows []struct{ Name, Code string }
		err := db.Table("codes").Select("deputies.name AS name, codes.code AS code").
			Joins("JOIN deputies ON deputies.id = codes.target_id AND codes.kind = ?", models.CodeDeputy).
			Scan(&rows).Error
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range rows {
			out[r.Name] = r.Code
		}
		return out
	}
	a, _ := loadDemoDB(t)
	b, _ := loadDemoDB(t)
	ca, cb := codesByName(a), codesByName(b)
	if len(ca) != 60 {
		t.Fatalf("deputy codes: %d, want 60", len(ca))
	}
	for name, code := range ca {
		if cb[name] != code {
			t.Errorf("deputy %s: code %s in one database, %s in another", name, code, cb[name])
		}
	}
}

// Ensure the sample codes are stable and resolve to the first deputy and station.
func TestDemoSampleCodes(t *testing.T) {
	deputyCode, stationCode := models.DemoSampleCodes()
	// Pinned: the README names these codes. Changing the derivation or the
	// first rows of the demo tables breaks the README's examples.
	if deputyCode != "KKDRS88A" || stationCode != "BUV3AYYR" {
		t.Errorf("DemoSampleCodes() = %s, %s; update the README if this change is intended", deputyCode, stationCode)
	}
	db, _ := loadDemoDB(t)
	ctx := context.Background()

	v, err := models.ResolveCode(ctx, db, deputyCode)
	if err != nil {
		t.Fatalf("ResolveCode(%s): %v", deputyCode, err)
	}
	if v.Kind != models.CodeDeputy || v.Deputy == nil || v.Deputy.Name != "沈国良" || v.Notice != "" {
		t.Errorf("deputy code resolved to %+v", v)
	}
	if v.Deputy != nil && (v.Deputy.Code != deputyCode || v.Deputy.Level != models.LevelProvincial) {
		t.Errorf("deputy view: %+v", *v.Deputy)
	}

	v, err = models.ResolveCode(ctx, db, stationCode)
	if err != nil {
		t.Fatalf("ResolveCode(%s): %v", stationCode, err)
	}
	if v.Kind != models.CodeStation || v.Station == nil || v.Station.Name != "城关镇人大代表之家" || v.Station.Kind != models.KindHome {
		t.Errorf("station code resolved to %+v", v)
	}
	if v.Station != nil && len(v.Station.Deputies) == 0 {
		t.Errorf("station %s lists no deputies", v.Station.Name)
	}
}

// Ensure a retired deputy's code still resolves, to the station with a notice.
func TestDemoRetiredDeputyNotice(t *testing.T) {
	db, _ := loadDemoDB(t)
	ctx := context.Background()
	var ids []uint64
	if err := db.Model(&models.Deputy{}).Where("status = ?", models.DeputyRetired).Order("id").Pluck("id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		t.Fatal("no retired deputy")
	}
	codes, err := models.PrimaryCodes(ctx, db, models.CodeDeputy, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		v, err := models.ResolveCode(ctx, db, codes[id])
		if err != nil {
			t.Fatalf("ResolveCode(%s): %v", codes[id], err)
		}
		if v.Notice == "" || v.Kind != models.CodeStation || v.Station == nil {
			t.Errorf("retired deputy %d resolved to %+v", id, v)
		}
	}
}

// Ensure the map is spread out enough for "nearest station" to mean something.
func TestDemoStationsNearest(t *testing.T) {
	db, _ := loadDemoDB(t)
	ctx := context.Background()
	cases := []struct {
		at   models.Point
		want string
	}{
		{models.Point{Lat: 30.2684, Lng: 120.1482}, "城关镇人大代表之家"},
		{models.Point{Lat: 30.3500, Lng: 120.1200}, "桃花村代表联络站"},
		{models.Point{Lat: 30.1970, Lng: 120.0800}, "白沙镇代表联络站"},
		{models.Point{Lat: 30.2000, Lng: 120.2400}, "龙潭村代表联络站"},
	}
	for _, c := range cases {
		list, _, err := models.ListStations(ctx, db, models.StationQuery{Near: &c.at, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if list[0].Name != c.want {
			t.Errorf("nearest to %+v: %s, want %s", c.at, list[0].Name, c.want)
		}
		if far := *list[len(list)-1].DistanceM; far < 8000 {
			t.Errorf("farthest station from %+v is only %d m away", c.at, far)
		}
	}
}

// Ensure a taken code is skipped deterministically and rows that already
// have a code keep it.
func TestLoadDemoCodeCollision(t *testing.T) {
	ctx := context.Background()
	deputyCode, _ := models.DemoSampleCodes()
	load := func() string {
		db := modelstest.NewDB(t)
		// A board code that happens to hold the first deputy's derived code.
		taken := models.Code{Code: deputyCode, Kind: models.CodeBoard, TargetKind: models.CodeStation, TargetID: 999, Label: "占用"}
		if err := db.Create(&taken).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := models.LoadDemo(ctx, db); err != nil {
			t.Fatalf("LoadDemo: %v", err)
		}
		var d models.Deputy
		if err := db.Where("name = ?", "沈国良").First(&d).Error; err != nil {
			t.Fatal(err)
		}
		codes, err := models.PrimaryCodes(ctx, db, models.CodeDeputy, []uint64{d.ID})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := models.LoadDemo(ctx, db); err != nil || st.Created() != 0 {
			t.Fatalf("second LoadDemo: created %d, err %v", st.Created(), err)
		}
		return codes[d.ID]
	}
	a, b := load(), load()
	if a == deputyCode || a == "" {
		t.Fatalf("deputy got code %q next to a taken %q", a, deputyCode)
	}
	if _, ok := models.NormalizeCode(a); !ok {
		t.Errorf("fallback code %q is malformed", a)
	}
	if a != b {
		t.Errorf("fallback codes differ between databases: %s, %s", a, b)
	}
}

// Ensure a deputy who already has a code (e.g. from EnsureCodes) keeps it.
func TestLoadDemoKeepsExistingCode(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	st := models.Station{Kind: models.KindHome, Name: "城关镇人大代表之家", Address: "已有地址", District: "城关镇", Lat: 30.1, Lng: 120.1, OpenHours: "周一"}
	if err := db.Create(&st).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := models.EnsureCodes(ctx, db); err != nil {
		t.Fatal(err)
	}
	before, err := models.PrimaryCodes(ctx, db, models.CodeStation, []uint64{st.ID})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := models.LoadDemo(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Present.Stations != 1 || stats.Present.Codes != 1 {
		t.Errorf("present: %+v, want the station and its code", stats.Present)
	}
	var got models.Station
	if err := db.First(&got, st.ID).Error; err != nil {
		t.Fatal(err)
	}
	if got.Address != "已有地址" {
		t.Errorf("existing station was overwritten: %+v", got)
	}
	after, err := models.PrimaryCodes(ctx, db, models.CodeStation, []uint64{st.ID})
	if err != nil {
		t.Fatal(err)
	}
	if after[st.ID] != before[st.ID] {
		t.Errorf("station code changed from %s to %s", before[st.ID], after[st.ID])
	}
	if n := demoCount(t, db, &models.Code{}, "kind = ? AND target_id = ?", models.CodeStation, st.ID); n != 1 {
		t.Errorf("station has %d codes, want 1", n)
	}
}
