package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrUnauthorized is a caller who could not prove who they are (a wrong
// password, no session). handlers/shared/respond.go maps it to 401.
var ErrUnauthorized = errors.New("unauthorized")

// Errors of the console login.
var (
	// ErrInvalidCredentials is the one answer to an unknown user, a wrong
	// password and an inactive account alike, so usernames do not leak.
	ErrInvalidCredentials = Coded(ErrUnauthorized, "invalid_credentials", "用户名或密码错误")
	// ErrUsernameTaken is a console username that another staff member has.
	ErrUsernameTaken = Coded(ErrConflict, "username_taken", "这个用户名已被使用，请换一个")
)

// Failed console logins do not lock the account (anyone could lock anyone
// out, and only a known username could be locked, telling usernames
// apart): handlers/console throttles them per (username, address) in Redis
// with a growing delay, for every typed username alike.

// Password rules. bcrypt reads at most 72 bytes, so longer passwords are
// refused rather than silently cut.
const (
	PasswordMinRunes = 10
	PasswordMaxBytes = 72
)

// PasswordCost is the bcrypt cost of new password hashes (12: about a
// quarter of a second on one core). Tests lower it; a login with a hash of
// a lower cost than this re-hashes the password.
var PasswordCost = 12

var usernameRe = regexp.MustCompile(`^[a-z0-9_.-]{3,32}$`)

// StaffCredential is the console-login state of a staff member: the last
// login, and when the password last changed (sessions older than that are
// void). The username and the password hash live on Staff.
type StaffCredential struct {
	StaffID uint64 `gorm:"primaryKey;autoIncrement:false"`
	// FailedLogins, FailWindowStart and LockedUntil held the per-account
	// lockout, which is gone (see AuthenticateStaff); the columns stay in
	// the schema and are only ever cleared.
	FailedLogins    int `gorm:"not null;default:0"`
	FailWindowStart *time.Time
	LockedUntil     *time.Time
	LastLoginAt     *time.Time
	// PasswordChangedAt voids the console sessions opened before it.
	PasswordChangedAt *time.Time
	UpdatedAt         time.Time
}

// TableName keeps the table name explicit.
func (StaffCredential) TableName() string { return "staff_credentials" }

// NormalizeUsername trims and lower-cases a console username.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidUsername reports whether s (normalized) could be a console username.
func ValidUsername(s string) bool { return usernameRe.MatchString(s) }

func checkUsername(u string) error {
	if !usernameRe.MatchString(u) {
		return Invalid("username", "用户名应为3到32位小写字母、数字或 _ . -")
	}
	return nil
}

func checkPassword(p, username string) error {
	switch {
	case !utf8.ValidString(p) || utf8.RuneCountInString(p) < PasswordMinRunes:
		return Invalid("password", fmt.Sprintf("密码至少需要%d个字符", PasswordMinRunes))
	case len(p) > PasswordMaxBytes:
		return Invalid("password", "密码太长（最多72个字节，约24个汉字）")
	case strings.TrimSpace(p) == "":
		return Invalid("password", "密码不能全是空格")
	case strings.EqualFold(strings.TrimSpace(p), username):
		return Invalid("password", "密码不能与用户名相同")
	}
	return nil
}

func hashPassword(p string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(p), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// comparePassword is bcrypt's check, the one place a typed password is
// hashed; tests count its calls (export_test.go).
var comparePassword = bcrypt.CompareHashAndPassword

// dummyHashes are compared against when there is no real hash to compare,
// so an unknown username costs as much time as a wrong password; one per
// cost, made on first use (WarmPasswordCheck makes it at start).
var dummyHashes struct {
	sync.Mutex
	byCost map[int][]byte
}

func burnPasswordCheck(p string) {
	cost := PasswordCost
	dummyHashes.Lock()
	h, ok := dummyHashes.byCost[cost]
	if !ok {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		h, _ = bcrypt.GenerateFromPassword(b, cost)
		if dummyHashes.byCost == nil {
			dummyHashes.byCost = map[int][]byte{}
		}
		dummyHashes.byCost[cost] = h
	}
	dummyHashes.Unlock()
	_ = comparePassword(h, []byte(p))
}

// WarmPasswordCheck makes the dummy hash of the current PasswordCost now,
// so that the first unknown username is not slower than the rest.
func WarmPasswordCheck() { burnPasswordCheck("") }

// CreateConsoleUser creates an active staff member with a console login.
// Clerks and heads need at least one station; admins belong to none. The
// username is normalized (NormalizeUsername); a taken one is
// ErrUsernameTaken. The creation is written to the audit log; the password
// is stored as a bcrypt hash only.
func CreateConsoleUser(ctx context.Context, db *gorm.DB, username, password, name string, role StaffRole, stationIDs []uint64, now time.Time) (Staff, error) {
	return CreateConsoleUserIn(ctx, db, username, password, name, role, stationIDs, "", now)
}

// CreateConsoleUserIn is CreateConsoleUser that can also create a township
// user (RoleTownship) of township, a Station.District with stations; the
// other roles take no township.
func CreateConsoleUserIn(ctx context.Context, db *gorm.DB, username, password, name string, role StaffRole, stationIDs []uint64, township string, now time.Time) (Staff, error) {
	username = NormalizeUsername(username)
	name = CleanLine(name)
	township = CleanLine(township)
	stations := uniqueIDs(stationIDs)
	switch {
	case role == RoleTownship && township == "":
		return Staff{}, Invalid("township", "乡镇（街道）人大账号需要指定所属乡镇（街道）")
	case role == RoleTownship && len(stations) > 0:
		return Staff{}, Invalid("station", "乡镇（街道）人大负责本乡镇（街道）的全部联络站，不能另外指定联络站")
	case role != RoleTownship && township != "":
		return Staff{}, Invalid("township", "只有乡镇（街道）人大账号才指定所属乡镇（街道）")
	case checkUsername(username) != nil:
		return Staff{}, checkUsername(username)
	case checkPassword(password, username) != nil:
		return Staff{}, checkPassword(password, username)
	case name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > 50:
		return Staff{}, Invalid("name", "姓名不能为空，且不能超过50个字")
	case !role.Valid():
		return Staff{}, Invalid("role", "角色应为联络员、站长或管理员")
	case role == RoleAdmin && len(stations) > 0:
		return Staff{}, Invalid("station", "管理员负责全部联络站，不能指定联络站")
	case role != RoleAdmin && role != RoleTownship && len(stations) == 0:
		return Staff{}, Invalid("station", "联络员和站长至少需要指定一个联络站")
	}
	hash, err := hashPassword(password)
	if err != nil {
		return Staff{}, err
	}
	now = now.UTC()
	var id uint64
	err = RunTx(ctx, db, func(tx *gorm.DB) error {
		var sts []Station
		if err := tx.Select("id", "name").Where("id IN ?", append(stations, 0)).Order("id").Find(&sts).Error; err != nil {
			return translate(err)
		}
		if len(sts) != len(stations) {
			return ErrStationNotFound
		}
		if role == RoleTownship {
			var n int64
			if err := tx.Model(&Station{}).Where("district = ?", township).Count(&n).Error; err != nil {
				return translate(err)
			}
			if n == 0 {
				return Invalid("township", "没有这个乡镇（街道）的联络站："+township)
			}
		}
		var n int64
		if err := tx.Model(&Staff{}).Where("username = ?", username).Count(&n).Error; err != nil {
			return translate(err)
		}
		if n > 0 {
			return ErrUsernameTaken
		}
		row := Staff{Name: name, Role: role, Username: &username, PasswordHash: hash, Active: true,
			Township: township, CreatedAt: now, UpdatedAt: now}
		names := make([]string, 0, len(sts))
		for _, st := range sts {
			row.Stations = append(row.Stations, Station{ID: st.ID})
			names = append(names, st.Name)
		}
		// "Stations.*" omitted: link the existing stations, don't upsert them.
		if err := tx.Omit("Stations.*").Create(&row).Error; err != nil {
			if errors.Is(translate(err), ErrConflict) {
				return ErrUsernameTaken
			}
			return translate(err)
		}
		id = row.ID
		// PasswordChangedAt stays nil: there is no session to void yet, and
		// a CLI host whose clock runs ahead must not void the first ones.
		cred := StaffCredential{StaffID: row.ID, UpdatedAt: now}
		if err := tx.Create(&cred).Error; err != nil {
			return translate(err)
		}
		note := fmt.Sprintf("控制台账号 %s：%s（%s）", username, name, role.Label())
		if township != "" {
			names = append(names, township)
		}
		if len(names) > 0 {
			note += "，" + strings.Join(names, "、")
		}
		return Audit(ctx, tx, now, SystemActor, "staff.create", "staff", row.ID, "", "active", note)
	})
	if err != nil {
		return Staff{}, err
	}
	return loadStaff(db.WithContext(ctx), id)
}

// SetStaffPassword sets a staff member's console password, clears the
// lockout columns left from before, voids the sessions opened before now
// and writes the audit log.
func SetStaffPassword(ctx context.Context, db *gorm.DB, who Actor, staffID uint64, password string, now time.Time) error {
	var s Staff
	if err := db.WithContext(ctx).Select("id", "username").First(&s, staffID).Error; err != nil {
		return notFoundAs(err, ErrStaffNotFound)
	}
	username := ""
	if s.Username != nil {
		username = *s.Username
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
		if err := tx.Model(&Staff{}).Where("id = ?", staffID).
			Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error; err != nil {
			return translate(err)
		}
		cred := StaffCredential{StaffID: staffID, PasswordChangedAt: &now, UpdatedAt: now}
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "staff_id"}},
			DoUpdates: clause.Assignments(map[string]any{"failed_logins": 0, "fail_window_start": nil,
				"locked_until": nil, "password_changed_at": now, "updated_at": now}),
		}).Create(&cred).Error
		if err != nil {
			return translate(err)
		}
		return Audit(ctx, tx, now, who, "staff.password", "staff", staffID, "", "", "重设控制台密码")
	})
}

// AuthenticateStaff checks a console login. It answers the staff member
// (active, stations loaded) or ErrInvalidCredentials for an unknown user, a
// wrong password or an inactive account alike, after one bcrypt check of
// the typed password at PasswordCost in each case (against a dummy hash
// when there is no real one), so neither the answer nor its time tells
// usernames apart. It keeps no count of failures and never locks the
// account: the caller throttles guessing (handlers/console).
func AuthenticateStaff(ctx context.Context, db *gorm.DB, username, password string, now time.Time) (Staff, error) {
	now = now.UTC()
	db = db.WithContext(ctx)
	username = NormalizeUsername(username)
	if checkUsername(username) != nil || password == "" || len(password) > PasswordMaxBytes {
		burnPasswordCheck(password)
		return Staff{}, ErrInvalidCredentials
	}
	var s Staff
	if err := db.Where("username = ?", username).Limit(1).Find(&s).Error; err != nil {
		return Staff{}, translate(err)
	}
	if s.ID == 0 || !s.Active || s.PasswordHash == "" {
		burnPasswordCheck(password)
		return Staff{}, ErrInvalidCredentials
	}
	if comparePassword([]byte(s.PasswordHash), []byte(password)) != nil {
		return Staff{}, ErrInvalidCredentials
	}
	cred := StaffCredential{StaffID: s.ID, LastLoginAt: &now, UpdatedAt: now}
	err := db.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "staff_id"}},
		DoUpdates: clause.Assignments(map[string]any{"failed_logins": 0, "fail_window_start": nil,
			"locked_until": nil, "last_login_at": now, "updated_at": now}),
	}).Create(&cred).Error
	if err != nil {
		return Staff{}, translate(err)
	}
	if cost, err := bcrypt.Cost([]byte(s.PasswordHash)); err == nil && cost < PasswordCost {
		// The hash predates a raise of PasswordCost: upgrade it now that
		// the password is at hand. A failure only postpones the upgrade.
		if hash, err := hashPassword(password); err == nil {
			_ = db.Model(&Staff{}).Where("id = ? AND password_hash = ?", s.ID, s.PasswordHash).
				Update("password_hash", hash).Error
		}
	}
	return loadStaff(db, s.ID)
}

// ConsoleAccount is a staff member as a console session sees them.
type ConsoleAccount struct {
	Staff Staff
	// SessionsValidFrom voids sessions opened before it (the last password
	// change); zero when the password never changed.
	SessionsValidFrom time.Time
}

// LoadConsoleAccount loads an active staff member with their stations for
// a console session; a missing or inactive one is ErrStaffNotFound.
func LoadConsoleAccount(ctx context.Context, db *gorm.DB, staffID uint64) (ConsoleAccount, error) {
	db = db.WithContext(ctx)
	s, err := loadStaff(db, staffID)
	if err != nil {
		return ConsoleAccount{}, err
	}
	var cr StaffCredential
	if err := db.Where("staff_id = ?", staffID).Limit(1).Find(&cr).Error; err != nil {
		return ConsoleAccount{}, translate(err)
	}
	a := ConsoleAccount{Staff: s}
	if cr.PasswordChangedAt != nil {
		a.SessionsValidFrom = *cr.PasswordChangedAt
	}
	return a, nil
}

// ListDepartments lists the departments opinions can be transferred to, by name.
func ListDepartments(ctx context.Context, db *gorm.DB) ([]Department, error) {
	rows := []Department{}
	err := db.WithContext(ctx).Order("name, id").Find(&rows).Error
	return rows, translate(err)
}

// StaffBrief is a staff member in a picker (the lead of a transfer).
type StaffBrief struct {
	ID         uint64    `json:"id"`
	Name       string    `json:"name"`
	Role       StaffRole `json:"role"`
	RoleLabel  string    `json:"role_label"`
	StationIDs []uint64  `json:"station_ids"`
}

// ListStationStaff lists the active staff who can lead an item of the
// station (its clerks and heads, and the admins), or of every station of
// the scope when stationID is 0. A station outside the scope is
// ErrStationNotFound.
func ListStationStaff(ctx context.Context, db *gorm.DB, scope StaffScope, stationID uint64) ([]StaffBrief, error) {
	db = db.WithContext(ctx)
	if stationID != 0 && !scope.Allows(stationID) {
		return nil, ErrStationNotFound
	}
	q := db.Preload("Stations", func(db *gorm.DB) *gorm.DB { return db.Select("id") }).
		Select("id", "name", "role").Where("active = ?", true)
	switch {
	case stationID != 0:
		q = q.Where("role = ? OR id IN (?)", RoleAdmin,
			db.Table("staff_stations").Select("staff_id").Where("station_id = ?", stationID))
	case !scope.All:
		q = q.Where("role = ? OR id IN (?)", RoleAdmin,
			db.Table("staff_stations").Select("staff_id").Where("station_id IN ?", append(scope.StationIDs, 0)))
	}
	var rows []Staff
	if err := q.Order("id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]StaffBrief, 0, len(rows))
	for _, s := range rows {
		b := StaffBrief{ID: s.ID, Name: s.Name, Role: s.Role, RoleLabel: s.Role.Label(), StationIDs: []uint64{}}
		for _, st := range s.Stations {
			b.StationIDs = append(b.StationIDs, st.ID)
		}
		out = append(out, b)
	}
	return out, nil
}

// ErrWeChatNotBound is a WeChat user who signs in to the console (web
// authorization, the desk's QR code) but is no active staff member's bound
// official-account openid.
var ErrWeChatNotBound = Coded(ErrUnauthorized, "wechat_not_bound", "此微信尚未绑定工作人员账号，请联系管理员")

// ActiveStaffByOAOpenID finds the active staff member bound to an
// official-account openid (bound by scanning an invite), with their
// stations, for a sign-in through WeChat. An empty, unknown or deactivated
// openid is ErrWeChatNotBound. (StaffByOAOpenID, for the official account's
// invite replies, finds a bound member whether active or not.)
func ActiveStaffByOAOpenID(ctx context.Context, db *gorm.DB, openid string) (Staff, error) {
	if openid == "" || len(openid) > 64 {
		return Staff{}, ErrWeChatNotBound
	}
	db = db.WithContext(ctx)
	var s Staff
	if err := db.Select("id").Where("oa_openid = ? AND active = ?", openid, true).Limit(1).Find(&s).Error; err != nil {
		return Staff{}, translate(err)
	}
	if s.ID == 0 {
		return Staff{}, ErrWeChatNotBound
	}
	s, err := loadStaff(db, s.ID)
	if errors.Is(err, ErrStaffNotFound) {
		// Deactivated between the two reads.
		return Staff{}, ErrWeChatNotBound
	}
	return s, err
}
