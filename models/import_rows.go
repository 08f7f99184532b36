package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// The columns of the import templates and the checks of one row: what a
// cell may hold, in the words the office uses. import.go reads the sheet,
// checks the rows against the database and writes them.

// ImportKind is what an import file holds.
type ImportKind string

// The kinds of import.
const (
	ImportDeputies    ImportKind = "deputies"
	ImportStations    ImportKind = "stations"
	ImportCommunities ImportKind = "communities"
)

// ImportKinds lists the kinds in the order the page offers them: stations
// first, because communities and deputies name their station.
var ImportKinds = []ImportKind{ImportStations, ImportCommunities, ImportDeputies}

// Valid reports whether k is a known kind.
func (k ImportKind) Valid() bool {
	return k == ImportDeputies || k == ImportStations || k == ImportCommunities
}

// Label is the Chinese name of what the file holds.
func (k ImportKind) Label() string {
	switch k {
	case ImportDeputies:
		return "代表名册"
	case ImportStations:
		return "联络站"
	case ImportCommunities:
		return "村（社区）"
	}
	return string(k)
}

// SheetName is the name of the template's data sheet.
func (k ImportKind) SheetName() string { return k.Label() }

// importColumn is one column of a template.
type importColumn struct {
	Header string
	// Help explains the column on the template's second sheet (说明).
	Help     string
	Required bool
	// Choices are the allowed values, offered as a drop-down.
	Choices []string
	// Example is the cell of the template's example row.
	Example string
	Width   float64
}

// Choices of the enumerated columns.
var (
	importLevelChoices = []string{"全国", "省", "市", "县", "镇"}
	importLevels       = map[string]Level{
		"全国": LevelNational, "省": LevelProvincial, "市": LevelCity, "县": LevelCounty, "镇": LevelTownship, "乡": LevelTownship,
		"全国人大代表": LevelNational, "省人大代表": LevelProvincial, "市人大代表": LevelCity,
		"县人大代表": LevelCounty, "镇人大代表": LevelTownship, "乡人大代表": LevelTownship,
	}
	importKindChoices = []string{KindHome.Label(), KindStation.Label(), KindLegislative.Label()}
)

// importListSeps split the cells that hold several names ("、", also "，"
// ",", "；" ";" and line breaks, which people type as well).
var importListSeps = strings.NewReplacer("，", "、", ",", "、", "；", "、", ";", "、", "\n", "、", "|", "、", "／", "、", "/", "、")

// importColumns are the templates' columns, by kind.
var importColumns = map[ImportKind][]importColumn{
	ImportDeputies: {
		{Header: "姓名", Required: true, Help: "代表的姓名，必填，不超过 50 个字。与已登记的代表同名的，更新这位代表的资料；否则新增一位代表。", Example: "张三", Width: 10},
		{Header: "层级", Required: true, Help: "必填，填 全国、省、市、县、镇 之一（所当选的人民代表大会）。", Choices: importLevelChoices, Example: "县", Width: 8},
		{Header: "主联络站", Required: true, Help: "必填，已登记的联络站（代表之家、代表联络站或基层立法联系点）的全称；代表的二维码指向这个站。", Example: "东门社区代表联络站", Width: 24},
		{Header: "其他联络站", Help: "代表同时进站的其他联络站，多个用顿号“、”分隔，可不填。", Example: "", Width: 24},
		{Header: "选区(村/社区)", Help: "直接选举的代表所在选区的村（社区），填已登记的村（社区）名称，多个用顿号“、”分隔，可不填。", Example: "东门社区", Width: 20},
		{Header: "代表小组", Help: "所在代表小组，可不填；在几个小组的用“、”隔开。已登记的小组直接加入；还没有登记的小组导入时新建（成员都在同一乡镇（街道）的联络站的，建为该乡镇（街道）的小组，否则为县级小组），组长请在“代表小组”页面指定。导入只加入小组，不会把代表移出原来的小组。", Example: "城关镇代表小组", Width: 16},
		{Header: "届次", Help: "如：第十八届，可不填，不超过 50 个字。", Example: "第十八届", Width: 10},
		{Header: "任期开始", Help: "日期，如 2021-12-01（也可写 2021/12/1 或 2021年12月1日），可不填。", Example: "2021-12-01", Width: 12},
		{Header: "任期结束", Help: "日期，写法同上，不早于任期开始，可不填。", Example: "2026-11-30", Width: 12},
		{Header: "职务", Help: "代表的工作单位和职务，显示在代表名片上，可不填，不超过 200 个字。", Example: "东门社区党委书记", Width: 20},
		{Header: "履职承诺", Help: "公开的履职承诺，显示在代表名片上，可不填，不超过 500 个字。", Example: "每月到站接待选民一次", Width: 30},
		{Header: "简介", Help: "代表简介，可不填，不超过 2000 个字。", Example: "", Width: 30},
	},
	ImportStations: {
		{Header: "名称", Required: true, Help: "联络站的全称，必填，不超过 100 个字。与已登记的联络站同名的，更新它的资料；否则新增。", Example: "示范社区代表联络站", Width: 24},
		{Header: "类型", Required: true, Help: "必填，填 代表之家、代表联络站、基层立法联系点 之一。", Choices: importKindChoices, Example: KindStation.Label(), Width: 14},
		{Header: "乡镇(街道)", Required: true, Help: "所在乡镇（街道），必填，不超过 50 个字；乡镇（街道）人大的工作人员只能导入本乡镇（街道）的联络站。", Example: "城关镇", Width: 12},
		{Header: "地址", Required: true, Help: "详细地址，必填，不超过 255 个字。", Example: "城关镇示范路 1 号", Width: 28},
		{Header: "纬度", Required: true, Help: "地图上的纬度，必填，如 29.5630（群众附近的联络站据此查找）。", Example: "29.5630", Width: 10},
		{Header: "经度", Required: true, Help: "地图上的经度，必填，如 106.5516。", Example: "106.5516", Width: 10},
		{Header: "开放时间", Required: true, Help: "必填，如：每周一至周五 9:00-17:00，不超过 100 个字。", Example: "每周一至周五 9:00-17:00", Width: 24},
		{Header: "电话", Help: "对外电话，可不填，只能有数字、空格和“-”，不超过 30 个字符。", Example: "023-12345678", Width: 14},
	},
	ImportCommunities: {
		{Header: "名称", Required: true, Help: "村（社区）的全称，必填，不超过 100 个字。与已登记的村（社区）同名的，更新它；否则新增。", Example: "示范社区", Width: 16},
		{Header: "所属联络站", Required: true, Help: "必填，已登记的联络站的全称：这个村（社区）群众的意见建议交给它办理。", Example: "东门社区代表联络站", Width: 24},
		{Header: "乡镇(街道)", Help: "所在乡镇（街道），不填时取所属联络站的乡镇（街道）。", Example: "", Width: 12},
		{Header: "别名", Help: "群众常用的其他叫法，多个用顿号“、”分隔，可不填（如：示范村、老示范）。", Example: "示范村", Width: 20},
	},
}

// ImportHeaders are the column headers of kind's template, in order.
func ImportHeaders(kind ImportKind) []string {
	cols := importColumns[kind]
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Header
	}
	return out
}

// importExamplePrefix marks the template's example row, which the import
// skips.
const importExamplePrefix = "示例："

// ImportRowError is one problem of one row of an import file.
type ImportRowError struct {
	// Row is the row's number in the sheet (the header is row 1); 0 is the
	// file as a whole.
	Row int `json:"row"`
	// Column is the header of the column at fault, "" for the row.
	Column string `json:"column,omitempty"`
	// Message says what is wrong, in Chinese.
	Message string `json:"message"`
}

// Text is the line shown to the office: "第5行：层级“区级”不正确，……".
func (e ImportRowError) Text() string {
	if e.Row <= 0 {
		return e.Message
	}
	return fmt.Sprintf("第%d行：%s", e.Row, e.Message)
}

// importCells reads one row by header, recording what is wrong with it.
type importCells struct {
	row   int
	cells map[string]string
	errs  []ImportRowError
}

func (r *importCells) fail(col, format string, args ...any) {
	r.errs = append(r.errs, ImportRowError{Row: r.row, Column: col, Message: fmt.Sprintf(format, args...)})
}

// text is a one-line cell, checked for presence and length (in characters,
// as the columns are sized).
func (r *importCells) text(col string, required bool, max int) string {
	return r.check(col, CleanLine(r.cells[col]), required, max)
}

// para is a cell that may hold line breaks (a bio, a pledge).
func (r *importCells) para(col string, max int) string {
	return r.check(col, strings.TrimSpace(CleanText(r.cells[col])), false, max)
}

func (r *importCells) check(col, v string, required bool, max int) string {
	if v == "" {
		if required {
			r.fail(col, "“%s”不能为空", col)
		}
		return ""
	}
	if n := utf8.RuneCountInString(v); n > max {
		r.fail(col, "“%s”有 %d 个字，最多 %d 个字", col, n, max)
		return ""
	}
	return v
}

// list is a cell of names separated by "、".
func (r *importCells) list(col string, maxEach int) []string {
	v := importListSeps.Replace(CleanLine(r.cells[col]))
	var out []string
	seen := map[string]bool{}
	for _, s := range strings.Split(v, "、") {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		if utf8.RuneCountInString(s) > maxEach {
			r.fail(col, "“%s”中的“%s”太长，最多 %d 个字", col, Shorten(s, 20, "…"), maxEach)
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// level is the 层级 cell.
func (r *importCells) level(col string) Level {
	v := r.text(col, true, 20)
	if v == "" {
		return ""
	}
	l, ok := importLevels[strings.TrimSuffix(v, "级")]
	if !ok {
		l, ok = importLevels[v]
	}
	if !ok {
		r.fail(col, "层级“%s”不正确，应为 %s 之一", v, strings.Join(importLevelChoices, "/"))
		return ""
	}
	return l
}

// stationKind is the 类型 cell.
func (r *importCells) stationKind(col string) StationKind {
	v := r.text(col, true, 20)
	if v == "" {
		return ""
	}
	for _, k := range []StationKind{KindHome, KindStation, KindLegislative} {
		if v == k.Label() || v == string(k) {
			return k
		}
	}
	r.fail(col, "类型“%s”不正确，应为 %s 之一", v, strings.Join(importKindChoices, "/"))
	return ""
}

// date is a date cell: "2021-12-01", "2021/12/1", "2021.12.1",
// "2021年12月1日", or Excel's day number when the cell is a date.
func (r *importCells) date(col string) string {
	v := r.text(col, false, 20)
	if v == "" {
		return ""
	}
	if d, ok := parseImportDate(v); ok {
		return d
	}
	r.fail(col, "“%s”的日期“%s”看不懂，请写成 2021-12-01 这样", col, v)
	return ""
}

func parseImportDate(v string) (string, bool) {
	s := strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-").Replace(v)
	if t, err := time.Parse("2006-1-2", s); err == nil && t.Year() >= 1949 && t.Year() <= 2100 {
		return t.Format("2006-01-02"), true
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n > 18000 && n < 80000 {
		if t, err := excelize.ExcelDateToTime(n, false); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// coord is a latitude or longitude within China's extent.
func (r *importCells) coord(col string, lo, hi float64) float64 {
	v := r.text(col, true, 30)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < lo || f > hi {
		r.fail(col, "“%s”应为 %g 到 %g 之间的数字，现在是“%s”", col, lo, hi, v)
		return 0
	}
	return f
}

// phone is an optional public phone number.
func (r *importCells) phone(col string) string {
	v := r.text(col, false, 30)
	for _, c := range v {
		if (c < '0' || c > '9') && c != '-' && c != ' ' && c != '+' && c != '(' && c != ')' {
			r.fail(col, "电话“%s”只能有数字、空格和“-”", v)
			return ""
		}
	}
	return v
}

// deputyRow is a checked row of a deputies file.
type deputyRow struct {
	Row          int
	Name         string
	Level        Level
	Station      string
	Others       []string
	Constituency []string
	// Groups are the names of the deputy groups the row adds the deputy to.
	Groups              []string
	Term                string
	TermStart, TermEnd  string
	Duties, Pledge, Bio string
}

func readDeputyRow(r *importCells) deputyRow {
	d := deputyRow{
		Row:          r.row,
		Name:         r.text("姓名", true, 50),
		Level:        r.level("层级"),
		Station:      r.text("主联络站", true, 100),
		Others:       r.list("其他联络站", 100),
		Constituency: r.list("选区(村/社区)", 100),
		Groups:       r.list("代表小组", MaxGroupName),
		Term:         r.text("届次", false, 50),
		TermStart:    r.date("任期开始"),
		TermEnd:      r.date("任期结束"),
		Duties:       r.text("职务", false, 200),
		Pledge:       r.para("履职承诺", 500),
		Bio:          r.para("简介", 2000),
	}
	if d.TermStart != "" && d.TermEnd != "" && d.TermEnd < d.TermStart {
		r.fail("任期结束", "任期结束（%s）早于任期开始（%s）", d.TermEnd, d.TermStart)
	}
	return d
}

// stationRow is a checked row of a stations file.
type stationRow struct {
	Row       int
	Name      string
	Kind      StationKind
	District  string
	Address   string
	Lat, Lng  float64
	OpenHours string
	Phone     string
}

func readStationRow(r *importCells) stationRow {
	return stationRow{
		Row:       r.row,
		Name:      r.text("名称", true, 100),
		Kind:      r.stationKind("类型"),
		District:  r.text("乡镇(街道)", true, 50),
		Address:   r.text("地址", true, 255),
		Lat:       r.coord("纬度", 3, 54),
		Lng:       r.coord("经度", 73, 136),
		OpenHours: r.text("开放时间", true, 100),
		Phone:     r.phone("电话"),
	}
}

// communityRow is a checked row of a communities file.
type communityRow struct {
	Row      int
	Name     string
	Station  string
	District string
	Aliases  []string
}

func readCommunityRow(r *importCells) communityRow {
	c := communityRow{
		Row:      r.row,
		Name:     r.text("名称", true, 100),
		Station:  r.text("所属联络站", true, 100),
		District: r.text("乡镇(街道)", false, 50),
		Aliases:  r.list("别名", 50),
	}
	if n := utf8.RuneCountInString(strings.Join(c.Aliases, "|")); n > 500 {
		r.fail("别名", "别名合计 %d 个字，最多 500 个字", n)
	}
	return c
}
