package models_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// lowCost makes password hashing cheap for the test.
func lowCost(t *testing.T) {
	t.Helper()
	old := models.PasswordCost
	models.PasswordCost = bcrypt.MinCost
	t.Cleanup(func() { models.PasswordCost = old })
}

type authEnv struct {
	t        *testing.T
	db       *gorm.DB
	stations []models.Station
}

func newAuthEnv(t *testing.T) *authEnv {
	t.Helper()
	db := modelstest.NewDB(t)
	e := &authEnv{t: t, db: db}
	for _, n := range []string{"东门社区代表联络站", "西街社区代表联络站"} {
		st := models.Station{Kind: models.KindStation, Name: n, Address: "路1号", District: "城关镇", Lat: 30.27, Lng: 120.15, OpenHours: "周一至周五"}
		if err := db.Create(&st).Error; err != nil {
			t.Fatal(err)
		}
		e.stations = append(e.stations, st)
	}
	return e
}

func (e *authEnv) create(username, password string, role models.StaffRole, stations ...uint64) models.Staff {
	e.t.Helper()
	s, err := models.CreateConsoleUser(e.t.Context(), e.db, username, password, "王"+username, role, stations, authT0)
	if err != nil {
		e.t.Fatalf("CreateConsoleUser %s: %v", username, err)
	}
	return s
}

var authT0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func authCode(err error) string {
	var ce *models.CodedError
	var ve *models.ValidationError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ve):
		return "invalid_" + ve.Field
	case errors.As(err, &ce):
		return ce.Code
	}
	return err.Error()
}

// Ensure CreateConsoleUser validates every field, stores a bcrypt hash of
// the default cost only, links the stations and writes the audit log.
func TestCreateConsoleUser(t *testing.T) {
	if models.PasswordCost != 12 {
		t.Fatalf("default bcrypt cost %d, want 12", models.PasswordCost)
	}
	lowCost(t)
	e := newAuthEnv(t)
	ctx := t.Context()
	st := e.stations[0].ID
	cases := []struct {
		name, username, password, fullName string
		role                               models.StaffRole
		stations                           []uint64
		want                               string
	}{
		{"short username", "ab", "correct horse", "甲", models.RoleClerk, []uint64{st}, "invalid_username"},
		{"long username", strings.Repeat("a", 33), "correct horse", "甲", models.RoleClerk, []uint64{st}, "invalid_username"},
		{"username with space", "wang wu", "correct horse", "甲", models.RoleClerk, []uint64{st}, "invalid_username"},
		{"username in Chinese", "王五五", "correct horse", "甲", models.RoleClerk, []uint64{st}, "invalid_username"},
		{"short password", "wangwu", "short", "甲", models.RoleClerk, []uint64{st}, "invalid_password"},
		{"nine Chinese characters", "wangwu", "一二三四五六七八九", "甲", models.RoleClerk, []uint64{st}, "invalid_password"},
		{"password over 72 bytes", "wangwu", strings.Repeat("密", 25), "甲", models.RoleClerk, []uint64{st}, "invalid_password"},
		{"password is the username", "wangwu1234", "WANGWU1234", "甲", models.RoleClerk, []uint64{st}, "invalid_password"},
		{"blank password", "wangwu", strings.Repeat(" ", 12), "甲", models.RoleClerk, []uint64{st}, "invalid_password"},
		{"no name", "wangwu", "correct horse", "  ", models.RoleClerk, []uint64{st}, "invalid_name"},
		{"bad role", "wangwu", "correct horse", "甲", "boss", []uint64{st}, "invalid_role"},
		{"clerk without station", "wangwu", "correct horse", "甲", models.RoleClerk, nil, "invalid_station"},
		{"head without station", "wangwu", "correct horse", "甲", models.RoleHead, []uint64{0}, "invalid_station"},
		{"admin with a station", "wangwu", "correct horse", "甲", models.RoleAdmin, []uint64{st}, "invalid_station"},
		{"unknown station", "wangwu", "correct horse", "甲", models.RoleClerk, []uint64{st, 9999}, "station_not_found"},
	}
	for _, c := range cases {
		_, err := models.CreateConsoleUser(ctx, e.db, c.username, c.password, c.fullName, c.role, c.stations, authT0)
		if got := authCode(err); got != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	var n int64
	e.db.Model(&models.Staff{}).Count(&n)
	if n != 0 {
		t.Fatalf("refused creations left %d staff", n)
	}

	s, err := models.CreateConsoleUser(ctx, e.db, "  Zhang.Jia-yi_1 ", "correct horse battery", "章佳怡", models.RoleClerk,
		[]uint64{e.stations[0].ID, e.stations[1].ID, e.stations[0].ID}, authT0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Username == nil || *s.Username != "zhang.jia-yi_1" || !s.Active || len(s.Stations) != 2 || s.Role != models.RoleClerk {
		t.Fatalf("created %+v", s)
	}
	if cost, err := bcrypt.Cost([]byte(s.PasswordHash)); err != nil || cost != models.PasswordCost {
		t.Errorf("hash cost %d, %v; want %d", cost, err, models.PasswordCost)
	}
	if strings.Contains(s.PasswordHash, "correct horse") || bcrypt.CompareHashAndPassword([]byte(s.PasswordHash), []byte("correct horse battery")) != nil {
		t.Error("the stored hash is not a bcrypt hash of the password")
	}
	trail, _ := models.AuditTrail(ctx, e.db, "staff", s.ID)
	if len(trail) != 1 || trail[0].Action != "staff.create" || !strings.Contains(trail[0].Note, "zhang.jia-yi_1") ||
		strings.Contains(trail[0].Note, "correct horse") {
		t.Errorf("audit %+v", trail)
	}

	admin := e.create("admin", "admin password 1", models.RoleAdmin)
	if len(admin.Stations) != 0 || admin.Role != models.RoleAdmin {
		t.Errorf("admin %+v", admin)
	}
	_, err = models.CreateConsoleUser(ctx, e.db, "ZHANG.JIA-YI_1", "another password", "另一个", models.RoleHead, []uint64{st}, authT0)
	if authCode(err) != "username_taken" || !errors.Is(err, models.ErrConflict) {
		t.Errorf("duplicate username: %v", err)
	}
}

// Ensure a login succeeds with the right password only, whatever the
// username's case, and that unknown and inactive users get the same answer.
func TestAuthenticateStaff(t *testing.T) {
	lowCost(t)
	e := newAuthEnv(t)
	ctx := t.Context()
	s := e.create("clerk1", "right password", models.RoleClerk, e.stations[0].ID)
	got, err := models.AuthenticateStaff(ctx, e.db, " Clerk1 ", "right password", authT0)
	if err != nil || got.ID != s.ID || len(got.Stations) != 1 || got.Stations[0].Name != e.stations[0].Name {
		t.Fatalf("login: %+v %v", got, err)
	}
	gone := e.create("gone1", "right password", models.RoleClerk, e.stations[0].ID)
	e.db.Model(&models.Staff{}).Where("id = ?", gone.ID).Update("active", false)
	// An empty or over-long password cannot be right and is refused
	// without a check of the real hash.
	for _, c := range []struct{ user, pass string }{
		{"clerk1", "wrong password"}, {"nobody", "right password"}, {"gone1", "right password"},
		{"x", "right password"}, {"clerk1", ""}, {"clerk1", strings.Repeat("p", 100)},
	} {
		_, err := models.AuthenticateStaff(ctx, e.db, c.user, c.pass, authT0)
		if authCode(err) != "invalid_credentials" || !errors.Is(err, models.ErrUnauthorized) {
			t.Errorf("%s/%q: %v", c.user, c.pass, err)
		}
	}
	var cr models.StaffCredential
	e.db.First(&cr, "staff_id = ?", s.ID)
	if cr.LastLoginAt == nil || !cr.LastLoginAt.Equal(authT0) || cr.FailedLogins != 0 || cr.LockedUntil != nil {
		t.Errorf("credential after a login and failures: %+v", cr)
	}
}

// Ensure failures never lock the account in models: after many wrong
// passwords the right one still signs in (guessing is throttled per
// username and address in handlers/console), and nothing is audited as a
// lockout.
func TestAuthenticateStaffNoLockout(t *testing.T) {
	lowCost(t)
	e := newAuthEnv(t)
	ctx := t.Context()
	s := e.create("clerk1", "right password", models.RoleClerk, e.stations[0].ID)
	for i := range 20 {
		if _, err := models.AuthenticateStaff(ctx, e.db, "clerk1", "wrong password", authT0); authCode(err) != "invalid_credentials" {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if _, err := models.AuthenticateStaff(ctx, e.db, "clerk1", "right password", authT0); err != nil {
		t.Fatalf("right password after 20 failures: %v", err)
	}
	trail, _ := models.AuditTrail(ctx, e.db, "staff", s.ID)
	if len(trail) != 1 || trail[0].Action != "staff.create" {
		t.Errorf("audit %+v", trail)
	}
}

// Ensure every refusal does the same hash work as a wrong password: one
// bcrypt check at PasswordCost, against a dummy hash when the user is
// unknown, inactive, or cannot exist; so the time of the answer tells
// nothing either.
func TestAuthenticateStaffHashWorkAlike(t *testing.T) {
	old := models.PasswordCost
	models.PasswordCost = bcrypt.MinCost + 1
	t.Cleanup(func() { models.PasswordCost = old })
	e := newAuthEnv(t)
	ctx := t.Context()
	e.create("clerk1", "right password", models.RoleClerk, e.stations[0].ID)
	gone := e.create("gone1", "right password", models.RoleClerk, e.stations[0].ID)
	e.db.Model(&models.Staff{}).Where("id = ?", gone.ID).Update("active", false)
	var mu sync.Mutex
	var costs []int
	restore := models.HookPasswordCompare(func(hash []byte) {
		c, err := bcrypt.Cost(hash)
		if err != nil {
			c = -1
		}
		mu.Lock()
		costs = append(costs, c)
		mu.Unlock()
	})
	t.Cleanup(restore)
	for _, c := range []struct{ name, user, pass string }{
		{"wrong password", "clerk1", "wrong password"},
		{"unknown user", "nobody", "wrong password"},
		{"inactive user", "gone1", "right password"},
		{"not a username", "Not A Username!", "wrong password"},
		{"right password", "clerk1", "right password"},
	} {
		mu.Lock()
		costs = nil
		mu.Unlock()
		_, _ = models.AuthenticateStaff(ctx, e.db, c.user, c.pass, authT0)
		mu.Lock()
		got := costs
		mu.Unlock()
		if len(got) != 1 || got[0] != models.PasswordCost {
			t.Errorf("%s: bcrypt checks at costs %v, want one at %d", c.name, got, models.PasswordCost)
		}
	}
}

// Ensure an unknown username costs about as much time as a wrong password.
func TestAuthenticateStaffUnknownUserTiming(t *testing.T) {
	old := models.PasswordCost
	models.PasswordCost = 7
	t.Cleanup(func() { models.PasswordCost = old })
	e := newAuthEnv(t)
	e.create("clerk1", "right password", models.RoleClerk, e.stations[0].ID)
	ctx := t.Context()
	_, _ = models.AuthenticateStaff(ctx, e.db, "nobody", "warm up the dummy", authT0)
	timeOf := func(user string) time.Duration {
		best := time.Hour
		for range 3 {
			start := time.Now()
			_, _ = models.AuthenticateStaff(ctx, e.db, user, "wrong password", authT0.Add(time.Hour))
			best = min(best, time.Since(start))
		}
		return best
	}
	known, unknown := timeOf("clerk1"), timeOf("nobody")
	if unknown < known/3 {
		t.Errorf("unknown user %v, wrong password %v: the difference tells usernames apart", unknown, known)
	}
}

// Ensure a new password replaces the old one, voids older sessions and is
// audited; and that a login upgrades a cheaper hash.
func TestSetStaffPassword(t *testing.T) {
	lowCost(t)
	e := newAuthEnv(t)
	ctx := t.Context()
	s := e.create("head1", "first password", models.RoleHead, e.stations[1].ID)
	for range 5 {
		_, _ = models.AuthenticateStaff(ctx, e.db, "head1", "bad guess!!", authT0)
	}
	if err := models.SetStaffPassword(ctx, e.db, models.SystemActor, s.ID, "short", authT0); authCode(err) != "invalid_password" {
		t.Errorf("short: %v", err)
	}
	if err := models.SetStaffPassword(ctx, e.db, models.SystemActor, 9999, "second password", authT0); authCode(err) != "staff_not_found" {
		t.Errorf("unknown staff: %v", err)
	}
	later := authT0.Add(time.Minute)
	if err := models.SetStaffPassword(ctx, e.db, models.SystemActor, s.ID, "second password", later); err != nil {
		t.Fatal(err)
	}
	if _, err := models.AuthenticateStaff(ctx, e.db, "head1", "first password", later); authCode(err) != "invalid_credentials" {
		t.Errorf("old password: %v", err)
	}
	if _, err := models.AuthenticateStaff(ctx, e.db, "head1", "second password", later); err != nil {
		t.Errorf("new password: %v", err)
	}
	acct, err := models.LoadConsoleAccount(ctx, e.db, s.ID)
	if err != nil || !acct.SessionsValidFrom.Equal(later) || acct.Staff.ID != s.ID {
		t.Errorf("account %+v %v", acct, err)
	}
	trail, _ := models.AuditTrail(ctx, e.db, "staff", s.ID)
	if len(trail) != 2 || trail[1].Action != "staff.password" {
		t.Errorf("audit %+v", trail)
	}

	models.PasswordCost = bcrypt.MinCost + 1
	if _, err := models.AuthenticateStaff(ctx, e.db, "head1", "second password", later); err != nil {
		t.Fatal(err)
	}
	var row models.Staff
	e.db.First(&row, s.ID)
	if cost, _ := bcrypt.Cost([]byte(row.PasswordHash)); cost != bcrypt.MinCost+1 {
		t.Errorf("hash not upgraded: cost %d", cost)
	}

	e.db.Model(&models.Staff{}).Where("id = ?", s.ID).Update("active", false)
	if _, err := models.LoadConsoleAccount(ctx, e.db, s.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("inactive account: %v", err)
	}
}

// Ensure the transfer pickers list the right people and departments.
func TestListStationStaffAndDepartments(t *testing.T) {
	lowCost(t)
	e := newAuthEnv(t)
	ctx := t.Context()
	a, b := e.stations[0].ID, e.stations[1].ID
	c1 := e.create("clerk_a", "password 123", models.RoleClerk, a)
	h1 := e.create("head_b", "password 123", models.RoleHead, b)
	both := e.create("both", "password 123", models.RoleClerk, a, b)
	adm := e.create("admin", "password 123", models.RoleAdmin)
	gone := e.create("gone", "password 123", models.RoleClerk, a)
	e.db.Model(&models.Staff{}).Where("id = ?", gone.ID).Update("active", false)
	ids := func(rows []models.StaffBrief) []uint64 {
		var out []uint64
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	scopeA := models.ScopeOf(c1)
	for _, c := range []struct {
		name    string
		scope   models.StaffScope
		station uint64
		want    []uint64
		err     string
	}{
		{"own station", scopeA, a, []uint64{c1.ID, both.ID, adm.ID}, ""},
		{"all own stations", scopeA, 0, []uint64{c1.ID, both.ID, adm.ID}, ""},
		{"another station", scopeA, b, nil, "station_not_found"},
		{"admin, one station", models.ScopeOf(adm), b, []uint64{h1.ID, both.ID, adm.ID}, ""},
		{"admin, everyone", models.ScopeOf(adm), 0, []uint64{c1.ID, h1.ID, both.ID, adm.ID}, ""},
	} {
		rows, err := models.ListStationStaff(ctx, e.db, c.scope, c.station)
		if authCode(err) != c.err || !equalIDs(ids(rows), c.want) {
			t.Errorf("%s: %v %v, want %v %s", c.name, ids(rows), err, c.want, c.err)
		}
	}
	rows, _ := models.ListStationStaff(ctx, e.db, models.ScopeOf(adm), a)
	for _, r := range rows {
		if r.ID == both.ID && len(r.StationIDs) != 2 || r.RoleLabel == "" {
			t.Errorf("row %+v", r)
		}
	}
	for _, n := range []string{"县住建局", "县交通运输局"} {
		e.db.Create(&models.Department{Name: n, Contact: "办公室", Phone: "1"})
	}
	depts, err := models.ListDepartments(ctx, e.db)
	if err != nil || len(depts) != 2 {
		t.Errorf("departments %+v %v", depts, err)
	}
}

func equalIDs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Ensure ActiveStaffByOAOpenID finds the active staff member bound to an openid,
// with their stations, and answers the one Chinese refusal for an empty,
// unknown or deactivated openid.
func TestActiveStaffByOAOpenID(t *testing.T) {
	lowCost(t)
	e := newAuthEnv(t)
	ctx := t.Context()
	clerk := e.create("clerk_oa", "correct horse 1", models.RoleClerk, e.stations[0].ID)
	gone := e.create("gone_oa", "correct horse 1", models.RoleClerk, e.stations[1].ID)
	for id, openid := range map[uint64]string{clerk.ID: "oClerkBound01", gone.ID: "oGoneBound01"} {
		if err := e.db.Model(&models.Staff{}).Where("id = ?", id).Update("oa_openid", openid).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.Model(&models.Staff{}).Where("id = ?", gone.ID).Update("active", false).Error; err != nil {
		t.Fatal(err)
	}
	s, err := models.ActiveStaffByOAOpenID(ctx, e.db, "oClerkBound01")
	if err != nil || s.ID != clerk.ID || len(s.Stations) != 1 || s.Stations[0].ID != e.stations[0].ID {
		t.Fatalf("bound clerk: %+v, %v", s, err)
	}
	for _, openid := range []string{"", "oNobody01", "oGoneBound01", strings.Repeat("o", 65)} {
		_, err := models.ActiveStaffByOAOpenID(ctx, e.db, openid)
		var ce *models.CodedError
		if !errors.Is(err, models.ErrUnauthorized) || !errors.As(err, &ce) ||
			ce.Code != "wechat_not_bound" || !strings.Contains(ce.Msg, "尚未绑定") {
			t.Errorf("openid %q: %v, want wechat_not_bound", openid, err)
		}
	}
}
