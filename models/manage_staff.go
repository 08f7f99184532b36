package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The management of staff (docs/ARCHITECTURE.md#roles): the county office
// (admin) creates clerks, heads, township users and admins; a township user
// creates and manages the clerks and heads of its own township's stations
// only. A new member gets a one-time invite (a code the official account's
// QR carries, bound by BindStaffInvite) and optionally a console password.
// Every change is written to the audit log with the scope's actor.

// StaffRow is a staff member in the management list.
type StaffRow struct {
	ID        uint64
	Name      string
	Role      StaffRole
	RoleLabel string
	// Township is a township user's township.
	Township string
	// Stations are a clerk's or head's stations (a township user's are
	// derived and not listed).
	Stations []StationRef
	// Bound is true once the member's WeChat is bound.
	Bound bool
	// Username is the console login, "" when none.
	Username string
	// HasPassword is true when a console password is set.
	HasPassword bool
	Active      bool
	// Invite is the member's pending invite (unused, not revoked, not
	// expired), nil when there is none.
	Invite *PendingInvite
}

// StationNames joins the member's station names with "、".
func (r StaffRow) StationNames() string {
	names := make([]string, len(r.Stations))
	for i, s := range r.Stations {
		names[i] = s.Name
	}
	return strings.Join(names, "、")
}

// PendingInvite is an invite waiting to be scanned.
type PendingInvite struct {
	Code      string
	ExpiresAt time.Time
	// QRURL is the content of its temporary official-account QR code, ""
	// until one was made.
	QRURL string
}

// StaffFilter narrows the management list.
type StaffFilter struct {
	// Q matches the name or the console username.
	Q         string
	Role      StaffRole
	StationID uint64
	// Inactive lists the deactivated members instead of the active ones.
	Inactive bool
}

// NewStaff is a member to create with an invite.
type NewStaff struct {
	Name string
	Role StaffRole
	// StationIDs are a clerk's or head's stations.
	StationIDs []uint64
	// Township is a township user's township (a Station.District).
	Township string
	// TTL is how long the invite stays valid (at most MaxInviteTTL).
	TTL time.Duration
}

// Errors of staff management.
var (
	ErrSelfDeactivate = Coded(ErrConflict, "self_deactivate", "不能停用自己的账号")
	ErrStaffInactive  = Coded(ErrConflict, "staff_inactive", "这位工作人员已停用，请先启用")
	ErrNotBound       = Coded(ErrConflict, "not_bound", "这位工作人员还没有绑定微信")
)

// DefaultInviteTTL is how long an invite made in the console stays valid.
const DefaultInviteTTL = 7 * 24 * time.Hour

// Districts lists the townships (Station.District) in use, by name.
func Districts(ctx context.Context, db *gorm.DB) ([]string, error) {
	var out []string
	err := db.WithContext(ctx).Model(&Station{}).Distinct("district").Where("district <> ''").
		Order("district").Pluck("district", &out).Error
	return out, translate(err)
}

// ScopeStations lists the stations a management scope covers, by name.
func ScopeStations(ctx context.Context, db *gorm.DB, sc ManageScope) ([]Station, error) {
	q := db.WithContext(ctx).Select("id", "name", "district", "kind")
	if !sc.All {
		q = q.Where("district = ?", sc.Township)
	}
	var out []Station
	err := q.Order("district, name, id").Find(&out).Error
	return out, translate(err)
}

// ListManagedStaff lists the staff a scope manages (an admin: everyone; a
// township user: the clerks and heads of its township's stations), by role
// and name.
func ListManagedStaff(ctx context.Context, db *gorm.DB, sc ManageScope, f StaffFilter, now time.Time) ([]StaffRow, error) {
	db = db.WithContext(ctx)
	q := db.Preload("Stations", func(db *gorm.DB) *gorm.DB { return db.Select("id", "name", "district").Order("id") }).
		Where("active = ?", !f.Inactive)
	if !sc.All {
		q = q.Where("role IN ? AND id IN (?)", []StaffRole{RoleClerk, RoleHead},
			db.Table("staff_stations").Select("staff_id").
				Where("station_id IN (?)", db.Model(&Station{}).Select("id").Where("district = ?", sc.Township)))
	}
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if f.StationID != 0 {
		q = q.Where("id IN (?)", db.Table("staff_stations").Select("staff_id").Where("station_id = ?", f.StationID))
	}
	if s := strings.TrimSpace(f.Q); s != "" {
		like := "%" + escapeLike(s) + "%"
		q = q.Where("(name LIKE ? ESCAPE '!' OR username LIKE ? ESCAPE '!')", like, like)
	}
	var rows []Staff
	if err := q.Order("id").Limit(1000).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]StaffRow, 0, len(rows))
	ids := make([]uint64, 0, len(rows))
	for _, s := range rows {
		if !sc.All && !staffInTownship(s, sc.Township) {
			continue
		}
		out = append(out, staffRow(s))
		ids = append(ids, s.ID)
	}
	inv, err := pendingInvites(db, ids, now)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if p, ok := inv[out[i].ID]; ok {
			out[i].Invite = &p
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return roleRank(out[i].Role) < roleRank(out[j].Role) })
	return out, nil
}

func roleRank(r StaffRole) int {
	switch r {
	case RoleAdmin:
		return 0
	case RoleTownship:
		return 1
	case RoleHead:
		return 2
	}
	return 3
}

// staffInTownship reports whether every station of a clerk or head is in
// the township: a member who also works elsewhere is the county's to manage.
func staffInTownship(s Staff, township string) bool {
	if s.Role != RoleClerk && s.Role != RoleHead || len(s.Stations) == 0 {
		return false
	}
	for _, st := range s.Stations {
		if st.District != township {
			return false
		}
	}
	return true
}

func staffRow(s Staff) StaffRow {
	r := StaffRow{ID: s.ID, Name: s.Name, Role: s.Role, RoleLabel: s.Role.Label(), Township: s.Township,
		Bound: s.OAOpenID != nil && *s.OAOpenID != "", HasPassword: s.PasswordHash != "", Active: s.Active}
	if s.Username != nil {
		r.Username = *s.Username
	}
	if s.Role != RoleTownship {
		for _, st := range s.Stations {
			r.Stations = append(r.Stations, StationRef{ID: st.ID, Name: st.Name})
		}
	}
	return r
}

// pendingInvites finds the newest pending invite of each member.
func pendingInvites(db *gorm.DB, staffIDs []uint64, now time.Time) (map[uint64]PendingInvite, error) {
	out := map[uint64]PendingInvite{}
	if len(staffIDs) == 0 {
		return out, nil
	}
	var codes []Code
	err := db.Select("code", "target_id", "expires_at", "qr_url", "created_at").
		Where("kind = ? AND target_id IN ? AND used_at IS NULL AND revoked = ? AND expires_at > ?",
			CodeStaffInvite, staffIDs, false, now.UTC()).
		Order("created_at, code").Find(&codes).Error
	if err != nil {
		return nil, translate(err)
	}
	for _, c := range codes {
		out[c.TargetID] = PendingInvite{Code: c.Code, ExpiresAt: *c.ExpiresAt, QRURL: c.QRURL}
	}
	return out, nil
}

// GetManagedStaff loads one member the scope manages; any other is
// ErrStaffNotFound (a township user cannot tell another township's member
// from a missing one).
func GetManagedStaff(ctx context.Context, db *gorm.DB, sc ManageScope, id uint64, now time.Time) (StaffRow, error) {
	s, err := managedStaff(db.WithContext(ctx), sc, id)
	if err != nil {
		return StaffRow{}, err
	}
	r := staffRow(s)
	inv, err := pendingInvites(db.WithContext(ctx), []uint64{id}, now)
	if err != nil {
		return StaffRow{}, err
	}
	if p, ok := inv[id]; ok {
		r.Invite = &p
	}
	return r, nil
}

// managedStaff loads a member with their stations and checks the scope.
func managedStaff(tx *gorm.DB, sc ManageScope, id uint64) (Staff, error) {
	if !sc.All && sc.Township == "" {
		return Staff{}, ErrManageForbidden
	}
	var s Staff
	if err := tx.Preload("Stations", func(db *gorm.DB) *gorm.DB { return db.Select("id", "name", "district").Order("id") }).
		First(&s, id).Error; err != nil {
		return Staff{}, notFoundAs(err, ErrStaffNotFound)
	}
	if !sc.All && !staffInTownship(s, sc.Township) {
		return Staff{}, ErrStaffNotFound
	}
	return s, nil
}

// InviteStaff creates an active member and their one-time invite, in one
// transaction with the audit row. An admin may create every role (a
// township user for a township that has stations; an admin with no
// station); a township user creates clerks and heads of its own stations.
// The member has no WeChat until the invite is scanned and no console
// password until one is set.
func InviteStaff(ctx context.Context, db *gorm.DB, sc ManageScope, in NewStaff, now time.Time) (Staff, Code, error) {
	name := CleanLine(in.Name)
	in.Township = CleanLine(in.Township)
	stations := uniqueIDs(in.StationIDs)
	if in.TTL == 0 {
		in.TTL = DefaultInviteTTL
	}
	switch {
	case !sc.All && sc.Township == "":
		return Staff{}, Code{}, ErrManageForbidden
	case name == "" || utf8.RuneCountInString(name) > 50:
		return Staff{}, Code{}, Invalid("name", "姓名不能为空，且不能超过50个字")
	case !in.Role.Valid():
		return Staff{}, Code{}, Invalid("role", "请选择角色")
	case !sc.All && in.Role != RoleClerk && in.Role != RoleHead:
		return Staff{}, Code{}, Invalid("role", "乡镇（街道）人大只能添加联络员和站长")
	case (in.Role == RoleClerk || in.Role == RoleHead) && len(stations) == 0:
		return Staff{}, Code{}, Invalid("station", "联络员和站长至少需要选择一个联络站")
	case in.Role == RoleTownship && in.Township == "":
		return Staff{}, Code{}, Invalid("township", "请选择所属乡镇（街道）")
	case in.TTL < 0 || in.TTL > MaxInviteTTL:
		return Staff{}, Code{}, Invalid("ttl", "邀请有效期应在30天以内")
	}
	if in.Role == RoleAdmin || in.Role == RoleTownship {
		stations = nil
	}
	if in.Role != RoleTownship {
		in.Township = ""
	}
	now = now.UTC()
	var row Staff
	var code Code
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		var sts []Station
		if err := tx.Select("id", "name", "district").Where("id IN ?", append(stations, 0)).Order("id").Find(&sts).Error; err != nil {
			return translate(err)
		}
		if len(sts) != len(stations) {
			return ErrStationNotFound
		}
		where := make([]string, 0, len(sts))
		for _, st := range sts {
			if !sc.AllowsStation(st) {
				return Invalid("station", st.Name+"不在您管理的范围内")
			}
			where = append(where, st.Name)
		}
		if in.Role == RoleTownship {
			var n int64
			if err := tx.Model(&Station{}).Where("district = ?", in.Township).Count(&n).Error; err != nil {
				return translate(err)
			}
			if n == 0 {
				return Invalid("township", "没有这个乡镇（街道）的联络站："+in.Township)
			}
			where = append(where, in.Township)
		}
		row = Staff{Name: name, Role: in.Role, Active: true, Township: in.Township, CreatedAt: now, UpdatedAt: now}
		for _, st := range sts {
			row.Stations = append(row.Stations, Station{ID: st.ID})
		}
		if err := tx.Omit("Stations.*").Create(&row).Error; err != nil {
			return translate(err)
		}
		var err error
		if code, err = createInvite(ctx, tx, row.ID, name, in.TTL, now); err != nil {
			return err
		}
		note := fmt.Sprintf("%s（%s）", name, in.Role.Label())
		if len(where) > 0 {
			note += "，" + strings.Join(where, "、")
		}
		note += "，邀请有效期至" + DateTimeText(*code.ExpiresAt, nil)
		return Audit(ctx, tx, now, sc.Actor, "staff.invite", "staff", row.ID, "", "invited", note)
	})
	if err != nil {
		return Staff{}, Code{}, err
	}
	return row, code, nil
}

// createInvite makes a staff-invite code for a member.
func createInvite(ctx context.Context, tx *gorm.DB, staffID uint64, name string, ttl time.Duration, now time.Time) (Code, error) {
	expires := now.Add(ttl).UTC()
	return CreateCode(ctx, tx, Code{
		Kind: CodeStaffInvite, TargetKind: TargetStaff, TargetID: staffID,
		Label: Shorten("邀请："+name, 100, ""), ExpiresAt: &expires, CreatedAt: now.UTC(),
	})
}

// ReissueStaffInvite withdraws a member's unused invites and makes a new
// one: for a member who lost the QR, let it expire, or changes phones (the
// new scan moves the binding to the new WeChat).
func ReissueStaffInvite(ctx context.Context, db *gorm.DB, sc ManageScope, staffID uint64, ttl time.Duration, now time.Time) (Code, error) {
	if ttl == 0 {
		ttl = DefaultInviteTTL
	}
	if ttl < 0 || ttl > MaxInviteTTL {
		return Code{}, Invalid("ttl", "邀请有效期应在30天以内")
	}
	now = now.UTC()
	var code Code
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		s, err := managedStaff(tx, sc, staffID)
		if err != nil {
			return err
		}
		if !s.Active {
			return ErrStaffInactive
		}
		res := tx.Model(&Code{}).Where("kind = ? AND target_id = ? AND used_at IS NULL AND revoked = ?",
			CodeStaffInvite, staffID, false).UpdateColumn("revoked", true)
		if res.Error != nil {
			return translate(res.Error)
		}
		if code, err = createInvite(ctx, tx, staffID, s.Name, ttl, now); err != nil {
			return err
		}
		note := fmt.Sprintf("重新生成邀请，有效期至%s", DateTimeText(*code.ExpiresAt, nil))
		if res.RowsAffected > 0 {
			note += fmt.Sprintf("；作废未使用的邀请%d个", res.RowsAffected)
		}
		return Audit(ctx, tx, now, sc.Actor, "staff.reinvite", "staff", staffID, "", "invited", note)
	})
	return code, err
}

// SetStaffActive deactivates or reactivates a member. A deactivated member
// can no longer sign in (their sessions end at the next request), gets no
// notices, and their unused invites are withdrawn; nobody may deactivate
// themselves.
func SetStaffActive(ctx context.Context, db *gorm.DB, sc ManageScope, staffID uint64, active bool, now time.Time) error {
	if !active && sc.Actor.Kind == "staff" && sc.Actor.ID == staffID {
		return ErrSelfDeactivate
	}
	now = now.UTC()
	return RunTx(ctx, db, func(tx *gorm.DB) error {
		s, err := managedStaff(tx, sc, staffID)
		if err != nil {
			return err
		}
		if s.Active == active {
			return nil
		}
		if err := tx.Model(&Staff{}).Where("id = ?", staffID).
			Updates(map[string]any{"active": active, "updated_at": now}).Error; err != nil {
			return translate(err)
		}
		from, to, action := "active", "inactive", "staff.deactivate"
		if active {
			from, to, action = to, from, "staff.reactivate"
		} else if err := tx.Model(&Code{}).Where("kind = ? AND target_id = ? AND used_at IS NULL AND revoked = ?",
			CodeStaffInvite, staffID, false).UpdateColumn("revoked", true).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, action, "staff", staffID, from, to, s.Name)
	})
}

// UnbindStaffWeChat removes a member's WeChat binding (a lost phone, a
// handed-over account): that WeChat no longer signs in nor gets notices. A
// new invite binds again.
func UnbindStaffWeChat(ctx context.Context, db *gorm.DB, sc ManageScope, staffID uint64, now time.Time) error {
	now = now.UTC()
	return RunTx(ctx, db, func(tx *gorm.DB) error {
		s, err := managedStaff(tx, sc, staffID)
		if err != nil {
			return err
		}
		if s.OAOpenID == nil {
			return ErrNotBound
		}
		if err := tx.Model(&Staff{}).Where("id = ?", staffID).
			Updates(map[string]any{"oa_openid": nil, "updated_at": now}).Error; err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, sc.Actor, "staff.unbind", "staff", staffID, "bound", "unbound", s.Name+" 解除微信绑定")
	})
}

// SetManagedStaffLogin gives a member a console login: the username (set
// once; "" keeps the one they have) and a password. The sessions opened
// before are void.
func SetManagedStaffLogin(ctx context.Context, db *gorm.DB, sc ManageScope, staffID uint64, username, password string, now time.Time) error {
	s, err := managedStaff(db.WithContext(ctx), sc, staffID)
	if err != nil {
		return err
	}
	username = NormalizeUsername(username)
	if s.Username != nil {
		if username != "" && username != *s.Username {
			return Invalid("username", "用户名设置后不能修改")
		}
		username = *s.Username
	}
	if err := checkUsername(username); err != nil {
		return err
	}
	if err := checkPassword(password, username); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	now = now.UTC()
	return RunTx(ctx, db, func(tx *gorm.DB) error {
		if s.Username == nil {
			var n int64
			if err := tx.Model(&Staff{}).Where("username = ?", username).Count(&n).Error; err != nil {
				return translate(err)
			}
			if n > 0 {
				return ErrUsernameTaken
			}
		}
		err := tx.Model(&Staff{}).Where("id = ?", staffID).
			Updates(map[string]any{"username": username, "password_hash": hash, "updated_at": now}).Error
		if err = translate(err); errors.Is(err, ErrConflict) {
			return ErrUsernameTaken
		} else if err != nil {
			return err
		}
		if err := voidSessions(tx, staffID, now); err != nil {
			return err
		}
		return Audit(ctx, tx, now, sc.Actor, "staff.password", "staff", staffID, "", "", "设置控制台账号 "+username+" 的密码")
	})
}

// ClearStaffPassword removes a member's console password: they sign in
// with WeChat only, and their sessions opened before are void.
func ClearStaffPassword(ctx context.Context, db *gorm.DB, sc ManageScope, staffID uint64, now time.Time) error {
	now = now.UTC()
	return RunTx(ctx, db, func(tx *gorm.DB) error {
		s, err := managedStaff(tx, sc, staffID)
		if err != nil {
			return err
		}
		if s.PasswordHash == "" {
			return nil
		}
		if err := tx.Model(&Staff{}).Where("id = ?", staffID).
			Updates(map[string]any{"password_hash": "", "updated_at": now}).Error; err != nil {
			return translate(err)
		}
		if err := voidSessions(tx, staffID, now); err != nil {
			return err
		}
		return Audit(ctx, tx, now, sc.Actor, "staff.password_clear", "staff", staffID, "", "", "清除控制台密码")
	})
}

// voidSessions ends the member's console sessions opened before now.
func voidSessions(tx *gorm.DB, staffID uint64, now time.Time) error {
	cred := StaffCredential{StaffID: staffID, PasswordChangedAt: &now, UpdatedAt: now}
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "staff_id"}},
		DoUpdates: clause.Assignments(map[string]any{"failed_logins": 0, "fail_window_start": nil,
			"locked_until": nil, "password_changed_at": now, "updated_at": now}),
	}).Create(&cred).Error
	return translate(err)
}

// SetInviteQR keeps the content of an invite's temporary QR code on the
// invite, so the page shows the same QR until the invite is used.
func SetInviteQR(ctx context.Context, db *gorm.DB, code, qrURL string) error {
	return SetCodeImages(ctx, db, code, qrURL, nil)
}
