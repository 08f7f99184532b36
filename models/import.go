package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Importing stations, communities and deputies from the office's Excel
// ledgers (docs/ARCHITECTURE.md#excel): ReadImportSheet reads the file,
// CheckImport checks every row against the file itself and the database,
// and ApplyImport checks again and writes all rows in one transaction, or
// nothing when any row is wrong. A row whose name is already registered
// updates that record; any other row creates one. Blank optional cells keep
// what is stored, so a roster without bios does not wipe them.

// Bounds of an import file: the upload, the rows and the unpacked size (a
// zip bomb stops at UnzipSizeLimit).
const (
	MaxImportBytes = 5 << 20
	MaxImportRows  = 10000
	// importUnzipLimit caps the unpacked size of all the file's parts;
	// importXMLInMemory is the largest part excelize keeps in memory (a
	// larger one goes to a temporary file).
	importUnzipLimit  = 64 << 20
	importXMLInMemory = 16 << 20
	// importMaxErrors is how many row errors a check collects.
	importMaxErrors = 500
)

// Import errors.
var (
	ErrImportNotExcel = Coded(ErrInvalid, "import_not_xlsx", "这个文件不是 Excel 表格（.xlsx），请下载模板，填好后另存为 .xlsx 再上传")
	ErrImportTooBig   = Coded(ErrInvalid, "import_too_big", "文件解压后太大，请检查是否选错了文件，或者分成几个文件导入")
	ErrImportEmpty    = Coded(ErrInvalid, "import_empty", "表格里没有要导入的行（以“示例：”开头的示例行不会导入）")
	ErrImportTooMany  = Coded(ErrInvalid, "import_too_many_rows", fmt.Sprintf("一个文件最多导入 %d 行，请分成几个文件导入", MaxImportRows))
	// ErrImportRows refuses an import with wrong rows; the plan lists them.
	ErrImportRows = Coded(ErrInvalid, "import_rows", "表格中有不正确的行，没有导入任何数据，请改正后重新上传")
)

// ImportLine is one data row of an import file: its row number in the
// sheet and its cells, in the template's column order.
type ImportLine struct {
	Row   int      `json:"r"`
	Cells []string `json:"c"`
}

// ImportSheet is a read import file, kept between the check and the
// confirmation.
type ImportSheet struct {
	Kind  ImportKind   `json:"kind"`
	Lines []ImportLine `json:"lines"`
}

// normHeader makes full-width and half-width brackets and spaces alike.
var normHeader = strings.NewReplacer("（", "(", "）", ")", " ", "", "　", "", "*", "")

// ReadImportSheet reads the data sheet of an .xlsx file of kind: the
// template's sheet, else the first sheet. Row 1 must hold the template's
// headers; blank rows and the example row are skipped.
func ReadImportSheet(r io.Reader, kind ImportKind) (ImportSheet, error) {
	if !kind.Valid() {
		return ImportSheet{}, ErrNotFound
	}
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: importUnzipLimit, UnzipXMLSizeLimit: importXMLInMemory})
	if errors.Is(err, excelize.ErrOptionsUnzipSizeLimit) {
		return ImportSheet{}, ErrImportTooBig
	}
	if err != nil {
		return ImportSheet{}, ErrImportNotExcel
	}
	defer f.Close()
	sheets := f.GetSheetList()
	sheet := ""
	for _, s := range sheets {
		if s == kind.SheetName() {
			sheet = s
		}
	}
	if sheet == "" && len(sheets) > 0 {
		sheet = sheets[0]
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return ImportSheet{}, ErrImportNotExcel
	}
	defer rows.Close()
	headers := ImportHeaders(kind)
	out := ImportSheet{Kind: kind}
	row := 0
	for rows.Next() {
		row++
		cells, err := rows.Columns()
		if err != nil {
			return ImportSheet{}, ErrImportNotExcel
		}
		if row == 1 {
			if err := checkHeaders(kind, headers, cells); err != nil {
				return ImportSheet{}, err
			}
			continue
		}
		line := ImportLine{Row: row, Cells: make([]string, len(headers))}
		blank := true
		for i := range headers {
			if i < len(cells) {
				line.Cells[i] = strings.TrimSpace(cells[i])
				blank = blank && line.Cells[i] == ""
			}
		}
		if blank || strings.HasPrefix(line.Cells[0], importExamplePrefix) {
			continue
		}
		if len(out.Lines) == MaxImportRows {
			return ImportSheet{}, ErrImportTooMany
		}
		out.Lines = append(out.Lines, line)
	}
	if err := rows.Error(); err != nil {
		return ImportSheet{}, ErrImportNotExcel
	}
	if row == 0 {
		return ImportSheet{}, checkHeaders(kind, headers, nil)
	}
	if len(out.Lines) == 0 {
		return ImportSheet{}, ErrImportEmpty
	}
	return out, nil
}

func checkHeaders(kind ImportKind, want, got []string) error {
	ok := len(got) >= len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = normHeader.Replace(got[i]) == normHeader.Replace(want[i])
	}
	if ok {
		return nil
	}
	return Coded(ErrInvalid, "import_bad_header", fmt.Sprintf("这不是%s的模板：第1行的表头应依次为 %s。请下载模板，把数据填进去后再上传",
		kind.Label(), strings.Join(want, "、")))
}

// cellsOf names the cells of a line by header.
func cellsOf(kind ImportKind, l ImportLine) *importCells {
	m := make(map[string]string, len(l.Cells))
	for i, h := range ImportHeaders(kind) {
		if i < len(l.Cells) {
			m[h] = l.Cells[i]
		}
	}
	return &importCells{row: l.Row, cells: m}
}

// ImportPlan is what an import would do: the rows it read, how many
// records it creates and updates, and every wrong row.
type ImportPlan struct {
	Kind             ImportKind
	Rows             int
	Creates, Updates int
	Errors           []ImportRowError
	// MoreErrors counts the errors beyond those listed.
	MoreErrors int

	deputies    []deputyRow
	stations    []stationRow
	communities []communityRow
	// existing is the id of the record a row updates, by row.
	existing map[int]uint64
	// stationIDs, communityIDs and stationDistricts resolve the names the
	// rows refer to.
	stationIDs       map[string]uint64
	stationDistricts map[string]string
	communityIDs     map[string]uint64
	// groups are the registered deputy groups the rows name, by name;
	// newGroups the names of those the import creates, in order, with the
	// townships of their rows' primary stations.
	groups        map[string]DeputyGroup
	newGroups     []string
	newGroupTowns map[string]map[string]bool
}

// OK reports whether every row passed.
func (p ImportPlan) OK() bool { return len(p.Errors) == 0 }

func (p *ImportPlan) fail(errs ...ImportRowError) {
	for _, e := range errs {
		if len(p.Errors) < importMaxErrors {
			p.Errors = append(p.Errors, e)
		} else {
			p.MoreErrors++
		}
	}
}

// CheckImport checks every row of sheet for scope without writing.
func CheckImport(ctx context.Context, db *gorm.DB, scope ManageScope, sheet ImportSheet) (ImportPlan, error) {
	return checkImport(db.WithContext(ctx), scope, sheet)
}

// ImportResult is what an import wrote.
type ImportResult struct {
	Kind             ImportKind
	Created, Updated int
}

// ApplyImport checks sheet again and writes all its rows in one
// transaction, audited: one row per record and one for the import. With
// any wrong row it writes nothing and returns ErrImportRows and the plan
// listing them.
func ApplyImport(ctx context.Context, db *gorm.DB, scope ManageScope, sheet ImportSheet, fileName string, now time.Time) (ImportResult, ImportPlan, error) {
	var res ImportResult
	var plan ImportPlan
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		var err error
		if plan, err = checkImport(tx, scope, sheet); err != nil {
			return err
		}
		if !plan.OK() {
			return ErrImportRows
		}
		res = ImportResult{Kind: sheet.Kind, Created: plan.Creates, Updated: plan.Updates}
		w := importWriter{tx: tx, plan: &plan, now: now.UTC(), actor: scope.Actor, scope: scope}
		switch sheet.Kind {
		case ImportStations:
			err = w.stations()
		case ImportCommunities:
			err = w.communities()
		case ImportDeputies:
			err = w.deputies()
		}
		if err != nil {
			return err
		}
		note := fmt.Sprintf("%s：%d 行，新增 %d，更新 %d；文件 %s", sheet.Kind.Label(), plan.Rows, plan.Creates, plan.Updates, Shorten(CleanLine(fileName), 100, "…"))
		return w.audit(AuditLog{Action: "import." + string(sheet.Kind), EntityKind: "import", ToState: "imported", Note: note})
	})
	return res, plan, err
}

// checkImport is CheckImport within a transaction or not.
func checkImport(db *gorm.DB, scope ManageScope, sheet ImportSheet) (ImportPlan, error) {
	if !sheet.Kind.Valid() {
		return ImportPlan{}, ErrNotFound
	}
	p := ImportPlan{Kind: sheet.Kind, Rows: len(sheet.Lines), existing: map[int]uint64{},
		stationIDs: map[string]uint64{}, stationDistricts: map[string]string{}, communityIDs: map[string]uint64{},
		groups: map[string]DeputyGroup{}, newGroupTowns: map[string]map[string]bool{}}
	var stations []Station
	if err := db.Select("id", "name", "district").Find(&stations).Error; err != nil {
		return p, translate(err)
	}
	for _, s := range stations {
		p.stationIDs[s.Name], p.stationDistricts[s.Name] = s.ID, s.District
	}
	switch sheet.Kind {
	case ImportStations:
		checkStations(&p, scope, sheet)
	case ImportCommunities:
		if err := checkCommunities(db, &p, scope, sheet); err != nil {
			return p, err
		}
	case ImportDeputies:
		if err := checkDeputies(db, &p, scope, sheet); err != nil {
			return p, err
		}
	}
	return p, nil
}

// outOfScope is the message for a township outside the user's.
func outOfScope(scope ManageScope, what string) string {
	return fmt.Sprintf("%s不在您管理的%s范围内", what, scope.Township)
}

// seenNames finds names repeated within a file.
type seenNames map[string]int

func (s seenNames) repeat(r *importCells, col, name string) bool {
	if name == "" {
		return false
	}
	if first, ok := s[name]; ok {
		r.fail(col, "%s“%s”与第%d行重复", col, name, first)
		return true
	}
	s[name] = r.row
	return false
}

func checkStations(p *ImportPlan, scope ManageScope, sheet ImportSheet) {
	seen := seenNames{}
	for _, l := range sheet.Lines {
		r := cellsOf(sheet.Kind, l)
		s := readStationRow(r)
		seen.repeat(r, "名称", s.Name)
		if s.District != "" && !scope.AllowsDistrict(s.District) {
			r.fail("乡镇(街道)", "%s", outOfScope(scope, "乡镇（街道）“"+s.District+"”"))
		}
		if id, ok := p.stationIDs[s.Name]; ok && s.Name != "" {
			if !scope.AllowsDistrict(p.stationDistricts[s.Name]) {
				r.fail("名称", "联络站“%s”属于%s，不能在这里修改", s.Name, p.stationDistricts[s.Name])
			}
			p.existing[s.Row] = id
		}
		p.fail(r.errs...)
		p.stations = append(p.stations, s)
	}
	p.Updates = len(p.existing)
	p.Creates = len(p.stations) - p.Updates
}

// station resolves a station named in a row, in scope.
func (p *ImportPlan) station(r *importCells, scope ManageScope, col, name string) (uint64, bool) {
	if name == "" {
		return 0, false
	}
	id, ok := p.stationIDs[name]
	if !ok {
		r.fail(col, "联络站“%s”还没有登记，请先导入或添加这个联络站（名称要与登记的全称一致）", name)
		return 0, false
	}
	if !scope.AllowsDistrict(p.stationDistricts[name]) {
		r.fail(col, "%s", outOfScope(scope, "联络站“"+name+"”"))
		return 0, false
	}
	return id, true
}

func checkCommunities(db *gorm.DB, p *ImportPlan, scope ManageScope, sheet ImportSheet) error {
	var comms []Community
	if err := db.Select("id", "name", "district").Find(&comms).Error; err != nil {
		return translate(err)
	}
	district := make(map[string]string, len(comms))
	for _, c := range comms {
		p.communityIDs[c.Name], district[c.Name] = c.ID, c.District
	}
	seen := seenNames{}
	for _, l := range sheet.Lines {
		r := cellsOf(sheet.Kind, l)
		c := readCommunityRow(r)
		seen.repeat(r, "名称", c.Name)
		if _, ok := p.station(r, scope, "所属联络站", c.Station); ok && c.District == "" {
			c.District = p.stationDistricts[c.Station]
		}
		if c.District != "" && !scope.AllowsDistrict(c.District) {
			r.fail("乡镇(街道)", "%s", outOfScope(scope, "乡镇（街道）“"+c.District+"”"))
		}
		if id, ok := p.communityIDs[c.Name]; ok && c.Name != "" {
			if !scope.AllowsDistrict(district[c.Name]) {
				r.fail("名称", "村（社区）“%s”属于%s，不能在这里修改", c.Name, district[c.Name])
			}
			p.existing[c.Row] = id
		}
		p.fail(r.errs...)
		p.communities = append(p.communities, c)
	}
	p.Updates = len(p.existing)
	p.Creates = len(p.communities) - p.Updates
	return nil
}

func checkDeputies(db *gorm.DB, p *ImportPlan, scope ManageScope, sheet ImportSheet) error {
	var comms []Community
	if err := db.Select("id", "name").Find(&comms).Error; err != nil {
		return translate(err)
	}
	for _, c := range comms {
		p.communityIDs[c.Name] = c.ID
	}
	// The registered deputies of the names in the file, with their station.
	var names []string
	for _, l := range sheet.Lines {
		if len(l.Cells) > 0 && l.Cells[0] != "" {
			names = append(names, CleanLine(l.Cells[0]))
		}
	}
	type known struct {
		ID, StationID uint64
	}
	registered := map[string][]known{}
	for chunk := range slices.Chunk(names, 500) {
		var ds []Deputy
		if err := db.Select("id", "name", "station_id").Where("name IN ?", chunk).Find(&ds).Error; err != nil {
			return translate(err)
		}
		for _, d := range ds {
			registered[d.Name] = append(registered[d.Name], known{d.ID, d.StationID})
		}
	}
	districtOf := map[uint64]string{}
	for name, id := range p.stationIDs {
		districtOf[id] = p.stationDistricts[name]
	}
	var gs []DeputyGroup
	if err := db.Select("id", "name", "township").Find(&gs).Error; err != nil {
		return translate(err)
	}
	for _, g := range gs {
		p.groups[g.Name] = g
	}
	seen := seenNames{}
	for _, l := range sheet.Lines {
		r := cellsOf(sheet.Kind, l)
		d := readDeputyRow(r)
		seen.repeat(r, "姓名", d.Name)
		p.station(r, scope, "主联络站", d.Station)
		for _, o := range d.Others {
			p.station(r, scope, "其他联络站", o)
		}
		for _, c := range d.Constituency {
			if _, ok := p.communityIDs[c]; !ok {
				r.fail("选区(村/社区)", "村（社区）“%s”还没有登记，请先导入这个村（社区）", c)
			}
		}
		switch ks := registered[d.Name]; {
		case len(ks) > 1:
			r.fail("姓名", "已登记了 %d 位名叫“%s”的代表，无法确定更新哪一位，请在代表管理页面修改", len(ks), d.Name)
		case len(ks) == 1:
			if !scope.AllowsDistrict(districtOf[ks[0].StationID]) {
				r.fail("姓名", "代表“%s”已在其他乡镇（街道）的联络站登记，不能在这里修改", d.Name)
			}
			p.existing[d.Row] = ks[0].ID
		}
		p.checkGroups(r, scope, d)
		p.fail(r.errs...)
		p.deputies = append(p.deputies, d)
	}
	p.Updates = len(p.existing)
	p.Creates = len(p.deputies) - p.Updates
	return nil
}

// checkGroups checks the groups a deputy row names: a registered group must
// be one the scope manages, and a township group needs the deputy to serve
// in the township (deputy_group.go); an unregistered one is created.
// A row already wrong (say, a station outside the scope) is not checked
// further.
func (p *ImportPlan) checkGroups(r *importCells, scope ManageScope, d deputyRow) {
	if len(r.errs) > 0 {
		return
	}
	towns := map[string]bool{p.stationDistricts[d.Station]: true}
	for _, o := range d.Others {
		towns[p.stationDistricts[o]] = true
	}
	for _, name := range d.Groups {
		g, ok := p.groups[name]
		if !ok {
			if p.newGroupTowns[name] == nil {
				p.newGroups = append(p.newGroups, name)
				p.newGroupTowns[name] = map[string]bool{}
			}
			p.newGroupTowns[name][p.stationDistricts[d.Station]] = true
			continue
		}
		switch {
		case !scope.allowsGroup(g.Township):
			r.fail("代表小组", "代表小组“%s”属于%s，不在您管理的范围内", name, g.TownshipLabel())
		case g.Township != "" && !towns[g.Township]:
			r.fail("代表小组", "代表“%s”不在%s的联络站履职，不能加入“%s”", d.Name, g.Township, name)
		}
	}
}

// importWriter writes a checked plan.
type importWriter struct {
	tx    *gorm.DB
	plan  *ImportPlan
	now   time.Time
	actor Actor
	scope ManageScope
	// audits are written together at the end.
	audits []AuditLog
}

const importBatch = 200

func (w *importWriter) audit(rows ...AuditLog) error {
	for i := range rows {
		rows[i].At, rows[i].ActorKind, rows[i].ActorID = w.now, w.actor.Kind, w.actor.ID
	}
	w.audits = append(w.audits, rows...)
	if len(rows) == 1 && rows[0].EntityKind == "import" {
		err := w.tx.CreateInBatches(&w.audits, importBatch).Error
		w.audits = nil
		return translate(err)
	}
	return nil
}

// record notes one record's change for the audit log.
func (w *importWriter) record(kind string, id uint64, created bool, name string) {
	to := "updated"
	if created {
		to = "created"
	}
	_ = w.audit(AuditLog{Action: kind + ".imported", EntityKind: kind, EntityID: id, ToState: to, Note: Shorten(name, 100, "…")})
}

// codes gives new deputies or stations their code.
func (w *importWriter) codes(kind CodeKind, ids []uint64) error {
	rows := make([]Code, 0, len(ids))
	used := map[string]bool{}
	for _, id := range ids {
		c := NewCodeString()
		for used[c] {
			c = NewCodeString()
		}
		used[c] = true
		rows = append(rows, Code{Code: c, Kind: kind, TargetKind: kind, TargetID: id, CreatedAt: w.now})
	}
	if len(rows) == 0 {
		return nil
	}
	err := translate(w.tx.CreateInBatches(&rows, importBatch).Error)
	if errors.Is(err, ErrConflict) {
		// One of about 10^8 new codes was taken: the import is refused
		// rather than left half-coded; running it again draws new codes.
		return Coded(ErrConflict, "import_code_taken", "生成二维码编号时碰巧重复，请再点一次确认导入")
	}
	return err
}

func (w *importWriter) stations() error {
	var news []Station
	for _, s := range w.plan.stations {
		if id, ok := w.plan.existing[s.Row]; ok {
			up := map[string]any{"kind": s.Kind, "district": s.District, "address": s.Address, "lat": s.Lat, "lng": s.Lng,
				"open_hours": s.OpenHours, "updated_at": w.now}
			if s.Phone != "" {
				up["phone"] = s.Phone
			}
			if err := w.tx.Model(&Station{}).Where("id = ?", id).Updates(up).Error; err != nil {
				return translate(err)
			}
			w.record("station", id, false, s.Name)
			continue
		}
		news = append(news, Station{Kind: s.Kind, Name: s.Name, District: s.District, Address: s.Address,
			Lat: s.Lat, Lng: s.Lng, OpenHours: s.OpenHours, Phone: s.Phone, CreatedAt: w.now, UpdatedAt: w.now})
	}
	if len(news) == 0 {
		return nil
	}
	if err := w.tx.CreateInBatches(&news, importBatch).Error; err != nil {
		return translate(err)
	}
	ids := make([]uint64, len(news))
	for i, s := range news {
		ids[i] = s.ID
		w.record("station", s.ID, true, s.Name)
	}
	return w.codes(CodeStation, ids)
}

func (w *importWriter) communities() error {
	var news []Community
	for _, c := range w.plan.communities {
		sid := w.plan.stationIDs[c.Station]
		if id, ok := w.plan.existing[c.Row]; ok {
			up := map[string]any{"station_id": sid, "district": c.District, "updated_at": w.now}
			if len(c.Aliases) > 0 {
				up["aliases"] = strings.Join(c.Aliases, "|")
			}
			if err := w.tx.Model(&Community{}).Where("id = ?", id).Updates(up).Error; err != nil {
				return translate(err)
			}
			w.record("community", id, false, c.Name)
			continue
		}
		news = append(news, Community{Name: c.Name, Aliases: strings.Join(c.Aliases, "|"), StationID: sid,
			District: c.District, CreatedAt: w.now, UpdatedAt: w.now})
	}
	if len(news) == 0 {
		return nil
	}
	if err := w.tx.CreateInBatches(&news, importBatch).Error; err != nil {
		return translate(err)
	}
	for _, c := range news {
		w.record("community", c.ID, true, c.Name)
	}
	return nil
}

func (w *importWriter) deputies() error {
	var news []Deputy
	var newRows []deputyRow
	type links struct {
		id       uint64
		row      deputyRow
		replaceO bool
		replaceC bool
	}
	var all []links
	for _, d := range w.plan.deputies {
		sid := w.plan.stationIDs[d.Station]
		if id, ok := w.plan.existing[d.Row]; ok {
			up := map[string]any{"level": d.Level, "station_id": sid, "updated_at": w.now}
			for col, v := range map[string]string{"term": d.Term, "term_start": d.TermStart,
				"term_end": d.TermEnd, "duties": d.Duties, "pledge": d.Pledge, "bio": d.Bio} {
				if v != "" {
					up[col] = v
				}
			}
			if err := w.tx.Model(&Deputy{}).Where("id = ?", id).Updates(up).Error; err != nil {
				return translate(err)
			}
			w.record("deputy", id, false, d.Name)
			all = append(all, links{id: id, row: d, replaceO: true, replaceC: len(d.Constituency) > 0})
			continue
		}
		news = append(news, Deputy{Name: d.Name, Level: d.Level, StationID: sid, Bio: d.Bio,
			Status: DeputyActive, Term: d.Term, Duties: d.Duties, Pledge: d.Pledge, TermStart: d.TermStart,
			TermEnd: d.TermEnd, CreatedAt: w.now, UpdatedAt: w.now})
		newRows = append(newRows, d)
	}
	if len(news) > 0 {
		if err := w.tx.Omit(clause.Associations).CreateInBatches(&news, importBatch).Error; err != nil {
			return translate(err)
		}
		ids := make([]uint64, len(news))
		for i, d := range news {
			ids[i] = d.ID
			w.record("deputy", d.ID, true, d.Name)
			all = append(all, links{id: d.ID, row: newRows[i]})
		}
		if err := w.codes(CodeDeputy, ids); err != nil {
			return err
		}
	}
	// The other stations: a row of an existing deputy replaces them only
	// when its cell is filled; blank keeps them.
	var clearO, clearC []uint64
	var others, consts []map[string]any
	for _, l := range all {
		sid := w.plan.stationIDs[l.row.Station]
		if l.replaceO && len(l.row.Others) > 0 {
			clearO = append(clearO, l.id)
		}
		if l.replaceC {
			clearC = append(clearC, l.id)
		}
		for _, o := range l.row.Others {
			if oid := w.plan.stationIDs[o]; oid != sid {
				others = append(others, map[string]any{"deputy_id": l.id, "station_id": oid})
			}
		}
		for _, c := range l.row.Constituency {
			consts = append(consts, map[string]any{"deputy_id": l.id, "community_id": w.plan.communityIDs[c]})
		}
	}
	for _, j := range []struct {
		table string
		clear []uint64
		rows  []map[string]any
	}{{"deputy_stations", clearO, others}, {"deputy_constituencies", clearC, consts}} {
		for chunk := range slices.Chunk(j.clear, 500) {
			if err := w.tx.Exec("DELETE FROM "+j.table+" WHERE deputy_id IN ?", chunk).Error; err != nil {
				return translate(err)
			}
		}
		for chunk := range slices.Chunk(j.rows, importBatch) {
			if err := w.tx.Table(j.table).Create(chunk).Error; err != nil {
				return translate(err)
			}
		}
	}
	ids := make(map[int]uint64, len(all))
	for _, l := range all {
		ids[l.row.Row] = l.id
	}
	return w.groups(ids)
}

// groups creates the groups the rows name that are not registered and adds
// each row's deputy to the groups it names (memberships are only added),
// then rewrites the deputies' group text. A new group belongs to the
// township user's township, or, for the county office, to the township of
// its rows' primary stations when they share one, else to the county.
func (w *importWriter) groups(deputyIDs map[int]uint64) error {
	byName := map[string]DeputyGroup{}
	for name, g := range w.plan.groups {
		byName[name] = g
	}
	for _, name := range w.plan.newGroups {
		g := DeputyGroup{Name: name, CreatedAt: w.now, UpdatedAt: w.now}
		if !w.scope.All {
			g.Township = w.scope.Township
		} else if towns := w.plan.newGroupTowns[name]; len(towns) == 1 {
			for t := range towns {
				g.Township = t
			}
		}
		if err := w.tx.Omit("Members").Create(&g).Error; err != nil {
			return groupNameTaken(err, name)
		}
		byName[name] = g
		if err := w.audit(AuditLog{Action: AuditGroupCreate, EntityKind: "deputy_group", EntityID: g.ID,
			Note: g.Name + "（" + g.TownshipLabel() + "）；Excel导入"}); err != nil {
			return err
		}
	}
	joined := map[uint64][]uint64{}
	var touched []uint64
	for _, d := range w.plan.deputies {
		id := deputyIDs[d.Row]
		for _, name := range d.Groups {
			g := byName[name]
			var n int64
			if err := w.tx.Table("deputy_group_members").Where("deputy_group_id = ? AND deputy_id = ?", g.ID, id).
				Count(&n).Error; err != nil {
				return translate(err)
			}
			if n > 0 {
				continue
			}
			if err := w.tx.Exec("INSERT INTO deputy_group_members (deputy_group_id, deputy_id) VALUES (?, ?)", g.ID, id).Error; err != nil {
				return translate(err)
			}
			if len(joined[g.ID]) == 0 {
				touched = append(touched, g.ID)
			}
			joined[g.ID] = append(joined[g.ID], id)
		}
	}
	var all []uint64
	for _, gid := range touched {
		var ds []Deputy
		if err := w.tx.Select("id", "name").Where("id IN ?", joined[gid]).Order("id").Find(&ds).Error; err != nil {
			return translate(err)
		}
		if err := w.audit(AuditLog{Action: AuditGroupMembers, EntityKind: "deputy_group", EntityID: gid,
			Note: Shorten("加入："+deputyNames(ds)+"；Excel导入", 1000, "…")}); err != nil {
			return err
		}
		all = append(all, joined[gid]...)
	}
	return syncDeputyGroupText(w.tx, all)
}

// ImportTemplate writes the .xlsx template of kind: the data sheet with the
// headers, an example row (skipped by the import) and drop-downs of the
// allowed values, and a second sheet, 说明, explaining every column.
// stations are the station names offered in the station columns.
func ImportTemplate(w io.Writer, kind ImportKind, stations []string) error {
	if !kind.Valid() {
		return ErrNotFound
	}
	cols := importColumns[kind]
	f := excelize.NewFile()
	defer f.Close()
	sheet := kind.SheetName()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	if err != nil {
		return err
	}
	textFmt := "@"
	text, err := f.NewStyle(&excelize.Style{CustomNumFmt: &textFmt})
	if err != nil {
		return err
	}
	example, err := f.NewStyle(&excelize.Style{CustomNumFmt: &textFmt, Font: &excelize.Font{Italic: true, Color: "808080"}})
	if err != nil {
		return err
	}
	lastRow := MaxImportRows + 1
	for i, c := range cols {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, c.Width*1.6); err != nil {
			return err
		}
		if err := f.SetColStyle(sheet, col, text); err != nil {
			return err
		}
		header := c.Header
		if c.Required {
			header = c.Header + "*"
		}
		if err := f.SetCellStr(sheet, col+"1", header); err != nil {
			return err
		}
		ex := c.Example
		if i == 0 {
			ex = importExamplePrefix + ex
		}
		if err := f.SetCellStr(sheet, col+"2", ex); err != nil {
			return err
		}
		var dv *excelize.DataValidation
		switch {
		case len(c.Choices) > 0:
			dv = excelize.NewDataValidation(true)
			if err := dv.SetDropList(c.Choices); err != nil {
				return err
			}
		case (c.Header == "主联络站" || c.Header == "所属联络站") && len(stations) > 0:
			dv = excelize.NewDataValidation(true)
			dv.SetSqrefDropList(fmt.Sprintf("'联络站名单'!$A$1:$A$%d", len(stations)))
		}
		if dv != nil {
			// A warning, not a refusal: the import's check has the last word.
			dv.ShowErrorMessage = true
			dv.SetError(excelize.DataValidationErrorStyleWarning, "请从下拉列表中选择", "这个值不在可选范围内，导入时会报错。")
			dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, lastRow)
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return err
			}
		}
	}
	last, _ := excelize.ColumnNumberToName(len(cols))
	if err := f.SetCellStyle(sheet, "A1", last+"1", head); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A2", last+"2", example); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := importHelpSheet(f, kind, head); err != nil {
		return err
	}
	if len(stations) > 0 && (kind == ImportDeputies || kind == ImportCommunities) {
		if _, err := f.NewSheet("联络站名单"); err != nil {
			return err
		}
		for i, s := range stations {
			if err := f.SetCellStr("联络站名单", fmt.Sprintf("A%d", i+1), s); err != nil {
				return err
			}
		}
		if err := f.SetColWidth("联络站名单", "A", "A", 40); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

// importHelpSheet is the template's 说明 sheet.
func importHelpSheet(f *excelize.File, kind ImportKind, head int) error {
	const help = "说明"
	if _, err := f.NewSheet(help); err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	notes := []string{
		fmt.Sprintf("%s导入模板：请在“%s”工作表中填写，每行一条。", kind.Label(), kind.SheetName()),
		"第1行是表头，请不要改动；带 * 的列必须填写。第2行是示例，以“示例：”开头的行不会导入，可以保留或删除。",
		fmt.Sprintf("一个文件最多 %d 行、不超过 5MB。上传后先逐行检查，全部正确才会写入；有错误时会列出第几行哪里不对，什么都不会写入。", MaxImportRows),
		"名称已登记的行更新原有资料，其他行新增；选填列留空时保留原有资料。",
	}
	row := 1
	for _, n := range notes {
		if err := f.SetCellStr(help, fmt.Sprintf("A%d", row), n); err != nil {
			return err
		}
		if err := f.MergeCell(help, fmt.Sprintf("A%d", row), fmt.Sprintf("D%d", row)); err != nil {
			return err
		}
		row++
	}
	row++
	for i, h := range []string{"列名", "是否必填", "说明", "可填的值"} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(help, fmt.Sprintf("%s%d", col, row), h); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(help, fmt.Sprintf("A%d", row), fmt.Sprintf("D%d", row), head); err != nil {
		return err
	}
	for _, c := range importColumns[kind] {
		row++
		req := "选填"
		if c.Required {
			req = "必填"
		}
		for i, v := range []string{c.Header, req, c.Help, strings.Join(c.Choices, "、")} {
			col, _ := excelize.ColumnNumberToName(i + 1)
			if err := f.SetCellStr(help, fmt.Sprintf("%s%d", col, row), v); err != nil {
				return err
			}
		}
	}
	if err := f.SetCellStyle(help, "A1", fmt.Sprintf("D%d", row), wrap); err != nil {
		return err
	}
	for col, w := range map[string]float64{"A": 16, "B": 10, "C": 70, "D": 40} {
		if err := f.SetColWidth(help, col, col, w); err != nil {
			return err
		}
	}
	return nil
}

// ImportStationNames are the names of the stations scope manages, for the
// templates' drop-downs.
func ImportStationNames(ctx context.Context, db *gorm.DB, scope ManageScope) ([]string, error) {
	tx := db.WithContext(ctx).Model(&Station{}).Order("district, name")
	if !scope.All {
		tx = tx.Where("district = ?", scope.Township)
	}
	var names []string
	return names, translate(tx.Pluck("name", &names).Error)
}
