package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"
)

var importNow = time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)

// xlsxOf writes an .xlsx whose first sheet holds rows (the header first).
func xlsxOf(t testing.TB, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func demoDB(t testing.TB) *gorm.DB {
	t.Helper()
	db := modelstest.NewDB(t)
	if _, err := models.LoadDemo(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

var adminScope = models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 7}, All: true}

func deputyLine(name, level, station string) []string {
	return []string{name, level, station, "", "", "城关镇代表小组", "第十八届", "2021-12-01", "2026/11/30", "个体户", "每月进站一次", ""}
}

func importFile(t testing.TB, db *gorm.DB, scope models.ManageScope, kind models.ImportKind, rows [][]string) (models.ImportResult, models.ImportPlan, error) {
	t.Helper()
	sheet, err := models.ReadImportSheet(bytes.NewReader(xlsxOf(t, rows)), kind)
	if err != nil {
		return models.ImportResult{}, models.ImportPlan{}, err
	}
	return models.ApplyImport(context.Background(), db, scope, sheet, "名册.xlsx", importNow)
}

func count(t testing.TB, db *gorm.DB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Ensure a valid roster creates new deputies (with a code, other stations
// and constituency) and updates a registered one by name, keeping what its
// blank cells leave alone, all audited.
func TestImportDeputiesValid(t *testing.T) {
	db := demoDB(t)
	head := models.ImportHeaders(models.ImportDeputies)
	newRow := deputyLine("王新代表", "县", "东门社区代表联络站")
	newRow[3] = "西街社区代表联络站、城关镇人大代表之家"
	newRow[4] = "东门社区，西街社区"
	upd := []string{"潘红梅", "镇人大代表", "西街社区代表联络站", "", "", "", "", "", "", "西街社区网格员", "", ""}
	example := deputyLine("示例：张三", "县", "不存在的站")
	res, plan, err := importFile(t, db, adminScope, models.ImportDeputies, [][]string{head, example, newRow, {}, upd})
	if err != nil {
		t.Fatalf("import: %v %+v", err, plan.Errors)
	}
	if res.Created != 1 || res.Updated != 1 {
		t.Fatalf("result = %+v, want 1 created 1 updated", res)
	}
	var d models.Deputy
	if err := db.Preload("Stations").Preload("Constituency").Where("name = ?", "王新代表").First(&d).Error; err != nil {
		t.Fatal(err)
	}
	if d.Level != models.LevelCounty || d.TermStart != "2021-12-01" || d.TermEnd != "2026-11-30" || d.Status != models.DeputyActive ||
		d.Pledge != "每月进站一次" || len(d.Stations) != 2 || len(d.Constituency) != 2 {
		t.Fatalf("new deputy = %+v", d)
	}
	if count(t, db, &models.Code{}, "kind = ? AND target_id = ? AND revoked = ?", models.CodeDeputy, d.ID, false) != 1 {
		t.Fatal("new deputy has no code")
	}
	var p models.Deputy
	if err := db.Where("name = ?", "潘红梅").First(&p).Error; err != nil {
		t.Fatal(err)
	}
	var west models.Station
	db.Where("name = ?", "西街社区代表联络站").First(&west)
	if p.StationID != west.ID || p.Duties != "西街社区网格员" || p.Bio == "" || p.Term != "第十九届" {
		t.Fatalf("updated deputy = %+v (bio and term kept, station moved)", p)
	}
	if count(t, db, &models.AuditLog{}, "action = ? AND entity_id = ?", "deputy.imported", d.ID) != 1 ||
		count(t, db, &models.AuditLog{}, "action = ? AND entity_id = ?", "deputy.imported", p.ID) != 1 ||
		count(t, db, &models.AuditLog{}, "action = ? AND actor_id = ?", "import.deputies", 7) != 1 {
		t.Fatal("import not audited")
	}
}

// Ensure one bad row refuses the whole file, naming the row in Chinese, and
// writes nothing.
func TestImportOneBadRow(t *testing.T) {
	db := demoDB(t)
	before := count(t, db, &models.Deputy{}, "1 = 1")
	audits := count(t, db, &models.AuditLog{}, "1 = 1")
	rows := [][]string{models.ImportHeaders(models.ImportDeputies),
		deputyLine("甲代表", "县", "东门社区代表联络站"),
		deputyLine("乙代表", "县", "东门社区代表联络站"),
		deputyLine("丙代表", "区级", "东门社区代表联络站"),
		deputyLine("丁代表", "镇", "没有这个站"),
		deputyLine("甲代表", "县", "东门社区代表联络站"),
	}
	rows[2][8] = "2020-01-01"
	_, plan, err := importFile(t, db, adminScope, models.ImportDeputies, rows)
	if !errors.Is(err, models.ErrImportRows) {
		t.Fatalf("err = %v, want ErrImportRows", err)
	}
	var texts []string
	for _, e := range plan.Errors {
		texts = append(texts, e.Text())
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"第3行：任期结束（2020-01-01）早于任期开始（2021-12-01）",
		"第4行：层级“区级”不正确，应为 全国/省/市/县/镇 之一",
		"第5行：联络站“没有这个站”还没有登记",
		"第6行：姓名“甲代表”与第2行重复",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("errors lack %q:\n%s", want, all)
		}
	}
	if n := count(t, db, &models.Deputy{}, "1 = 1"); n != before {
		t.Fatalf("deputies %d → %d: a refused import wrote", before, n)
	}
	if n := count(t, db, &models.AuditLog{}, "1 = 1"); n != audits {
		t.Fatal("a refused import was audited")
	}
}

// Ensure what is not an .xlsx template is refused with a Chinese message.
func TestImportNotExcel(t *testing.T) {
	for name, tc := range map[string]struct {
		file []byte
		want error
	}{
		"text":          {[]byte("姓名,层级\n张三,县\n"), models.ErrImportNotExcel},
		"empty":         {nil, models.ErrImportNotExcel},
		"wrong headers": {xlsxOf(t, [][]string{models.ImportHeaders(models.ImportStations), {"x"}}), nil},
		"header only":   {xlsxOf(t, [][]string{models.ImportHeaders(models.ImportDeputies)}), models.ErrImportEmpty},
	} {
		_, err := models.ReadImportSheet(bytes.NewReader(tc.file), models.ImportDeputies)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		var ce *models.CodedError
		if !errors.As(err, &ce) || !errors.Is(err, models.ErrInvalid) {
			t.Fatalf("%s: err = %v, want a coded invalid error", name, err)
		}
		if tc.want != nil && !errors.Is(err, tc.want) && err != tc.want {
			t.Fatalf("%s: err = %v, want %v", name, err, tc.want)
		}
		if tc.want == nil && !strings.Contains(ce.Msg, "这不是代表名册的模板") {
			t.Fatalf("%s: message %q", name, ce.Msg)
		}
	}
}

// Ensure the template offered for download reads back: headers accepted,
// the example row skipped.
func TestImportTemplateRoundTrip(t *testing.T) {
	for _, k := range models.ImportKinds {
		var buf bytes.Buffer
		if err := models.ImportTemplate(&buf, k, []string{"东门社区代表联络站", "西街社区代表联络站"}); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if sheets := f.GetSheetList(); sheets[0] != k.SheetName() || sheets[1] != "说明" {
			t.Fatalf("%s: sheets %v", k, sheets)
		}
		dvs, _ := f.GetDataValidations(k.SheetName())
		f.Close()
		if k != models.ImportCommunities && len(dvs) == 0 {
			t.Fatalf("%s: no drop-downs", k)
		}
		if _, err := models.ReadImportSheet(bytes.NewReader(buf.Bytes()), k); !errors.Is(err, models.ErrImportEmpty) {
			t.Fatalf("%s: template read = %v, want ErrImportEmpty (example skipped)", k, err)
		}
	}
}

// Ensure a township user imports only within the township.
func TestImportTownshipScope(t *testing.T) {
	db := demoDB(t)
	var east models.Station
	if err := db.Where("name = ?", "东门社区代表联络站").First(&east).Error; err != nil {
		t.Fatal(err)
	}
	var other models.Station
	if err := db.Where("district <> ?", east.District).First(&other).Error; err != nil {
		t.Fatal(err)
	}
	town := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 9}, Township: east.District}
	st := models.ImportHeaders(models.ImportStations)
	_, plan, err := importFile(t, db, town, models.ImportStations, [][]string{st,
		{"新建联络站", "代表联络站", east.District, "某路1号", "30.1", "120.2", "周一至周五", ""},
		{"外镇联络站", "代表联络站", other.District, "某路2号", "30.1", "120.2", "周一至周五", ""},
		{other.Name, "代表联络站", east.District, "某路3号", "30.1", "120.2", "周一至周五", ""},
	})
	if !errors.Is(err, models.ErrImportRows) || len(plan.Errors) != 2 || plan.Errors[0].Row != 3 || plan.Errors[1].Row != 4 {
		t.Fatalf("township stations: err %v, errors %+v", err, plan.Errors)
	}
	_, plan, err = importFile(t, db, town, models.ImportDeputies, [][]string{models.ImportHeaders(models.ImportDeputies),
		deputyLine("本镇代表", "镇", east.Name), deputyLine("外镇代表", "镇", other.Name)})
	if !errors.Is(err, models.ErrImportRows) || len(plan.Errors) != 1 || !strings.Contains(plan.Errors[0].Text(), "第3行：联络站“"+other.Name+"”不在您管理的") {
		t.Fatalf("township deputies: err %v, errors %+v", err, plan.Errors)
	}
	res, _, err := importFile(t, db, town, models.ImportCommunities, [][]string{models.ImportHeaders(models.ImportCommunities),
		{"新社区", east.Name, "", "新村、新区"}})
	if err != nil || res.Created != 1 {
		t.Fatalf("township community: %v %+v", err, res)
	}
	var c models.Community
	db.Where("name = ?", "新社区").First(&c)
	if c.District != east.District || c.StationID != east.ID || c.Aliases != "新村|新区" {
		t.Fatalf("community = %+v", c)
	}
}

// Ensure stations import and get their code.
func TestImportStations(t *testing.T) {
	db := demoDB(t)
	res, plan, err := importFile(t, db, adminScope, models.ImportStations, [][]string{models.ImportHeaders(models.ImportStations),
		{"新桥村代表联络站", "代表联络站", "城关镇", "新桥村村委会", "29.56", "106.55", "每周三 9:00-11:30", "023-1234567"},
		{"东门社区代表联络站", "代表联络站", "城关镇", "东门街 9 号", "29.56", "106.55", "每周一至周五", ""},
	})
	if err != nil || res.Created != 1 || res.Updated != 1 {
		t.Fatalf("import: %v %+v %+v", err, res, plan.Errors)
	}
	var s models.Station
	db.Where("name = ?", "新桥村代表联络站").First(&s)
	if s.Kind != models.KindStation || s.Lat != 29.56 || count(t, db, &models.Code{}, "kind = ? AND target_id = ?", models.CodeStation, s.ID) != 1 {
		t.Fatalf("station = %+v", s)
	}
	var east models.Station
	db.Where("name = ?", "东门社区代表联络站").First(&east)
	if east.Address != "东门街 9 号" || east.Phone == "" {
		t.Fatalf("updated station = %+v (phone kept)", east)
	}
}

// Ensure a 5,000-row roster imports in one go.
func TestImport5000Rows(t *testing.T) {
	db := demoDB(t)
	rows := [][]string{models.ImportHeaders(models.ImportDeputies)}
	for i := range 5000 {
		r := deputyLine(fmt.Sprintf("批量代表%04d", i), "镇", "东门社区代表联络站")
		r[3] = "西街社区代表联络站"
		r[4] = "东门社区"
		rows = append(rows, r)
	}
	file := xlsxOf(t, rows)
	start := time.Now()
	sheet, err := models.ReadImportSheet(bytes.NewReader(file), models.ImportDeputies)
	if err != nil {
		t.Fatal(err)
	}
	read := time.Since(start)
	res, plan, err := models.ApplyImport(context.Background(), db, adminScope, sheet, "big.xlsx", importNow)
	if err != nil || res.Created != 5000 {
		t.Fatalf("import: %v %+v %v", err, res, plan.Errors[:min(3, len(plan.Errors))])
	}
	t.Logf("5000 rows, %d KB: read %v, checked and written %v", len(file)>>10, read, time.Since(start)-read)
	if n := count(t, db, &models.Deputy{}, "name LIKE ?", "批量代表%"); n != 5000 {
		t.Fatalf("%d deputies", n)
	}
	if n := count(t, db, &models.Code{}, "kind = ? AND target_id IN (?)", models.CodeDeputy,
		db.Model(&models.Deputy{}).Select("id").Where("name LIKE ?", "批量代表%")); n != 5000 {
		t.Fatalf("%d codes", n)
	}
	var links int64
	db.Table("deputy_stations").Count(&links)
	if links != 5000 {
		t.Fatalf("%d deputy_stations rows", links)
	}
}

// Ensure a file past MaxImportRows is refused before any check.
func TestImportTooManyRows(t *testing.T) {
	rows := [][]string{models.ImportHeaders(models.ImportCommunities)}
	for i := range models.MaxImportRows + 1 {
		rows = append(rows, []string{fmt.Sprint("社区", i), "东门社区代表联络站"})
	}
	if _, err := models.ReadImportSheet(bytes.NewReader(xlsxOf(t, rows)), models.ImportCommunities); !errors.Is(err, models.ErrImportTooMany) && err != models.ErrImportTooMany {
		t.Fatalf("err = %v", err)
	}
}
