package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

var mgT = time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)

// mgEnv is the demo county with an admin and a township user of 城关镇.
type mgEnv struct {
	db                 *gorm.DB
	admin, town        models.ManageScope
	adminID, townID    uint64
	east, taoyuan      models.Station
	home               models.Station
	ctx                context.Context
	chengguan, dongxi  string
	clerkEast, clerkTY models.Staff
}

func newMgEnv(t *testing.T) *mgEnv {
	t.Helper()
	lowCost(t)
	e := &mgEnv{db: modelstest.NewDB(t), ctx: context.Background(), chengguan: "城关镇", dongxi: "东溪街道"}
	if _, err := models.LoadDemo(e.ctx, e.db); err != nil {
		t.Fatal(err)
	}
	st := func(name string) models.Station {
		var s models.Station
		if err := e.db.Where("name = ?", name).First(&s).Error; err != nil {
			t.Fatal(err)
		}
		return s
	}
	e.east, e.taoyuan, e.home = st("东门社区代表联络站"), st("桃源镇代表联络站"), st("城关镇人大代表之家")
	var adm models.Staff
	if err := e.db.Where("role = ?", models.RoleAdmin).First(&adm).Error; err != nil {
		t.Fatal(err)
	}
	e.adminID = adm.ID
	e.admin, _ = models.ManageScopeOf(adm)
	tw := models.Staff{Name: "城关镇人大主席团", Role: models.RoleTownship, Township: e.chengguan, Active: true}
	if err := e.db.Create(&tw).Error; err != nil {
		t.Fatal(err)
	}
	e.townID = tw.ID
	e.town, _ = models.ManageScopeOf(tw)
	var err error
	if e.clerkEast, _, err = models.InviteStaff(e.ctx, e.db, e.admin, models.NewStaff{Name: "东门新人", Role: models.RoleClerk, StationIDs: []uint64{e.east.ID}}, mgT); err != nil {
		t.Fatal(err)
	}
	if e.clerkTY, _, err = models.InviteStaff(e.ctx, e.db, e.admin, models.NewStaff{Name: "桃源新人", Role: models.RoleClerk, StationIDs: []uint64{e.taoyuan.ID}}, mgT); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *mgEnv) audits(t *testing.T, action string, id uint64) []models.AuditLog {
	t.Helper()
	var rows []models.AuditLog
	if err := e.db.Where("action = ? AND entity_id = ?", action, id).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// Ensure a township user creates only clerks and heads of its own
// stations, only an admin creates township users (for a township that
// exists) and admins, and each creation is audited with its actor.
func TestInviteStaffScopes(t *testing.T) {
	e := newMgEnv(t)
	cases := []struct {
		name string
		sc   models.ManageScope
		in   models.NewStaff
		want error
	}{
		{"township clerk of its station", e.town, models.NewStaff{Name: "甲", Role: models.RoleClerk, StationIDs: []uint64{e.east.ID}}, nil},
		{"township clerk of another township", e.town, models.NewStaff{Name: "乙", Role: models.RoleClerk, StationIDs: []uint64{e.taoyuan.ID}}, models.ErrInvalid},
		{"township makes a township user", e.town, models.NewStaff{Name: "丙", Role: models.RoleTownship, Township: e.chengguan}, models.ErrInvalid},
		{"township makes an admin", e.town, models.NewStaff{Name: "丁", Role: models.RoleAdmin}, models.ErrInvalid},
		{"admin makes a township user", e.admin, models.NewStaff{Name: "东溪街道人大工委", Role: models.RoleTownship, Township: e.dongxi}, nil},
		{"admin makes a township user of nowhere", e.admin, models.NewStaff{Name: "戊", Role: models.RoleTownship, Township: "不存在镇"}, models.ErrInvalid},
		{"admin makes an admin", e.admin, models.NewStaff{Name: "己", Role: models.RoleAdmin}, nil},
		{"clerk without a station", e.admin, models.NewStaff{Name: "庚", Role: models.RoleClerk}, models.ErrInvalid},
		{"a clerk manages nothing", models.ManageScope{}, models.NewStaff{Name: "辛", Role: models.RoleClerk, StationIDs: []uint64{e.east.ID}}, models.ErrForbidden},
	}
	for _, tc := range cases {
		s, code, err := models.InviteStaff(e.ctx, e.db, tc.sc, tc.in, mgT)
		if tc.want != nil {
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
			var n int64
			e.db.Model(&models.Staff{}).Where("name = ?", tc.in.Name).Count(&n)
			if n != 0 {
				t.Errorf("%s: refused but a member was written", tc.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if code.Kind != models.CodeStaffInvite || code.TargetID != s.ID || code.ExpiresAt == nil ||
			!code.ExpiresAt.Equal(mgT.Add(models.DefaultInviteTTL)) {
			t.Errorf("%s: invite %+v", tc.name, code)
		}
		a := e.audits(t, "staff.invite", s.ID)
		if len(a) != 1 || a[0].ActorKind != "staff" || a[0].ActorID != tc.sc.Actor.ID {
			t.Errorf("%s: audit %+v", tc.name, a)
		}
	}
	// The township user lists its township's clerks only.
	rows, err := models.ListManagedStaff(e.ctx, e.db, e.town, models.StaffFilter{}, mgT)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Role != models.RoleClerk && r.Role != models.RoleHead || r.ID == e.clerkTY.ID {
			t.Errorf("township lists %+v", r)
		}
	}
	if _, err := models.GetManagedStaff(e.ctx, e.db, e.town, e.clerkTY.ID, mgT); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("township reads another township's clerk: %v", err)
	}
	if err := models.SetStaffActive(e.ctx, e.db, e.town, e.clerkTY.ID, false, mgT); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("township deactivates another township's clerk: %v", err)
	}
	if err := models.SetStaffActive(e.ctx, e.db, e.town, e.adminID, false, mgT); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("township deactivates the admin: %v", err)
	}
}

// Ensure a township user's and an admin's invite bind them, though they
// have no station of their own.
func TestInviteBindsTownshipUser(t *testing.T) {
	e := newMgEnv(t)
	s, code, err := models.InviteStaff(e.ctx, e.db, e.admin, models.NewStaff{Name: "东溪街道人大工委", Role: models.RoleTownship, Township: e.dongxi}, mgT)
	if err != nil {
		t.Fatal(err)
	}
	got, st, err := models.BindStaffInvite(e.ctx, e.db, code.Code, "oTownship1", mgT.Add(time.Minute))
	if err != nil || got.ID != s.ID || st.Name != e.dongxi {
		t.Fatalf("bind: %+v %+v %v", got, st, err)
	}
	acct, err := models.ActiveStaffByOAOpenID(e.ctx, e.db, "oTownship1")
	if err != nil || len(acct.Stations) == 0 {
		t.Fatalf("sign-in of the township user: %+v %v", acct, err)
	}
}

// Ensure a re-issued invite withdraws the unused one (it no longer binds),
// the new one binds, and both are audited.
func TestReissueInvite(t *testing.T) {
	e := newMgEnv(t)
	rows, err := models.ListManagedStaff(e.ctx, e.db, e.admin, models.StaffFilter{Q: "东门新人"}, mgT)
	if err != nil || len(rows) != 1 || rows[0].Invite == nil {
		t.Fatalf("pending invite: %+v %v", rows, err)
	}
	old := rows[0].Invite.Code
	code, err := models.ReissueStaffInvite(e.ctx, e.db, e.town, e.clerkEast.ID, 48*time.Hour, mgT.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := models.BindStaffInvite(e.ctx, e.db, old, "oNew1", mgT.Add(2*time.Hour)); !errors.Is(err, models.ErrInviteNotFound) {
		t.Errorf("the withdrawn invite binds: %v", err)
	}
	if _, _, err := models.BindStaffInvite(e.ctx, e.db, code.Code, "oNew1", mgT.Add(2*time.Hour)); err != nil {
		t.Errorf("the new invite: %v", err)
	}
	if a := e.audits(t, "staff.reinvite", e.clerkEast.ID); len(a) != 1 || a[0].ActorID != e.townID {
		t.Errorf("audit %+v", a)
	}
	// Unbind, then deactivate: the invite is gone and the WeChat no longer signs in.
	if err := models.UnbindStaffWeChat(e.ctx, e.db, e.town, e.clerkEast.ID, mgT); err != nil {
		t.Fatal(err)
	}
	if _, err := models.ActiveStaffByOAOpenID(e.ctx, e.db, "oNew1"); !errors.Is(err, models.ErrUnauthorized) {
		t.Errorf("unbound WeChat signs in: %v", err)
	}
	if _, err := models.ReissueStaffInvite(e.ctx, e.db, e.town, e.clerkEast.ID, 0, mgT); err != nil {
		t.Fatal(err)
	}
	if err := models.SetStaffActive(e.ctx, e.db, e.town, e.clerkEast.ID, false, mgT); err != nil {
		t.Fatal(err)
	}
	if r, err := models.GetManagedStaff(e.ctx, e.db, e.admin, e.clerkEast.ID, mgT); err != nil || r.Active || r.Invite != nil {
		t.Errorf("deactivated member %+v %v: still active or invited", r, err)
	}
	if err := models.SetStaffActive(e.ctx, e.db, e.admin, e.adminID, false, mgT); !errors.Is(err, models.ErrSelfDeactivate) {
		t.Errorf("an admin deactivates themselves: %v", err)
	}
}

// Ensure a console login is set once with a username, a taken username is
// refused, the password signs in, and clearing it stops that.
func TestManagedStaffLogin(t *testing.T) {
	e := newMgEnv(t)
	const pw = "a-long-password-1"
	if err := models.SetManagedStaffLogin(e.ctx, e.db, e.town, e.clerkEast.ID, "", pw, mgT); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("no username: %v", err)
	}
	if err := models.SetManagedStaffLogin(e.ctx, e.db, e.town, e.clerkEast.ID, "dongmen1", pw, mgT); err != nil {
		t.Fatal(err)
	}
	if err := models.SetManagedStaffLogin(e.ctx, e.db, e.admin, e.clerkTY.ID, "DongMen1", pw, mgT); !errors.Is(err, models.ErrUsernameTaken) {
		t.Errorf("taken username: %v", err)
	}
	if _, err := models.AuthenticateStaff(e.ctx, e.db, "dongmen1", pw, mgT); err != nil {
		t.Errorf("sign in: %v", err)
	}
	if err := models.ClearStaffPassword(e.ctx, e.db, e.town, e.clerkEast.ID, mgT); err != nil {
		t.Fatal(err)
	}
	if _, err := models.AuthenticateStaff(e.ctx, e.db, "dongmen1", pw, mgT); !errors.Is(err, models.ErrUnauthorized) {
		t.Errorf("sign in after the password was cleared: %v", err)
	}
	if a := e.audits(t, "staff.password_clear", e.clerkEast.ID); len(a) != 1 {
		t.Errorf("audit %+v", a)
	}
}

// Ensure codes are made and retired within the scope, a retired code is
// refused again, and a station's boards are its serving deputies' codes.
func TestManagedCodes(t *testing.T) {
	e := newMgEnv(t)
	if _, err := models.EnsureCodes(e.ctx, e.db); err != nil {
		t.Fatal(err)
	}
	var dep, far models.Deputy
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.db.Where("station_id = ? AND status = ?", e.east.ID, models.DeputyActive).Order("id").First(&dep).Error)
	must(e.db.Where("station_id = ?", e.taoyuan.ID).Order("id").First(&far).Error)
	board, err := models.CreateManagedCode(e.ctx, e.db, e.town, models.CodeBoard, dep.ID, "东门菜场公示栏", mgT)
	if err != nil || board.Kind != models.CodeBoard || board.TargetKind != models.CodeDeputy {
		t.Fatalf("board %+v %v", board, err)
	}
	if _, err := models.CreateManagedCode(e.ctx, e.db, e.town, models.CodeBoard, far.ID, "桃源公示栏", mgT); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("township makes a board of another township's deputy: %v", err)
	}
	if _, err := models.CreateManagedCode(e.ctx, e.db, e.admin, models.CodeStation, e.east.ID, "", mgT); !errors.Is(err, models.ErrConflict) {
		t.Errorf("a second station code: %v", err)
	}
	if _, err := models.CreateManagedCode(e.ctx, e.db, e.admin, models.CodeBoard, dep.ID, "", mgT); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("a board without a place: %v", err)
	}
	if n, err := models.AddScanCounts(e.ctx, e.db, "", []models.ScanCount{
		{Code: board.Code, Day: models.ScanDayOf(mgT.Add(-24 * time.Hour)), Count: 1, LastAt: mgT.Add(-24 * time.Hour)},
		{Code: board.Code, Day: models.ScanDayOf(mgT.Add(-100 * 24 * time.Hour)), Count: 1, LastAt: mgT.Add(-100 * 24 * time.Hour)},
	}, mgT); err != nil || n != 2 {
		t.Fatalf("scans: %d %v", n, err)
	}
	list, err := models.ListManagedCodes(e.ctx, e.db, e.town, models.CodeFilter{Q: "东门菜场"}, mgT)
	if err != nil || len(list.Rows) != 1 || list.Rows[0].Code != board.Code || list.Rows[0].Scans != 1 || list.Rows[0].ScanTotal != 2 || !list.Rows[0].Printable {
		t.Fatalf("list %+v %v", list, err)
	}
	all, err := models.ListManagedCodes(e.ctx, e.db, e.town, models.CodeFilter{Limit: 200}, mgT)
	must(err)
	for _, r := range all.Rows {
		if r.Station.ID != 0 && r.Station.ID == e.taoyuan.ID {
			t.Errorf("township lists %+v", r)
		}
	}
	if err := models.RetireCode(e.ctx, e.db, e.town, board.Code, mgT); err != nil {
		t.Fatal(err)
	}
	if err := models.RetireCode(e.ctx, e.db, e.town, board.Code, mgT); !errors.Is(err, models.ErrConflict) {
		t.Errorf("retired twice: %v", err)
	}
	c, err := models.FindCode(e.ctx, e.db, board.Code)
	if err != nil || !c.Revoked {
		t.Errorf("retired code %+v %v", c, err)
	}
	if a := e.audits(t, "code.retire", dep.ID); len(a) != 1 || a[0].ActorID != e.townID {
		t.Errorf("audit %+v", a)
	}
	st, codes, err := models.StationBoardCodes(e.ctx, e.db, e.town, e.east.ID)
	must(err)
	if st.ID != e.east.ID || len(codes) == 0 {
		t.Fatalf("boards of %s: %d", st.Name, len(codes))
	}
	for _, c := range codes {
		if c.Revoked || c.Code == board.Code {
			t.Errorf("a retired code is printed: %+v", c)
		}
	}
	if _, _, err := models.StationBoardCodes(e.ctx, e.db, e.town, e.taoyuan.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("township prints another township's boards: %v", err)
	}
}
