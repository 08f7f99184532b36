package models

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The management of codes and boards: the printed codes of deputies and
// stations and the boards (公示牌) of deputies, listed with their scans,
// made and retired by the county office, or by a township user for its
// township's stations and the deputies whose primary station is there.
// Staff invites are codes too but are managed with the staff.

// CodeScanWindow is the window of the scans a code list shows: a board
// nobody scanned for this long is worth a visit.
const CodeScanWindow = 90 * 24 * time.Hour

// CodeRow is a code in the management list.
type CodeRow struct {
	Code      string
	Kind      CodeKind
	KindLabel string
	// Target names what the code shows: the deputy or the station.
	TargetKind CodeKind
	TargetID   uint64
	TargetName string
	// Station is the station (a deputy's primary one).
	Station StationRef
	// Label is a board's place.
	Label   string
	Revoked bool
	// TargetRetired is true for a deputy who left office.
	TargetRetired bool
	// Scans is the scans in CodeScanWindow; ScanTotal all scans.
	Scans, ScanTotal int64
	CreatedAt        time.Time
	// Printable is true for a live deputy or board code of a serving deputy.
	Printable bool
}

// CodeKindLabel is the Chinese name of a code kind.
func CodeKindLabel(k CodeKind) string {
	switch k {
	case CodeDeputy:
		return "代表码"
	case CodeStation:
		return "联络站码"
	case CodeBoard:
		return "公示牌"
	case CodeStaffInvite:
		return "工作人员邀请"
	}
	return string(k)
}

// CodeFilter narrows the code list.
type CodeFilter struct {
	// Q is a code, or part of a deputy's or station's name or a board's place.
	Q         string
	Kind      CodeKind
	StationID uint64
	// Status is "active", "retired" or "" (both).
	Status string
	// Offset and Limit page the list (Limit 0: 50).
	Offset, Limit int
}

// CodeList is one page of codes.
type CodeList struct {
	Rows []CodeRow
	// More is true when another page follows.
	More bool
}

// ErrCodeExists refuses a second live code of a deputy or station.
var ErrCodeExists = Coded(ErrConflict, "code_exists", "已经有一个在用的二维码，如需更换请先停用旧码")

// managedCodeKinds are the kinds the code pages show.
var managedCodeKinds = []CodeKind{CodeDeputy, CodeStation, CodeBoard}

// scopeCodes narrows a code query to the scope's deputies and stations.
func scopeCodes(db, q *gorm.DB, stationIDs *gorm.DB) *gorm.DB {
	deputies := db.Model(&Deputy{}).Select("id").Where("station_id IN (?)", stationIDs)
	return q.Where("((kind IN ? AND target_kind = ? AND target_id IN (?)) OR (kind = ? AND target_id IN (?)))",
		[]CodeKind{CodeDeputy, CodeBoard}, CodeDeputy, deputies, CodeStation, stationIDs)
}

// ListManagedCodes lists one page of the scope's deputy, station and board
// codes, with their targets and their scans in CodeScanWindow.
func ListManagedCodes(ctx context.Context, db *gorm.DB, sc ManageScope, f CodeFilter, now time.Time) (CodeList, error) {
	if !sc.All && sc.Township == "" {
		return CodeList{}, ErrManageForbidden
	}
	db = db.WithContext(ctx)
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := db.Model(&Code{}).Where("kind IN ?", managedCodeKinds)
	if !sc.All {
		q = scopeCodes(db, q, db.Model(&Station{}).Select("id").Where("district = ?", sc.Township))
	}
	if f.StationID != 0 {
		q = scopeCodes(db, q, db.Model(&Station{}).Select("id").Where("id = ?", f.StationID))
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	switch f.Status {
	case "active":
		q = q.Where("revoked = ?", false)
	case "retired":
		q = q.Where("revoked = ?", true)
	}
	if s := strings.TrimSpace(f.Q); s != "" {
		if norm, ok := NormalizeCode(s); ok {
			q = q.Where("code = ?", norm)
		} else {
			like := "%" + escapeLike(s) + "%"
			q = q.Where("(label LIKE ? ESCAPE '!' OR (kind IN ? AND target_id IN (?)) OR (kind = ? AND target_id IN (?)))", like,
				[]CodeKind{CodeDeputy, CodeBoard}, db.Model(&Deputy{}).Select("id").Where("name LIKE ? ESCAPE '!'", like),
				CodeStation, db.Model(&Station{}).Select("id").Where("name LIKE ? ESCAPE '!'", like))
		}
	}
	var codes []Code
	if err := q.Select("code", "kind", "target_kind", "target_id", "label", "scan_count", "revoked", "created_at").
		Order("revoked, kind, target_id, code").Offset(f.Offset).Limit(f.Limit + 1).Find(&codes).Error; err != nil {
		return CodeList{}, translate(err)
	}
	out := CodeList{}
	if len(codes) > f.Limit {
		out.More, codes = true, codes[:f.Limit]
	}
	rows, err := codeRows(db, codes, now)
	if err != nil {
		return CodeList{}, err
	}
	out.Rows = rows
	return out, nil
}

// codeRows resolves the codes' targets and counts their recent scans.
func codeRows(db *gorm.DB, codes []Code, now time.Time) ([]CodeRow, error) {
	var all []string
	var depKeys, stKeys []uint64
	for _, c := range codes {
		all = append(all, c.Code)
		if c.Kind == CodeStation {
			stKeys = append(stKeys, c.TargetID)
		} else {
			depKeys = append(depKeys, c.TargetID)
		}
	}
	deps := map[uint64]Deputy{}
	if len(depKeys) > 0 {
		var rows []Deputy
		if err := db.Select("id", "name", "status", "station_id").Where("id IN ?", uniqueIDs(depKeys)).Find(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, d := range rows {
			deps[d.ID] = d
			stKeys = append(stKeys, d.StationID)
		}
	}
	sts := map[uint64]Station{}
	if len(stKeys) > 0 {
		var rows []Station
		if err := db.Select("id", "name", "district").Where("id IN ?", uniqueIDs(stKeys)).Find(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, s := range rows {
			sts[s.ID] = s
		}
	}
	scans := map[string]int64{}
	if len(all) > 0 {
		var rows []struct {
			Code string
			N    int64
		}
		// Counted by whole days: the window starts at the start of its
		// first day.
		if err := db.Model(&ScanDay{}).Select("code, SUM(count) AS n").
			Where("code IN ? AND day >= ?", all, ScanDayOf(now.Add(-CodeScanWindow))).Group("code").Scan(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, r := range rows {
			scans[r.Code] = r.N
		}
	}
	out := make([]CodeRow, 0, len(codes))
	for _, c := range codes {
		r := CodeRow{Code: c.Code, Kind: c.Kind, KindLabel: CodeKindLabel(c.Kind), TargetKind: c.TargetKind,
			TargetID: c.TargetID, Label: c.Label, Revoked: c.Revoked, Scans: scans[c.Code], ScanTotal: c.ScanCount,
			CreatedAt: c.CreatedAt}
		if c.Kind == CodeStation {
			st := sts[c.TargetID]
			r.TargetName, r.Station = st.Name, StationRef{ID: st.ID, Name: st.Name}
		} else {
			d := deps[c.TargetID]
			st := sts[d.StationID]
			r.TargetName, r.Station = d.Name, StationRef{ID: st.ID, Name: st.Name}
			r.TargetRetired = d.Status == DeputyRetired
			r.Printable = !c.Revoked && !r.TargetRetired && d.ID != 0
		}
		out = append(out, r)
	}
	return out, nil
}

// scopeDeputy loads a deputy of the scope (their primary station in it).
func scopeDeputy(tx *gorm.DB, sc ManageScope, id uint64) (Deputy, error) {
	var d Deputy
	if err := tx.Select("id", "name", "status", "station_id").First(&d, id).Error; err != nil {
		return Deputy{}, notFoundAs(err, ErrDeputyNotFound)
	}
	if !sc.All {
		var st Station
		if err := tx.Select("id", "district").First(&st, d.StationID).Error; err != nil || !sc.AllowsStation(st) {
			return Deputy{}, ErrDeputyNotFound
		}
	}
	return d, nil
}

// scopeStation loads a station of the scope.
func scopeStation(tx *gorm.DB, sc ManageScope, id uint64) (Station, error) {
	var st Station
	if err := tx.Select("id", "name", "district").First(&st, id).Error; err != nil {
		return Station{}, notFoundAs(err, ErrStationNotFound)
	}
	if !sc.AllowsStation(st) {
		return Station{}, ErrStationNotFound
	}
	return st, nil
}

// CreateManagedCode makes a code: a board (kind CodeBoard, label = where it
// hangs) or the code of a deputy (CodeDeputy) or station (CodeStation) who
// has no live one. The deputy must be serving. Audited.
func CreateManagedCode(ctx context.Context, db *gorm.DB, sc ManageScope, kind CodeKind, targetID uint64, label string, now time.Time) (Code, error) {
	if !sc.All && sc.Township == "" {
		return Code{}, ErrManageForbidden
	}
	label = CleanLine(label)
	switch {
	case kind != CodeDeputy && kind != CodeStation && kind != CodeBoard:
		return Code{}, Invalid("kind", "请选择二维码的种类")
	case targetID == 0 && kind == CodeStation:
		return Code{}, Invalid("station_id", "请选择联络站")
	case targetID == 0:
		return Code{}, Invalid("deputy_id", "请选择代表")
	case kind == CodeBoard && (label == "" || utf8.RuneCountInString(label) > 100):
		return Code{}, Invalid("label", "公示牌名称（挂在哪里）不能为空，且不能超过100个字")
	}
	if kind != CodeBoard {
		label = ""
	}
	now = now.UTC()
	var code Code
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		entity, name := "deputy", ""
		if kind == CodeStation {
			st, err := scopeStation(tx, sc, targetID)
			if err != nil {
				return err
			}
			entity, name = "station", st.Name
		} else {
			d, err := scopeDeputy(tx, sc, targetID)
			if err != nil {
				return err
			}
			if d.Status != DeputyActive {
				return Invalid("deputy_id", d.Name+"代表已不再担任代表职务")
			}
			name = d.Name
		}
		if kind != CodeBoard {
			var n int64
			if err := tx.Model(&Code{}).Where("kind = ? AND target_id = ? AND revoked = ?", kind, targetID, false).
				Count(&n).Error; err != nil {
				return translate(err)
			}
			if n > 0 {
				return ErrCodeExists
			}
		}
		target := kind
		if kind == CodeBoard {
			target = CodeDeputy
		}
		var err error
		code, err = CreateCode(ctx, tx, Code{Kind: kind, TargetKind: target, TargetID: targetID, Label: label, CreatedAt: now})
		if err != nil {
			return err
		}
		note := CodeKindLabel(kind) + "：" + name
		if label != "" {
			note += "，" + label
		}
		return Audit(ctx, tx, now, sc.Actor, "code.create", entity, targetID, "", code.Code, note)
	})
	return code, err
}

// ErrCodeRetired refuses to retire a code twice.
var ErrCodeRetired = Coded(ErrConflict, "code_retired", "这个二维码已经停用")

// RetireCode retires a deputy, station or board code of the scope: scans of
// it then answer that the code is no longer in use. Audited.
func RetireCode(ctx context.Context, db *gorm.DB, sc ManageScope, code string, now time.Time) error {
	now = now.UTC()
	return RunTx(ctx, db, func(tx *gorm.DB) error {
		c, err := managedCode(tx, sc, code)
		if err != nil {
			return err
		}
		if c.Revoked {
			return ErrCodeRetired
		}
		if err := tx.Model(&Code{}).Where("code = ?", c.Code).UpdateColumn("revoked", true).Error; err != nil {
			return translate(err)
		}
		entity := "deputy"
		if c.Kind == CodeStation {
			entity = "station"
		}
		note := "停用" + CodeKindLabel(c.Kind) + " " + c.Code
		if c.Label != "" {
			note += "（" + c.Label + "）"
		}
		return Audit(ctx, tx, now, sc.Actor, "code.retire", entity, c.TargetID, "active", "retired", note)
	})
}

// managedCode loads a deputy, station or board code of the scope; any
// other is ErrCodeNotFound.
func managedCode(tx *gorm.DB, sc ManageScope, code string) (Code, error) {
	if !sc.All && sc.Township == "" {
		return Code{}, ErrManageForbidden
	}
	norm, ok := NormalizeCode(code)
	if !ok {
		return Code{}, ErrCodeNotFound
	}
	var c Code
	if err := tx.Where("code = ? AND kind IN ?", norm, managedCodeKinds).First(&c).Error; err != nil {
		return Code{}, notFoundAs(err, ErrCodeNotFound)
	}
	if sc.All {
		return c, nil
	}
	var err error
	if c.Kind == CodeStation {
		_, err = scopeStation(tx, sc, c.TargetID)
	} else {
		_, err = scopeDeputy(tx, sc, c.TargetID)
	}
	if err != nil {
		return Code{}, ErrCodeNotFound
	}
	return c, nil
}

// ManagedCode loads a code of the scope for its print page.
func ManagedCode(ctx context.Context, db *gorm.DB, sc ManageScope, code string) (Code, error) {
	return managedCode(db.WithContext(ctx), sc, code)
}

// StationBoardCodes lists the live codes to print for a station's boards:
// each serving deputy whose primary station it is, their deputy code then
// their boards, by deputy.
func StationBoardCodes(ctx context.Context, db *gorm.DB, sc ManageScope, stationID uint64) (Station, []Code, error) {
	db = db.WithContext(ctx)
	st, err := scopeStation(db, sc, stationID)
	if err != nil {
		return Station{}, nil, err
	}
	var codes []Code
	err = db.Where("kind IN ? AND target_kind = ? AND revoked = ? AND target_id IN (?)",
		[]CodeKind{CodeDeputy, CodeBoard}, CodeDeputy, false,
		db.Model(&Deputy{}).Select("id").Where("station_id = ? AND status = ?", stationID, DeputyActive)).
		Order("target_id, kind DESC, created_at, code").Find(&codes).Error
	if err != nil {
		return Station{}, nil, translate(err)
	}
	return st, codes, nil
}

// ScopeDeputies lists the serving deputies of a scope (primary station in
// it), for pickers, by station and name.
func ScopeDeputies(ctx context.Context, db *gorm.DB, sc ManageScope) ([]DeputyPick, error) {
	db = db.WithContext(ctx)
	q := db.Table("deputies AS d").Select("d.id, d.name, d.level, s.name AS station").
		Joins("JOIN stations s ON s.id = d.station_id").Where("d.status = ?", DeputyActive)
	if !sc.All {
		q = q.Where("s.district = ?", sc.Township)
	}
	var out []DeputyPick
	if err := q.Order("s.name, d.name, d.id").Scan(&out).Error; err != nil {
		return nil, translate(err)
	}
	for i := range out {
		out[i].LevelLabel = out[i].Level.Label()
	}
	return out, nil
}

// DeputyPick is a deputy in a picker.
type DeputyPick struct {
	ID         uint64
	Name       string
	Level      Level
	LevelLabel string `gorm:"-"`
	Station    string
}

// String is the picker's text: "姓名（县人大代表，东门社区代表联络站）".
func (d DeputyPick) String() string {
	return fmt.Sprintf("%s（%s，%s）", d.Name, d.LevelLabel, d.Station)
}
