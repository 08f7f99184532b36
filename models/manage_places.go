package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The management of places and rules (the console's 管理 pages): stations,
// communities and their aliases, categories and their deadlines, the
// (station, category) contact table, departments, the holiday calendar and
// reception rules. Every function takes the ManageScope of the staff member:
// a township user manages its township's stations and communities only (any
// other is ErrStationNotFound or ErrCommunityNotFound, as absent as a missing
// one), and only the county office (ManageScope.All) manages categories,
// departments and the calendar. Every change writes the audit log in the
// transaction that makes it; a refused one writes nothing.

// ErrCountyOnly refuses a township user what only the county office manages.
var ErrCountyOnly = Coded(ErrForbidden, "county_only", "只有县人大常委会办公室可以进行此项管理")

// Errors of the management of places.
var (
	ErrCommunityNotFound = Coded(ErrNotFound, "community_not_found", "没有找到这个村（社区）")
	ErrCategoryNotFound  = Coded(ErrNotFound, "category_not_found", "没有找到这个意见类别")
	// ErrNoSuchDepartment is a department the management pages cannot find
	// (ErrDepartmentNotFound is a bad choice in a transfer form).
	ErrNoSuchDepartment = Coded(ErrNotFound, "department_not_found", "没有找到这个部门")
)

// Audit entity kinds of the management of places.
const (
	auditStation    = "station"
	auditCommunity  = "community"
	auditCategory   = "category"
	auditDepartment = "department"
)

// Bounds of what the management pages accept.
const (
	stationNameMax   = 100
	addressMax       = 255
	districtMax      = 50
	openHoursMax     = 100
	phoneMax         = 30
	communityNameMax = 100
	aliasMax         = 20
	aliasesMax       = 500
	categoryNameMax  = 50
	categoryHintMax  = 200
	departmentMax    = 100
	deptContactMax   = 50
	// AcceptDaysMax and ReplyDaysMax bound a category's deadlines in
	// working days.
	AcceptDaysMax = 30
	ReplyDaysMax  = 90
)

// requireCounty refuses anything but the county office's scope.
func requireCounty(sc ManageScope) error {
	if !sc.All {
		return ErrCountyOnly
	}
	return nil
}

// checkLine cleans one typed line into *s and checks it is present (when
// required) and at most max characters; the error names field.
func checkLine(s *string, field, label string, max int, required bool) error {
	*s = strings.Join(strings.Fields(CleanLine(*s)), " ")
	switch {
	case *s == "" && required:
		return Invalid(field, "请填写"+label)
	case utf8.RuneCountInString(*s) > max:
		return Invalid(field, fmt.Sprintf("%s不能超过%d个字", label, max))
	}
	return nil
}

// phoneRe is a landline or mobile number as offices write them:
// "0571-63810001", "13812345678", "0571-63810001转8012".
var phoneRe = regexp.MustCompile(`^[0-9+()\- ]{5,}(转[0-9]{1,6})?$`)

// checkPhone cleans and checks a phone number; empty is fine unless required.
func checkPhone(s *string, field string, required bool) error {
	if err := checkLine(s, field, "电话", phoneMax, required); err != nil {
		return err
	}
	if *s != "" && !phoneRe.MatchString(*s) {
		return Invalid(field, "电话号码格式不正确（例如0571-63810001或13812345678）")
	}
	return nil
}

// Validate cleans and checks a station as an office enters it; the error
// names the bad field in Chinese.
func (st *Station) Validate() error {
	if !st.Kind.Valid() {
		return Invalid("kind", "请选择类型：代表之家、代表联络站或基层立法联系点")
	}
	if err := checkLine(&st.Name, "name", "名称", stationNameMax, true); err != nil {
		return err
	}
	if utf8.RuneCountInString(st.Name) < 2 {
		return Invalid("name", "名称至少2个字")
	}
	if err := checkLine(&st.District, "district", "所属乡镇（街道）", districtMax, true); err != nil {
		return err
	}
	if err := checkLine(&st.Address, "address", "地址", addressMax, true); err != nil {
		return err
	}
	// Roughly China's extent: a swapped or missing coordinate is caught.
	if st.Lat < 3 || st.Lat > 54 {
		return Invalid("lat", "纬度应在3到54之间（例如30.2712），可在地图上查到")
	}
	if st.Lng < 73 || st.Lng > 136 {
		return Invalid("lng", "经度应在73到136之间（例如120.1565），可在地图上查到")
	}
	if err := checkLine(&st.OpenHours, "open_hours", "开放时间", openHoursMax, true); err != nil {
		return err
	}
	return checkPhone(&st.Phone, "phone", false)
}

// ManageStationQuery filters the stations list of the management pages.
type ManageStationQuery struct {
	// Query matches a part of the name or the address.
	Query    string
	District string
	Kind     StationKind
}

// ManagedStation is one row of the stations list, with what is attached
// to it.
type ManagedStation struct {
	Station
	Communities, Deputies, Staff int64
}

// ListManagedStations lists the stations of the scope that match q, by
// township and name.
func ListManagedStations(ctx context.Context, db *gorm.DB, sc ManageScope, q ManageStationQuery) ([]ManagedStation, error) {
	db = db.WithContext(ctx)
	tx := db.Model(&Station{})
	if !sc.All {
		tx = tx.Where("district = ?", sc.Township)
	}
	if q.District != "" {
		tx = tx.Where("district = ?", q.District)
	}
	if q.Kind != "" {
		tx = tx.Where("kind = ?", q.Kind)
	}
	if s := strings.TrimSpace(CleanLine(q.Query)); s != "" {
		like := "%" + escapeLike(s) + "%"
		tx = tx.Where("name LIKE ?"+likeESCAPE+" OR address LIKE ?"+likeESCAPE, like, like)
	}
	var rows []Station
	if err := tx.Order("district, name, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	counts := func(table, col string) (map[uint64]int64, error) {
		var cs []struct {
			ID uint64
			N  int64
		}
		err := db.Table(table).Select(col + " AS id, COUNT(*) AS n").Group(col).Scan(&cs).Error
		out := make(map[uint64]int64, len(cs))
		for _, c := range cs {
			out[c.ID] = c.N
		}
		return out, translate(err)
	}
	comms, err := counts("communities", "station_id")
	if err != nil {
		return nil, err
	}
	deps, err := counts("deputies", "station_id")
	if err != nil {
		return nil, err
	}
	staff, err := counts("staff_stations", "station_id")
	if err != nil {
		return nil, err
	}
	out := make([]ManagedStation, 0, len(rows))
	for _, st := range rows {
		out = append(out, ManagedStation{Station: st, Communities: comms[st.ID], Deputies: deps[st.ID], Staff: staff[st.ID]})
	}
	return out, nil
}

// likeESCAPE names escapeLike's escape character after a LIKE: "!"
// rather than a backslash, which the two dialects quote differently.
const likeESCAPE = " ESCAPE '!'"

// ManagedDistricts lists the townships the scope covers that have
// stations, in order: the township filter and choices of the pages.
func ManagedDistricts(ctx context.Context, db *gorm.DB, sc ManageScope) ([]string, error) {
	if !sc.All {
		return []string{sc.Township}, nil
	}
	var out []string
	err := db.WithContext(ctx).Model(&Station{}).Distinct("district").Order("district").Pluck("district", &out).Error
	return out, translate(err)
}

// GetManagedStation loads a station of the scope; another township's is
// ErrStationNotFound.
func GetManagedStation(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64) (Station, error) {
	return managedStation(db.WithContext(ctx), sc, id)
}

func managedStation(tx *gorm.DB, sc ManageScope, id uint64) (Station, error) {
	var st Station
	if !ValidID(id) {
		return st, ErrStationNotFound
	}
	if err := tx.First(&st, id).Error; err != nil {
		return Station{}, notFoundAs(err, ErrStationNotFound)
	}
	if !sc.AllowsStation(st) {
		return Station{}, ErrStationNotFound
	}
	return st, nil
}

// uniqueName refuses a name another row of model already has.
func uniqueName(tx *gorm.DB, model any, name string, id uint64, field, msg string) error {
	var n int64
	if err := tx.Model(model).Where("name = ? AND id <> ?", name, id).Count(&n).Error; err != nil {
		return translate(err)
	}
	if n > 0 {
		return Invalid(field, msg)
	}
	return nil
}

// CreateStation adds a station. A township user's station is always in
// its township.
func CreateStation(ctx context.Context, db *gorm.DB, sc ManageScope, st Station, now time.Time) (Station, error) {
	if !sc.All {
		st.District = sc.Township
	}
	if err := st.Validate(); err != nil {
		return Station{}, err
	}
	st.ID = 0
	st.CreatedAt, st.UpdatedAt = now.UTC(), now.UTC()
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := uniqueName(tx, &Station{}, st.Name, 0, "name", "已有同名的联络站"); err != nil {
			return err
		}
		if err := tx.Create(&st).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "station.create", auditStation, st.ID, "", string(st.Kind),
			st.Name+"，"+st.District)
	})
	return st, err
}

// changes lists "label：old→new" for every field that differs, for the
// audit note.
type changes []string

func (c *changes) add(label, old, new string) {
	if old != new {
		*c = append(*c, label+"："+Shorten(old, 60, "…")+"→"+Shorten(new, 60, "…"))
	}
}

func (c changes) String() string { return Shorten(strings.Join(c, "；"), 2000, "…") }

// UpdateStation changes a station of the scope. A township user cannot
// move it to another township.
func UpdateStation(ctx context.Context, db *gorm.DB, sc ManageScope, st Station, now time.Time) (Station, error) {
	if !sc.All {
		st.District = sc.Township
	}
	if err := st.Validate(); err != nil {
		return Station{}, err
	}
	var out Station
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		old, err := managedStation(lockingUpdate(tx), sc, st.ID)
		if err != nil {
			return err
		}
		if err := uniqueName(tx, &Station{}, st.Name, st.ID, "name", "已有同名的联络站"); err != nil {
			return err
		}
		var ch changes
		ch.add("类型", old.Kind.Label(), st.Kind.Label())
		ch.add("名称", old.Name, st.Name)
		ch.add("乡镇", old.District, st.District)
		ch.add("地址", old.Address, st.Address)
		ch.add("位置", fmt.Sprintf("%.6f,%.6f", old.Lat, old.Lng), fmt.Sprintf("%.6f,%.6f", st.Lat, st.Lng))
		ch.add("开放时间", old.OpenHours, st.OpenHours)
		ch.add("电话", old.Phone, st.Phone)
		out = old
		if len(ch) == 0 {
			return nil
		}
		out.Kind, out.Name, out.District, out.Address = st.Kind, st.Name, st.District, st.Address
		out.Lat, out.Lng, out.OpenHours, out.Phone, out.UpdatedAt = st.Lat, st.Lng, st.OpenHours, st.Phone, now.UTC()
		if err := tx.Model(&Station{}).Where("id = ?", st.ID).Updates(map[string]any{
			"kind": out.Kind, "name": out.Name, "district": out.District, "address": out.Address, "lat": out.Lat,
			"lng": out.Lng, "open_hours": out.OpenHours, "phone": out.Phone, "updated_at": out.UpdatedAt,
		}).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "station.update", auditStation, st.ID, "", "", ch.String())
	})
	return out, err
}

// stationUses counts what still points at a station, in the words of the
// refusal.
func stationUses(tx *gorm.DB, id uint64) ([]string, error) {
	checks := []struct {
		label, unit string
		q           *gorm.DB
	}{
		{"意见", "条", tx.Table("opinions").Where("station_id = ?", id)},
		{"接待日", "个", tx.Table("reception_days").Where("station_id = ?", id)},
		{"代表", "名", tx.Table("deputies").Where("station_id = ?", id)},
		{"兼任代表", "名", tx.Table("deputy_stations").Where("station_id = ?", id)},
		{"村（社区）", "个", tx.Table("communities").Where("station_id = ?", id)},
		{"工作人员", "名", tx.Table("staff_stations").Where("station_id = ?", id)},
		{"二维码", "个", tx.Table("codes").Where("target_kind = ? AND target_id = ?", CodeStation, id)},
	}
	var out []string
	for _, c := range checks {
		var n int64
		if err := c.q.Count(&n).Error; err != nil {
			return nil, translate(err)
		}
		if n > 0 {
			out = append(out, c.label+strconv.FormatInt(n, 10)+c.unit)
		}
	}
	return out, nil
}

// DeleteStation removes a station nothing points at any more, with its
// contact table and reception rule. A station with items, reception days,
// deputies, communities, staff or codes is refused (ErrConflict) with a
// Chinese reason naming them: they must move first, and its history stays.
func DeleteStation(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, now time.Time) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st, err := managedStation(lockingUpdate(tx), sc, id)
		if err != nil {
			return err
		}
		uses, err := stationUses(tx, id)
		if err != nil {
			return err
		}
		if len(uses) > 0 {
			return Coded(ErrConflict, "station_in_use", "“"+st.Name+"”还有"+strings.Join(uses, "、")+
				"，不能删除。请先把它们转到其他联络站。")
		}
		if err := tx.Where("station_id = ?", id).Delete(&StationContact{}).Error; err != nil {
			return translate(err)
		}
		if err := tx.Where("station_id = ?", id).Delete(&ReceptionRule{}).Error; err != nil {
			return translate(err)
		}
		if err := tx.Delete(&Station{}, id).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "station.delete", auditStation, id, string(st.Kind), "", st.Name+"，"+st.District)
	})
}

// ManageCommunityQuery filters the communities list.
type ManageCommunityQuery struct {
	Query     string
	StationID uint64
	District  string
}

// ManagedCommunity is one row of the communities list.
type ManagedCommunity struct {
	Community
	StationName string
}

// ListManagedCommunities lists the communities of the scope that match q
// (the name or an alias), by township and name.
func ListManagedCommunities(ctx context.Context, db *gorm.DB, sc ManageScope, q ManageCommunityQuery) ([]ManagedCommunity, error) {
	db = db.WithContext(ctx)
	tx := db.Model(&Community{})
	if !sc.All {
		tx = tx.Where("district = ?", sc.Township)
	}
	if q.District != "" {
		tx = tx.Where("district = ?", q.District)
	}
	if q.StationID != 0 {
		tx = tx.Where("station_id = ?", q.StationID)
	}
	if s := strings.TrimSpace(CleanLine(q.Query)); s != "" {
		like := "%" + escapeLike(s) + "%"
		tx = tx.Where("name LIKE ?"+likeESCAPE+" OR aliases LIKE ?"+likeESCAPE, like, like)
	}
	var rows []Community
	if err := tx.Order("district, name, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	var sts []Station
	if err := db.Select("id", "name").Find(&sts).Error; err != nil {
		return nil, translate(err)
	}
	names := make(map[uint64]string, len(sts))
	for _, s := range sts {
		names[s.ID] = s.Name
	}
	out := make([]ManagedCommunity, 0, len(rows))
	for _, c := range rows {
		out = append(out, ManagedCommunity{Community: c, StationName: names[c.StationID]})
	}
	return out, nil
}

// GetManagedCommunity loads a community of the scope; another township's is
// ErrCommunityNotFound.
func GetManagedCommunity(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64) (Community, error) {
	return managedCommunity(db.WithContext(ctx), sc, id)
}

func managedCommunity(tx *gorm.DB, sc ManageScope, id uint64) (Community, error) {
	var c Community
	if !ValidID(id) {
		return c, ErrCommunityNotFound
	}
	if err := tx.First(&c, id).Error; err != nil {
		return Community{}, notFoundAs(err, ErrCommunityNotFound)
	}
	if !sc.AllowsDistrict(c.District) {
		return Community{}, ErrCommunityNotFound
	}
	return c, nil
}

// AliasesFromLines turns the aliases typed one per line (or separated by
// commas) into the stored "|" list: cleaned, without duplicates or the
// name itself. A too long alias or list is an error for the field
// "aliases".
func AliasesFromLines(text, name string) (string, error) {
	var out []string
	for _, a := range strings.FieldsFunc(text, func(r rune) bool {
		return r == '\n' || r == '\r' || r == '|' || r == ',' || r == '，' || r == '、' || r == ';' || r == '；'
	}) {
		a = strings.Join(strings.Fields(CleanLine(a)), " ")
		if a == "" || a == name || slices.Contains(out, a) {
			continue
		}
		if utf8.RuneCountInString(a) > aliasMax {
			return "", Invalid("aliases", fmt.Sprintf("别名“%s”太长，每个别名不能超过%d个字", Shorten(a, 20, "…"), aliasMax))
		}
		out = append(out, a)
	}
	s := strings.Join(out, "|")
	if utf8.RuneCountInString(s) > aliasesMax {
		return "", Invalid("aliases", fmt.Sprintf("别名合计不能超过%d个字", aliasesMax))
	}
	return s, nil
}

// checkCommunity cleans and checks a community against its station (which
// must be in the scope); the district defaults to the station's, and a
// township user's is always its township.
func checkCommunity(tx *gorm.DB, sc ManageScope, c *Community, aliasText string) error {
	if err := checkLine(&c.Name, "name", "名称", communityNameMax, true); err != nil {
		return err
	}
	if utf8.RuneCountInString(c.Name) < 2 {
		return Invalid("name", "名称至少2个字")
	}
	if c.StationID == 0 {
		return Invalid("station_id", "请选择联系服务的联络站")
	}
	st, err := managedStation(tx, sc, c.StationID)
	if errors.Is(err, ErrStationNotFound) {
		return Invalid("station_id", "请选择有效的联络站")
	}
	if err != nil {
		return err
	}
	if err := checkLine(&c.District, "district", "所属乡镇（街道）", districtMax, false); err != nil {
		return err
	}
	if c.District == "" {
		c.District = st.District
	}
	if !sc.All {
		c.District = sc.Township
	}
	if c.Aliases, err = AliasesFromLines(aliasText, c.Name); err != nil {
		return err
	}
	return uniqueName(tx, &Community{}, c.Name, c.ID, "name", "已有同名的村（社区）")
}

// CreateCommunity adds a community; aliasText holds its aliases, one per
// line.
func CreateCommunity(ctx context.Context, db *gorm.DB, sc ManageScope, c Community, aliasText string, now time.Time) (Community, error) {
	c.ID = 0
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkCommunity(tx, sc, &c, aliasText); err != nil {
			return err
		}
		c.CreatedAt, c.UpdatedAt = now.UTC(), now.UTC()
		if err := tx.Create(&c).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "community.create", auditCommunity, c.ID, "", "",
			fmt.Sprintf("%s，%s，联络站%d，别名：%s", c.Name, c.District, c.StationID, c.Aliases))
	})
	return c, err
}

// UpdateCommunity changes a community of the scope.
func UpdateCommunity(ctx context.Context, db *gorm.DB, sc ManageScope, c Community, aliasText string, now time.Time) (Community, error) {
	var out Community
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		old, err := managedCommunity(lockingUpdate(tx), sc, c.ID)
		if err != nil {
			return err
		}
		if err := checkCommunity(tx, sc, &c, aliasText); err != nil {
			return err
		}
		var ch changes
		ch.add("名称", old.Name, c.Name)
		ch.add("联络站", strconv.FormatUint(old.StationID, 10), strconv.FormatUint(c.StationID, 10))
		ch.add("乡镇", old.District, c.District)
		ch.add("别名", old.Aliases, c.Aliases)
		out = old
		if len(ch) == 0 {
			return nil
		}
		out.Name, out.StationID, out.District, out.Aliases, out.UpdatedAt = c.Name, c.StationID, c.District, c.Aliases, now.UTC()
		if err := tx.Model(&Community{}).Where("id = ?", c.ID).Updates(map[string]any{
			"name": out.Name, "station_id": out.StationID, "district": out.District, "aliases": out.Aliases, "updated_at": out.UpdatedAt,
		}).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "community.update", auditCommunity, c.ID, "", "", ch.String())
	})
	return out, err
}

// DeleteCommunity removes a community no item and no deputy's
// constituency names; one that is named is refused with the reason.
func DeleteCommunity(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, now time.Time) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := managedCommunity(lockingUpdate(tx), sc, id)
		if err != nil {
			return err
		}
		var items, deps int64
		if err := tx.Table("opinions").Where("community_id = ?", id).Count(&items).Error; err != nil {
			return translate(err)
		}
		if err := tx.Table("deputy_constituencies").Where("community_id = ?", id).Count(&deps).Error; err != nil {
			return translate(err)
		}
		var uses []string
		if items > 0 {
			uses = append(uses, fmt.Sprintf("意见%d条", items))
		}
		if deps > 0 {
			uses = append(uses, fmt.Sprintf("%d名代表的选区", deps))
		}
		if len(uses) > 0 {
			return Coded(ErrConflict, "community_in_use", "“"+c.Name+"”已用于"+strings.Join(uses, "、")+
				"，不能删除。可以改名或改由其他联络站联系服务。")
		}
		if err := tx.Delete(&Community{}, id).Error; err != nil {
			return translate(err)
		}
		// Voters who declared it as theirs have none again.
		if err := tx.Model(&Voter{}).Where("community_id = ?", id).Update("community_id", nil).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "community.delete", auditCommunity, id, "", "", c.Name+"，"+c.District)
	})
}

// categoryCodeRe is a category's code: what the mini-program and the
// routing overrides name it by.
var categoryCodeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)

// Validate cleans and checks a category as the office enters it.
func (c *Category) Validate() error {
	c.Code = strings.ToLower(strings.TrimSpace(c.Code))
	if !categoryCodeRe.MatchString(c.Code) {
		return Invalid("code", "代码应为2到32位小写字母、数字或下划线，以字母开头（例如chengjian）")
	}
	if err := checkLine(&c.Name, "name", "名称", categoryNameMax, true); err != nil {
		return err
	}
	if err := checkLine(&c.Hint, "hint", "说明", categoryHintMax, false); err != nil {
		return err
	}
	switch {
	case c.AcceptDays < 1 || c.AcceptDays > AcceptDaysMax:
		return Invalid("accept_days", fmt.Sprintf("受理期限应为1到%d个工作日", AcceptDaysMax))
	case c.ReplyDays < 1 || c.ReplyDays > ReplyDaysMax:
		return Invalid("reply_days", fmt.Sprintf("答复期限应为1到%d个工作日", ReplyDaysMax))
	case c.ReplyDays < c.AcceptDays:
		return Invalid("reply_days", "答复期限不能短于受理期限")
	case c.SortOrder < 0 || c.SortOrder > 999:
		return Invalid("sort_order", "排序应为0到999")
	}
	return nil
}

// GetManagedCategory loads a category for the county office.
func GetManagedCategory(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64) (Category, error) {
	if err := requireCounty(sc); err != nil {
		return Category{}, err
	}
	var c Category
	if !ValidID(id) {
		return c, ErrCategoryNotFound
	}
	err := db.WithContext(ctx).First(&c, id).Error
	return c, notFoundAs(err, ErrCategoryNotFound)
}

// CreateCategory adds a category (county office only).
func CreateCategory(ctx context.Context, db *gorm.DB, sc ManageScope, c Category, now time.Time) (Category, error) {
	if err := requireCounty(sc); err != nil {
		return Category{}, err
	}
	if err := c.Validate(); err != nil {
		return Category{}, err
	}
	c.ID = 0
	c.CreatedAt, c.UpdatedAt = now.UTC(), now.UTC()
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Category{}).Where("code = ?", c.Code).Count(&n).Error; err != nil {
			return translate(err)
		}
		if n > 0 {
			return Invalid("code", "已有代码相同的类别")
		}
		if err := tx.Create(&c).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "category.create", auditCategory, c.ID, "", c.Code,
			fmt.Sprintf("%s，受理%d个工作日，答复%d个工作日", c.Name, c.AcceptDays, c.ReplyDays))
	})
	return c, err
}

// UpdateCategory changes a category's name, hint, deadlines and order; its
// code stays (the mini-program and the routing name it by the code). New
// deadlines apply to items filed afterwards: an item keeps the deadlines it
// was filed with.
func UpdateCategory(ctx context.Context, db *gorm.DB, sc ManageScope, c Category, now time.Time) (Category, error) {
	if err := requireCounty(sc); err != nil {
		return Category{}, err
	}
	var out Category
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old Category
		if !ValidID(c.ID) {
			return ErrCategoryNotFound
		}
		if err := lockingUpdate(tx).First(&old, c.ID).Error; err != nil {
			return notFoundAs(err, ErrCategoryNotFound)
		}
		c.Code = old.Code
		if err := c.Validate(); err != nil {
			return err
		}
		var ch changes
		ch.add("名称", old.Name, c.Name)
		ch.add("说明", old.Hint, c.Hint)
		ch.add("受理期限", strconv.Itoa(old.AcceptDays), strconv.Itoa(c.AcceptDays))
		ch.add("答复期限", strconv.Itoa(old.ReplyDays), strconv.Itoa(c.ReplyDays))
		ch.add("排序", strconv.Itoa(old.SortOrder), strconv.Itoa(c.SortOrder))
		out = old
		if len(ch) == 0 {
			return nil
		}
		out.Name, out.Hint, out.AcceptDays, out.ReplyDays, out.SortOrder, out.UpdatedAt = c.Name, c.Hint, c.AcceptDays, c.ReplyDays, c.SortOrder, now.UTC()
		if err := tx.Model(&Category{}).Where("id = ?", c.ID).Updates(map[string]any{
			"name": out.Name, "hint": out.Hint, "accept_days": out.AcceptDays, "reply_days": out.ReplyDays,
			"sort_order": out.SortOrder, "updated_at": out.UpdatedAt,
		}).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "category.update", auditCategory, c.ID, "", old.Code, ch.String())
	})
	return out, err
}

// Validate cleans and checks a department as the office enters it.
func (d *Department) Validate() error {
	if err := checkLine(&d.Name, "name", "部门名称", departmentMax, true); err != nil {
		return err
	}
	if utf8.RuneCountInString(d.Name) < 2 {
		return Invalid("name", "部门名称至少2个字")
	}
	if err := checkLine(&d.Contact, "contact", "联系人", deptContactMax, true); err != nil {
		return err
	}
	return checkPhone(&d.Phone, "phone", true)
}

// GetManagedDepartment loads a department for the county office.
func GetManagedDepartment(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64) (Department, error) {
	if err := requireCounty(sc); err != nil {
		return Department{}, err
	}
	var d Department
	if !ValidID(id) {
		return d, ErrNoSuchDepartment
	}
	err := db.WithContext(ctx).First(&d, id).Error
	return d, notFoundAs(err, ErrNoSuchDepartment)
}

// CreateDepartment adds a department items can be transferred to.
func CreateDepartment(ctx context.Context, db *gorm.DB, sc ManageScope, d Department, now time.Time) (Department, error) {
	if err := requireCounty(sc); err != nil {
		return Department{}, err
	}
	if err := d.Validate(); err != nil {
		return Department{}, err
	}
	d.ID = 0
	d.CreatedAt, d.UpdatedAt = now.UTC(), now.UTC()
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := uniqueName(tx, &Department{}, d.Name, 0, "name", "已有同名的部门"); err != nil {
			return err
		}
		if err := tx.Create(&d).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "department.create", auditDepartment, d.ID, "", "", d.Name+"，"+d.Contact)
	})
	return d, err
}

// UpdateDepartment changes a department's name, contact and phone.
func UpdateDepartment(ctx context.Context, db *gorm.DB, sc ManageScope, d Department, now time.Time) (Department, error) {
	if err := requireCounty(sc); err != nil {
		return Department{}, err
	}
	if err := d.Validate(); err != nil {
		return Department{}, err
	}
	var out Department
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old Department
		if !ValidID(d.ID) {
			return ErrNoSuchDepartment
		}
		if err := lockingUpdate(tx).First(&old, d.ID).Error; err != nil {
			return notFoundAs(err, ErrNoSuchDepartment)
		}
		if err := uniqueName(tx, &Department{}, d.Name, d.ID, "name", "已有同名的部门"); err != nil {
			return err
		}
		var ch changes
		ch.add("名称", old.Name, d.Name)
		ch.add("联系人", old.Contact, d.Contact)
		ch.add("电话", old.Phone, d.Phone)
		out = old
		if len(ch) == 0 {
			return nil
		}
		out.Name, out.Contact, out.Phone, out.UpdatedAt = d.Name, d.Contact, d.Phone, now.UTC()
		if err := tx.Model(&Department{}).Where("id = ?", d.ID).Updates(map[string]any{
			"name": out.Name, "contact": out.Contact, "phone": out.Phone, "updated_at": out.UpdatedAt,
		}).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "department.update", auditDepartment, d.ID, "", "", ch.String())
	})
	return out, err
}

// DeleteDepartment removes a department no item was ever transferred to;
// one that was is refused (its items keep naming it).
func DeleteDepartment(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, now time.Time) error {
	if err := requireCounty(sc); err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Department
		if !ValidID(id) {
			return ErrNoSuchDepartment
		}
		if err := lockingUpdate(tx).First(&d, id).Error; err != nil {
			return notFoundAs(err, ErrNoSuchDepartment)
		}
		var n, m int64
		if err := tx.Table("opinions").Where("department_id = ?", id).Count(&n).Error; err != nil {
			return translate(err)
		}
		if err := tx.Table("opinion_departments").Where("department_id = ?", id).Count(&m).Error; err != nil {
			return translate(err)
		}
		if n+m > 0 {
			return Coded(ErrConflict, "department_in_use", fmt.Sprintf("已有%d条意见转办给“%s”，不能删除。可以修改名称和联系人。", max(n, m), d.Name))
		}
		if err := tx.Delete(&Department{}, id).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "department.delete", auditDepartment, id, "", "", d.Name)
	})
}

// ContactRow is one row of a station's contact table: a category (0 for
// every category) and its contact (0 for none).
type ContactRow struct {
	CategoryID   uint64
	CategoryName string
	StaffID      uint64
}

// StationContactTable is a station's contact table for the management
// pages: the row for every category first, then one per category in
// display order, and the staff who may be picked (the station's clerks and
// heads, and the admins).
func StationContactTable(ctx context.Context, db *gorm.DB, sc ManageScope, stationID uint64) (Station, []ContactRow, []StaffBrief, error) {
	st, err := GetManagedStation(ctx, db, sc, stationID)
	if err != nil {
		return Station{}, nil, nil, err
	}
	cats, err := ListCategories(ctx, db)
	if err != nil {
		return Station{}, nil, nil, err
	}
	have, err := ListStationContacts(ctx, db, stationID)
	if err != nil {
		return Station{}, nil, nil, err
	}
	by := make(map[uint64]uint64, len(have))
	for _, c := range have {
		by[c.CategoryID] = c.StaffID
	}
	rows := []ContactRow{{CategoryID: 0, CategoryName: "所有类别（未单独指定时）", StaffID: by[0]}}
	for _, c := range cats {
		rows = append(rows, ContactRow{CategoryID: c.ID, CategoryName: c.Name, StaffID: by[c.ID]})
	}
	staff, err := ListStationStaff(ctx, db, StaffScope{All: true}, stationID)
	return st, rows, staff, err
}

// SetStationContacts saves a station's whole contact table at once: want
// maps a category id (0 for every category) to its contact (0 for none).
// Categories want does not name are left as they are. Either every change
// is made, each audited, or none; it returns how many rows changed.
func SetStationContacts(ctx context.Context, db *gorm.DB, sc ManageScope, stationID uint64, want map[uint64]uint64, now time.Time) (int, error) {
	changed := 0
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		changed = 0
		if _, err := managedStation(tx, sc, stationID); err != nil {
			return err
		}
		var have []StationContact
		if err := tx.Where("station_id = ?", stationID).Find(&have).Error; err != nil {
			return translate(err)
		}
		by := make(map[uint64]uint64, len(have))
		for _, c := range have {
			by[c.CategoryID] = c.StaffID
		}
		cats := make([]uint64, 0, len(want))
		for id := range want {
			cats = append(cats, id)
		}
		slices.Sort(cats)
		for _, cat := range cats {
			staff := want[cat]
			switch {
			case staff == by[cat]:
				continue
			case staff == 0:
				if err := deleteStationContactTx(ctx, tx, sc.Actor, stationID, cat, now); err != nil {
					return err
				}
			default:
				if _, err := setStationContactTx(ctx, tx, sc.Actor, stationID, cat, staff, now); err != nil {
					if errors.Is(err, ErrStaffNotFound) {
						return Invalid("staff_id", "所选的工作人员已停用或不存在，请重新选择")
					}
					return err
				}
			}
			changed++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}

// ManagedReceptionRule is a station's reception rule for its form: the
// stored one, or the county default (found false) when it has none yet.
func ManagedReceptionRule(ctx context.Context, db *gorm.DB, sc ManageScope, stationID uint64) (Station, ReceptionRule, bool, error) {
	st, err := GetManagedStation(ctx, db, sc, stationID)
	if err != nil {
		return Station{}, ReceptionRule{}, false, err
	}
	r, err := GetReceptionRule(ctx, db, stationID)
	if errors.Is(err, ErrReceptionRuleNotFound) {
		return st, DefaultReceptionRule(stationID), false, nil
	}
	return st, r, err == nil, err
}

// SetManagedReceptionRule saves the reception rule of a station of the
// scope (SetReceptionRule).
func SetManagedReceptionRule(ctx context.Context, db *gorm.DB, sc ManageScope, r ReceptionRule, now time.Time) (ReceptionRule, error) {
	if _, err := GetManagedStation(ctx, db, sc, r.StationID); err != nil {
		return ReceptionRule{}, err
	}
	r.ID = 0
	return SetReceptionRule(ctx, db, sc.Actor, r, now)
}

// SetManagedHoliday adds or changes a date of the calendar (county office
// only; SetHoliday).
func SetManagedHoliday(ctx context.Context, db *gorm.DB, sc ManageScope, h Holiday, now time.Time) error {
	if err := requireCounty(sc); err != nil {
		return err
	}
	return SetHoliday(ctx, db, sc.Actor, h, now)
}

// DeleteManagedHoliday removes a date of the calendar (county office only;
// DeleteHoliday).
func DeleteManagedHoliday(ctx context.Context, db *gorm.DB, sc ManageScope, date string, now time.Time) error {
	if err := requireCounty(sc); err != nil {
		return err
	}
	return DeleteHoliday(ctx, db, sc.Actor, date, now)
}
