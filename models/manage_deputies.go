package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The office's management of deputies (docs/ARCHITECTURE.md#roles): the
// county office (ManageScope.All) manages every deputy; a township user
// manages only township-level deputies whose primary station lies in its
// township, and creates only such deputies. A deputy outside the scope is
// as absent as a missing one (ErrDeputyNotFound). Every change is written
// to the audit log in the transaction that makes it.

// Audit actions of deputy management.
const (
	AuditDeputyCreate    = "deputy.create"
	AuditDeputyUpdate    = "deputy.update"
	AuditDeputyRetire    = "deputy.retire"
	AuditDeputyReinstate = "deputy.reinstate"
	AuditDeputyMove      = "deputy.move"
	AuditDeputyPhoto     = "deputy.photo"
)

// Limits of a deputy's profile.
const (
	MaxDeputyOtherStations = 10
	MaxDeputyConstituency  = 50
)

// DeputyInput is a deputy's profile as the office enters it.
type DeputyInput struct {
	Name  string
	Level Level
	// GroupIDs are the deputy's groups among those the scope manages
	// (ListGroups); memberships of other groups are left as they are. On
	// UpdateDeputy they apply only when SetGroups is true (the form sends
	// them), so a caller that leaves both zero keeps the memberships.
	// Deputy.Group is not entered: it is the groups' names (deputy_group.go).
	GroupIDs  []uint64
	SetGroups bool
	// StationID is the primary station: the deputy's code routes there.
	StationID uint64
	// OtherStationIDs are the other stations the deputy also serves.
	OtherStationIDs []uint64
	// CommunityIDs is the constituency (选区), for directly elected
	// (county and township) deputies only.
	CommunityIDs         []uint64
	Duties, Pledge, Term string
	// TermStart and TermEnd are "2006-01-02" or "".
	TermStart, TermEnd string
	Bio                string
	// PhotoURL is an http(s) address, or the address of a photo uploaded
	// for the boards (DeputyPhotoPath); "" for none.
	PhotoURL string
}

// DeputyPhotoPath is where the API serves a deputy's uploaded photo; the
// version (a hash of the photo) changes the address with the photo.
func DeputyPhotoPath(id uint64, version string) string {
	p := "/api/v1/deputies/" + strconv.FormatUint(id, 10) + "/photo"
	if version != "" {
		p += "?v=" + version
	}
	return p
}

// IsDeputyPhotoPath reports whether u is an address DeputyPhotoPath made.
func IsDeputyPhotoPath(u string) bool {
	rest, ok := strings.CutPrefix(u, "/api/v1/deputies/")
	if !ok {
		return false
	}
	id, rest, ok := strings.Cut(rest, "/photo")
	if _, okID := ParseID(id); !okID || !ok {
		return false
	}
	if rest == "" {
		return true
	}
	v, ok := strings.CutPrefix(rest, "?v=")
	return ok && v != "" && len(v) <= 64 && strings.Trim(v, "0123456789abcdef") == ""
}

// DirectlyElected reports whether deputies of level l are elected by the
// voters of a constituency (county and township congresses).
func (l Level) DirectlyElected() bool { return l == LevelCounty || l == LevelTownship }

// ParseTermDate checks a term date ("2006-01-02"); "" is allowed.
func ParseTermDate(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1949 || t.Year() > 2200 {
		return "", Invalid(field, "日期格式不正确，请按“2026-01-01”填写")
	}
	return t.Format(time.DateOnly), nil
}

// normalize cleans the input and checks what needs no database.
func (in *DeputyInput) normalize() error {
	in.Name = CleanLine(in.Name)
	in.Duties = CleanLine(in.Duties)
	in.Pledge = CleanText(in.Pledge)
	in.Term = CleanLine(in.Term)
	in.Bio = CleanText(in.Bio)
	in.PhotoURL = strings.TrimSpace(in.PhotoURL)
	var err error
	switch {
	case in.Name == "" || utf8.RuneCountInString(in.Name) > 50:
		return Invalid("name", "姓名不能为空，且不能超过50个字")
	case !in.Level.Valid():
		return Invalid("level", "请选择代表的层级（全国、省、市、县或镇人大代表）")
	case !ValidID(in.StationID):
		return Invalid("station_id", "请选择代表的主要联络站")
	case utf8.RuneCountInString(in.Duties) > 200:
		return Invalid("duties", "职务不能超过200个字")
	case utf8.RuneCountInString(in.Pledge) > 500:
		return Invalid("pledge", "履职承诺不能超过500个字")
	case utf8.RuneCountInString(in.Term) > 50:
		return Invalid("term", "届次不能超过50个字")
	case utf8.RuneCountInString(in.Bio) > 2000:
		return Invalid("bio", "简介不能超过2000个字")
	case len(in.PhotoURL) > 500:
		return Invalid("photo_url", "照片地址不能超过500个字符")
	case in.PhotoURL != "" && !IsDeputyPhotoPath(in.PhotoURL) && !strings.HasPrefix(in.PhotoURL, "https://") &&
		!strings.HasPrefix(in.PhotoURL, "http://"):
		return Invalid("photo_url", "照片地址必须以 https:// 开头，或者直接上传照片")
	case strings.ContainsAny(in.PhotoURL, " \"'<>\\"):
		return Invalid("photo_url", "照片地址不正确")
	}
	if in.TermStart, err = ParseTermDate("term_start", in.TermStart); err != nil {
		return err
	}
	if in.TermEnd, err = ParseTermDate("term_end", in.TermEnd); err != nil {
		return err
	}
	if in.TermStart != "" && in.TermEnd != "" && in.TermStart > in.TermEnd {
		return Invalid("term_end", "任期结束日期不能早于开始日期")
	}
	in.OtherStationIDs = uniqueIDs(in.OtherStationIDs)
	in.OtherStationIDs = slices.DeleteFunc(in.OtherStationIDs, func(id uint64) bool { return id == in.StationID })
	if len(in.OtherStationIDs) > MaxDeputyOtherStations {
		return Invalid("station_ids", fmt.Sprintf("其他联络站最多选%d个", MaxDeputyOtherStations))
	}
	in.CommunityIDs = uniqueIDs(in.CommunityIDs)
	if len(in.CommunityIDs) > 0 && !in.Level.DirectlyElected() {
		return Invalid("community_ids", "只有县、镇人大代表由选民直接选举，才需要填写选区")
	}
	if len(in.CommunityIDs) > MaxDeputyConstituency {
		return Invalid("community_ids", fmt.Sprintf("选区最多选%d个村（社区）", MaxDeputyConstituency))
	}
	return nil
}

// check checks the input against the database and the scope and returns
// the stations and communities it names.
func (in *DeputyInput) check(tx *gorm.DB, sc ManageScope) (primary Station, others []Station, comms []Community, err error) {
	if err := in.normalize(); err != nil {
		return Station{}, nil, nil, err
	}
	if !sc.All && in.Level != LevelTownship {
		return Station{}, nil, nil, Invalid("level", "乡镇（街道）人大只能管理本乡镇（街道）的镇人大代表")
	}
	if err := tx.First(&primary, in.StationID).Error; err != nil {
		return Station{}, nil, nil, orInvalid(err, "station_id", "请选择代表的主要联络站")
	}
	if !sc.AllowsStation(primary) {
		return Station{}, nil, nil, Invalid("station_id", "只能选择本乡镇（街道）的联络站")
	}
	if len(in.OtherStationIDs) > 0 {
		if err := tx.Where("id IN ?", in.OtherStationIDs).Order("id").Find(&others).Error; err != nil {
			return Station{}, nil, nil, translate(err)
		}
		if len(others) != len(in.OtherStationIDs) {
			return Station{}, nil, nil, Invalid("station_ids", "有的联络站不存在，请重新选择")
		}
		for _, s := range others {
			if !sc.AllowsStation(s) {
				return Station{}, nil, nil, Invalid("station_ids", "只能选择本乡镇（街道）的联络站")
			}
		}
	}
	if len(in.CommunityIDs) > 0 {
		if err := tx.Where("id IN ?", in.CommunityIDs).Order("id").Find(&comms).Error; err != nil {
			return Station{}, nil, nil, translate(err)
		}
		if len(comms) != len(in.CommunityIDs) {
			return Station{}, nil, nil, Invalid("community_ids", "有的村（社区）不存在，请重新选择")
		}
		for _, c := range comms {
			if !sc.AllowsDistrict(c.District) {
				return Station{}, nil, nil, Invalid("community_ids", "只能选择本乡镇（街道）的村（社区）")
			}
		}
	}
	return primary, others, comms, nil
}

// orInvalid turns a missing row into a validation error of field.
func orInvalid(err error, field, msg string) error {
	err = translate(err)
	if errors.Is(err, ErrNotFound) {
		return Invalid(field, msg)
	}
	return err
}

// DeputyQuery filters the management list.
type DeputyQuery struct {
	// Query matches the name (or part of it).
	Query     string
	Level     Level
	StationID uint64
	// Township is a Station.District.
	Township string
	// GroupID keeps the members of one group (代表小组).
	GroupID uint64
	Status  DeputyStatus
	Offset  int
	Limit   int
}

// ManagedDeputy is one row of the management list.
type ManagedDeputy struct {
	Deputy
	StationName, Township string
}

// DeputyCounts are the figures above the list.
type DeputyCounts struct {
	// Total matches the filters; Active and Retired split Total.
	Total, Active, Retired int64
}

// scopedDeputies is the deputies table joined to the primary station,
// limited to the scope.
func scopedDeputies(db *gorm.DB, sc ManageScope) *gorm.DB {
	tx := db.Table("deputies").Joins("JOIN stations ON stations.id = deputies.station_id")
	if !sc.All {
		tx = tx.Where("deputies.level = ? AND stations.district = ?", LevelTownship, sc.Township)
	}
	return tx
}

// ListManagedDeputies lists the deputies in the scope that match q, by
// level (national first), then name order of entry (id), with the counts.
func ListManagedDeputies(ctx context.Context, db *gorm.DB, sc ManageScope, q DeputyQuery) ([]ManagedDeputy, DeputyCounts, error) {
	if !sc.All && sc.Township == "" {
		return nil, DeputyCounts{}, ErrManageForbidden
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	filter := func() *gorm.DB {
		tx := scopedDeputies(db.WithContext(ctx), sc)
		if s := CleanLine(q.Query); s != "" {
			tx = tx.Where("deputies.name LIKE ? ESCAPE '!'", "%"+escapeLike(s)+"%")
		}
		if q.Level != "" {
			tx = tx.Where("deputies.level = ?", q.Level)
		}
		if q.StationID != 0 {
			tx = tx.Where("deputies.station_id = ? OR deputies.id IN (?)", q.StationID,
				db.Table("deputy_stations").Select("deputy_id").Where("station_id = ?", q.StationID))
		}
		if q.Township != "" {
			tx = tx.Where("stations.district = ?", q.Township)
		}
		if q.GroupID != 0 {
			tx = tx.Where("deputies.id IN (?)",
				db.Table("deputy_group_members").Select("deputy_id").Where("deputy_group_id = ?", q.GroupID))
		}
		return tx
	}
	var counts DeputyCounts
	type row struct {
		Status DeputyStatus
		N      int64
	}
	var rows []row
	if err := filter().Select("deputies.status AS status, COUNT(*) AS n").Group("deputies.status").Scan(&rows).Error; err != nil {
		return nil, DeputyCounts{}, translate(err)
	}
	for _, r := range rows {
		switch r.Status {
		case DeputyActive:
			counts.Active += r.N
		case DeputyRetired:
			counts.Retired += r.N
		}
	}
	tx := filter()
	if q.Status != "" {
		tx = tx.Where("deputies.status = ?", q.Status)
		if q.Status == DeputyActive {
			counts.Total = counts.Active
		} else {
			counts.Total = counts.Retired
		}
	} else {
		counts.Total = counts.Active + counts.Retired
	}
	var out []ManagedDeputy
	order := "CASE deputies.level WHEN 'national' THEN 0 WHEN 'provincial' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3 ELSE 4 END, deputies.id"
	if err := tx.Select("deputies.*, stations.name AS station_name, stations.district AS township").
		Order(order).Offset(q.Offset).Limit(q.Limit).Scan(&out).Error; err != nil {
		return nil, DeputyCounts{}, translate(err)
	}
	return out, counts, nil
}

// GetManagedDeputy loads a deputy in the scope with their other stations
// and constituency; outside the scope it is ErrDeputyNotFound.
func GetManagedDeputy(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64) (Deputy, error) {
	return managedDeputy(db.WithContext(ctx), sc, id, false)
}

func managedDeputy(tx *gorm.DB, sc ManageScope, id uint64, lock bool) (Deputy, error) {
	if !sc.All && sc.Township == "" {
		return Deputy{}, ErrManageForbidden
	}
	if !ValidID(id) {
		return Deputy{}, ErrDeputyNotFound
	}
	q := tx
	if lock {
		q = lockingUpdate(tx)
	}
	var d Deputy
	if err := q.First(&d, id).Error; err != nil {
		return Deputy{}, notFoundAs(err, ErrDeputyNotFound)
	}
	if !sc.All {
		var st Station
		if err := tx.Select("id", "district").First(&st, d.StationID).Error; err != nil {
			return Deputy{}, notFoundAs(err, ErrDeputyNotFound)
		}
		if d.Level != LevelTownship || !sc.AllowsStation(st) {
			return Deputy{}, ErrDeputyNotFound
		}
	}
	if err := tx.Model(&d).Order("stations.id").Association("Stations").Find(&d.Stations); err != nil {
		return Deputy{}, translate(err)
	}
	if err := tx.Model(&d).Order("communities.id").Association("Constituency").Find(&d.Constituency); err != nil {
		return Deputy{}, translate(err)
	}
	return d, nil
}

// CreateDeputy adds a deputy in the scope, gives them a code and audits it.
func CreateDeputy(ctx context.Context, db *gorm.DB, sc ManageScope, in DeputyInput, now time.Time) (Deputy, error) {
	if !sc.All && sc.Township == "" {
		return Deputy{}, ErrManageForbidden
	}
	var d Deputy
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, others, comms, err := in.check(tx, sc)
		if err != nil {
			return err
		}
		d = Deputy{Name: in.Name, Level: in.Level, StationID: in.StationID, Bio: in.Bio,
			PhotoURL: in.PhotoURL, Status: DeputyActive, Term: in.Term, Duties: in.Duties, Pledge: in.Pledge,
			TermStart: in.TermStart, TermEnd: in.TermEnd}
		if err := tx.Omit("Stations", "Constituency").Create(&d).Error; err != nil {
			return translate(err)
		}
		if err := replaceDeputyLinks(tx, &d, others, comms); err != nil {
			return err
		}
		if _, err := EnsureDeputyCode(ctx, tx, d.ID); err != nil {
			return err
		}
		if err := Audit(ctx, tx, now, sc.Actor, AuditDeputyCreate, "deputy", d.ID, "", string(DeputyActive),
			d.Name+"（"+d.Level.Label()+"）"); err != nil {
			return err
		}
		return setDeputyGroups(ctx, tx, sc, &d, in.GroupIDs, now)
	})
	if err != nil {
		return Deputy{}, err
	}
	return d, nil
}

// replaceDeputyLinks sets the deputy's other stations and constituency.
func replaceDeputyLinks(tx *gorm.DB, d *Deputy, others []Station, comms []Community) error {
	if err := tx.Exec("DELETE FROM deputy_stations WHERE deputy_id = ?", d.ID).Error; err != nil {
		return translate(err)
	}
	for _, s := range others {
		if err := tx.Exec("INSERT INTO deputy_stations (deputy_id, station_id) VALUES (?, ?)", d.ID, s.ID).Error; err != nil {
			return translate(err)
		}
	}
	if err := tx.Exec("DELETE FROM deputy_constituencies WHERE deputy_id = ?", d.ID).Error; err != nil {
		return translate(err)
	}
	for _, c := range comms {
		if err := tx.Exec("INSERT INTO deputy_constituencies (deputy_id, community_id) VALUES (?, ?)", d.ID, c.ID).Error; err != nil {
			return translate(err)
		}
	}
	d.Stations, d.Constituency = others, comms
	return nil
}

// UpdateDeputy changes a deputy's profile. The primary station changes
// only through MoveDeputy and the status only through RetireDeputy and
// ReinstateDeputy: in.StationID must be the current one.
func UpdateDeputy(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, in DeputyInput, now time.Time) (Deputy, error) {
	var d Deputy
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cur, err := managedDeputy(tx, sc, id, true)
		if err != nil {
			return err
		}
		if in.StationID == 0 {
			in.StationID = cur.StationID
		}
		if in.StationID != cur.StationID {
			return Invalid("station_id", "更换主要联络站请使用“换站”")
		}
		_, others, comms, err := in.check(tx, sc)
		if err != nil {
			return err
		}
		d = cur
		d.Name, d.Level, d.Bio, d.PhotoURL, d.Term = in.Name, in.Level, in.Bio, in.PhotoURL, in.Term
		d.Duties, d.Pledge, d.TermStart, d.TermEnd = in.Duties, in.Pledge, in.TermStart, in.TermEnd
		changed := deputyChanges(cur, d, others, comms)
		if err := tx.Model(&Deputy{ID: d.ID}).Select("name", "level", "bio", "photo_url", "term",
			"duties", "pledge", "term_start", "term_end", "updated_at").Updates(map[string]any{
			"name": d.Name, "level": d.Level, "bio": d.Bio, "photo_url": d.PhotoURL,
			"term": d.Term, "duties": d.Duties, "pledge": d.Pledge, "term_start": d.TermStart, "term_end": d.TermEnd,
			"updated_at": now.UTC()}).Error; err != nil {
			return translate(err)
		}
		if err := replaceDeputyLinks(tx, &d, others, comms); err != nil {
			return err
		}
		if changed != "" {
			if err := Audit(ctx, tx, now, sc.Actor, AuditDeputyUpdate, "deputy", d.ID, "", "", changed); err != nil {
				return err
			}
		}
		if !in.SetGroups {
			return nil
		}
		return setDeputyGroups(ctx, tx, sc, &d, in.GroupIDs, now)
	})
	if err != nil {
		return Deputy{}, err
	}
	return d, nil
}

// deputyChanges names the changed fields in Chinese, for the audit note.
func deputyChanges(a, b Deputy, others []Station, comms []Community) string {
	var out []string
	add := func(changed bool, label string) {
		if changed {
			out = append(out, label)
		}
	}
	add(a.Name != b.Name, "姓名："+a.Name+"→"+b.Name)
	add(a.Level != b.Level, "层级："+a.Level.Label()+"→"+b.Level.Label())
	add(a.Duties != b.Duties, "职务")
	add(a.Pledge != b.Pledge, "履职承诺")
	add(a.Term != b.Term, "届次")
	add(a.TermStart != b.TermStart || a.TermEnd != b.TermEnd, "任期："+a.TermStart+"至"+a.TermEnd+"→"+b.TermStart+"至"+b.TermEnd)
	add(a.Bio != b.Bio, "简介")
	add(a.PhotoURL != b.PhotoURL, "照片")
	ids := func(ss []Station) []uint64 {
		o := make([]uint64, len(ss))
		for i, s := range ss {
			o[i] = s.ID
		}
		slices.Sort(o)
		return o
	}
	cids := func(cs []Community) []uint64 {
		o := make([]uint64, len(cs))
		for i, c := range cs {
			o[i] = c.ID
		}
		slices.Sort(o)
		return o
	}
	add(!slices.Equal(ids(a.Stations), ids(others)), "其他联络站")
	add(!slices.Equal(cids(a.Constituency), cids(comms)), "选区")
	return Shorten(strings.Join(out, "；"), 1000, "…")
}

// RetireDeputy records that a deputy left office (离任) on date
// ("2006-01-02", not before their term's start): their status becomes
// retired and their term ends on that date. Their codes keep routing to
// their primary station (RuleCodeRetiredDeputy); the items already filed
// stay where they are.
func RetireDeputy(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, date, reason string, now time.Time) (Deputy, error) {
	date, err := ParseTermDate("date", date)
	if err != nil {
		return Deputy{}, err
	}
	if date == "" {
		return Deputy{}, Invalid("date", "请填写离任日期")
	}
	reason = CleanLine(reason)
	if utf8.RuneCountInString(reason) > 200 {
		return Deputy{}, Invalid("reason", "离任原因不能超过200个字")
	}
	var d Deputy
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if d, err = managedDeputy(tx, sc, id, true); err != nil {
			return err
		}
		if d.Status == DeputyRetired {
			return Coded(ErrConflict, "deputy_retired", d.Name+"代表已经离任")
		}
		if d.TermStart != "" && date < d.TermStart {
			return Invalid("date", "离任日期不能早于任期开始日期（"+d.TermStart+"）")
		}
		if err := tx.Model(&Deputy{ID: d.ID}).Updates(map[string]any{"status": DeputyRetired, "term_end": date,
			"updated_at": now.UTC()}).Error; err != nil {
			return translate(err)
		}
		note := "离任日期 " + date
		if reason != "" {
			note += "；" + reason
		}
		d.Status, d.TermEnd = DeputyRetired, date
		return Audit(ctx, tx, now, sc.Actor, AuditDeputyRetire, "deputy", d.ID, string(DeputyActive), string(DeputyRetired), note)
	})
	if err != nil {
		return Deputy{}, err
	}
	return d, nil
}

// ReinstateDeputy undoes a retirement entered by mistake: the deputy is
// active again; their term end is left for the office to correct.
func ReinstateDeputy(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, now time.Time) (Deputy, error) {
	var d Deputy
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if d, err = managedDeputy(tx, sc, id, true); err != nil {
			return err
		}
		if d.Status == DeputyActive {
			return Coded(ErrConflict, "deputy_active", d.Name+"代表目前在任")
		}
		if err := tx.Model(&Deputy{ID: d.ID}).Updates(map[string]any{"status": DeputyActive, "updated_at": now.UTC()}).Error; err != nil {
			return translate(err)
		}
		d.Status = DeputyActive
		return Audit(ctx, tx, now, sc.Actor, AuditDeputyReinstate, "deputy", d.ID, string(DeputyRetired), string(DeputyActive), "")
	})
	if err != nil {
		return Deputy{}, err
	}
	return d, nil
}

// MoveDeputy changes a deputy's primary station (换站): from now on their
// code routes to the new station; the items already filed stay where they
// are. The new station leaves the deputy's other stations if it was one.
func MoveDeputy(ctx context.Context, db *gorm.DB, sc ManageScope, id, stationID uint64, now time.Time) (Deputy, error) {
	var d Deputy
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if d, err = managedDeputy(tx, sc, id, true); err != nil {
			return err
		}
		var to Station
		if !ValidID(stationID) {
			return Invalid("station_id", "请选择新的主要联络站")
		}
		if err := tx.First(&to, stationID).Error; err != nil {
			return orInvalid(err, "station_id", "请选择新的主要联络站")
		}
		if !sc.AllowsStation(to) {
			return Invalid("station_id", "只能选择本乡镇（街道）的联络站")
		}
		if to.ID == d.StationID {
			return Invalid("station_id", d.Name+"代表的主要联络站已经是"+to.Name)
		}
		var from Station
		if err := tx.Select("id", "name").First(&from, d.StationID).Error; err != nil && !errors.Is(translate(err), ErrNotFound) {
			return translate(err)
		}
		if err := tx.Model(&Deputy{ID: d.ID}).Updates(map[string]any{"station_id": to.ID, "updated_at": now.UTC()}).Error; err != nil {
			return translate(err)
		}
		if err := tx.Exec("DELETE FROM deputy_stations WHERE deputy_id = ? AND station_id = ?", d.ID, to.ID).Error; err != nil {
			return translate(err)
		}
		d.Stations = slices.DeleteFunc(d.Stations, func(s Station) bool { return s.ID == to.ID })
		d.StationID = to.ID
		return Audit(ctx, tx, now, sc.Actor, AuditDeputyMove, "deputy", d.ID,
			strconv.FormatUint(from.ID, 10), strconv.FormatUint(to.ID, 10), from.Name+"→"+to.Name)
	})
	if err != nil {
		return Deputy{}, err
	}
	return d, nil
}

// DeputyChoices are the stations and communities a deputy's form offers
// in a scope, by id; Townships in the order of their first station.
type DeputyChoices struct {
	Stations    []Station
	Communities []Community
	// Townships are the scope's townships (Station.District), in order.
	Townships []string
}

// DeputyFormChoices loads the choices of the deputy form in the scope.
func DeputyFormChoices(ctx context.Context, db *gorm.DB, sc ManageScope) (DeputyChoices, error) {
	if !sc.All && sc.Township == "" {
		return DeputyChoices{}, ErrManageForbidden
	}
	var out DeputyChoices
	st := db.WithContext(ctx).Select("id", "name", "district", "kind").Order("id")
	cm := db.WithContext(ctx).Select("id", "name", "district", "station_id").Order("id")
	if !sc.All {
		st, cm = st.Where("district = ?", sc.Township), cm.Where("district = ?", sc.Township)
	}
	if err := st.Find(&out.Stations).Error; err != nil {
		return DeputyChoices{}, translate(err)
	}
	if err := cm.Find(&out.Communities).Error; err != nil {
		return DeputyChoices{}, translate(err)
	}
	for _, s := range out.Stations {
		if !slices.Contains(out.Townships, s.District) {
			out.Townships = append(out.Townships, s.District)
		}
	}
	return out, nil
}

// SetDeputyPhoto points a deputy's photo at an uploaded one (photoURL made
// by DeputyPhotoPath) and audits it.
func SetDeputyPhoto(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, photoURL string, now time.Time) (Deputy, error) {
	if !IsDeputyPhotoPath(photoURL) {
		return Deputy{}, Invalid("photo_url", "照片地址不正确")
	}
	var d Deputy
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if d, err = managedDeputy(tx, sc, id, true); err != nil {
			return err
		}
		if err := tx.Model(&Deputy{ID: d.ID}).Updates(map[string]any{"photo_url": photoURL, "updated_at": now.UTC()}).Error; err != nil {
			return translate(err)
		}
		d.PhotoURL = photoURL
		return Audit(ctx, tx, now, sc.Actor, AuditDeputyPhoto, "deputy", d.ID, "", "", photoURL)
	})
	if err != nil {
		return Deputy{}, err
	}
	return d, nil
}
