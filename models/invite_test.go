package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

var inviteT0 = time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)

func seedStation(t *testing.T, db *gorm.DB, name string) models.Station {
	t.Helper()
	st := models.Station{Kind: models.KindStation, Name: name, Address: "青溪县城关镇东门街12号",
		District: "城关镇", Lat: 30.27, Lng: 120.15, OpenHours: "周一至周五 9:00-17:00"}
	if err := db.Create(&st).Error; err != nil {
		t.Fatal(err)
	}
	return st
}

func invite(t *testing.T, db *gorm.DB, name string, stationID uint64, ttl time.Duration) models.Code {
	t.Helper()
	c, err := models.CreateStaffInvite(context.Background(), db, models.Staff{Name: name, Role: models.RoleClerk}, stationID, ttl, inviteT0)
	if err != nil {
		t.Fatalf("create invite for %s: %v", name, err)
	}
	return c
}

func getStaff(t *testing.T, db *gorm.DB, id uint64) models.Staff {
	t.Helper()
	var s models.Staff
	if err := db.Preload("Stations").First(&s, id).Error; err != nil {
		t.Fatal(err)
	}
	return s
}

// Ensure an invite creates an active, unbound member of the station, binds
// the first scanner once, and refuses the replay.
func TestStaffInviteBindsOnce(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	st := seedStation(t, db, "东门社区代表联络站")
	c := invite(t, db, "王小红", st.ID, 72*time.Hour)

	if c.Kind != models.CodeStaffInvite || c.TargetKind != models.TargetStaff || c.UsedAt != nil {
		t.Fatalf("invite code: %+v", c)
	}
	if c.ExpiresAt == nil || !c.ExpiresAt.Equal(inviteT0.Add(72*time.Hour)) {
		t.Fatalf("expires at %v", c.ExpiresAt)
	}
	before := getStaff(t, db, c.TargetID)
	if before.Name != "王小红" || before.Role != models.RoleClerk || !before.Active || before.OAOpenID != nil ||
		len(before.Stations) != 1 || before.Stations[0].ID != st.ID {
		t.Fatalf("invited staff: %+v", before)
	}

	staff, station, err := models.BindStaffInvite(ctx, db, c.Code, "oStaffOpenID0001", inviteT0.Add(time.Hour))
	if err != nil {
		t.Fatalf("bind: %v", err)
	}
	if staff.ID != c.TargetID || staff.Name != "王小红" || staff.OAOpenID == nil || *staff.OAOpenID != "oStaffOpenID0001" {
		t.Fatalf("bound staff: %+v", staff)
	}
	if station.ID != st.ID || station.Name != st.Name {
		t.Fatalf("station: %+v", station)
	}
	if got := getStaff(t, db, c.TargetID); got.OAOpenID == nil || *got.OAOpenID != "oStaffOpenID0001" {
		t.Fatalf("openid not stored: %+v", got)
	}
	used, err := models.FindCode(ctx, db, c.Code)
	if err != nil || used.UsedAt == nil || !used.UsedAt.Equal(inviteT0.Add(time.Hour)) {
		t.Fatalf("used_at: %v %v", used.UsedAt, err)
	}

	// The replay: by the same person, by someone else, and in lower case.
	for _, openid := range []string{"oStaffOpenID0001", "oSomeoneElse0002"} {
		_, _, err := models.BindStaffInvite(ctx, db, c.Code, openid, inviteT0.Add(2*time.Hour))
		if !errors.Is(err, models.ErrInviteUsed) {
			t.Fatalf("replay by %s: %v, want invite_used", openid, err)
		}
	}
	if _, _, err := models.BindStaffInvite(ctx, db, strings.ToLower(c.Code), "oSomeoneElse0002", inviteT0.Add(2*time.Hour)); !errors.Is(err, models.ErrInviteUsed) {
		t.Fatalf("replay in lower case: %v", err)
	}
	if got := getStaff(t, db, c.TargetID); *got.OAOpenID != "oStaffOpenID0001" {
		t.Fatalf("replay rebound the member to %s", *got.OAOpenID)
	}

	trail, err := models.AuditTrail(ctx, db, "staff", c.TargetID)
	if err != nil || len(trail) != 2 || trail[0].Action != "staff.invite" || trail[1].Action != "staff.bind" ||
		trail[1].ActorKind != "staff" || trail[1].ToState != "bound" {
		t.Fatalf("audit trail: %+v %v", trail, err)
	}
	for _, row := range trail {
		if strings.Contains(row.Note, c.Code) {
			t.Errorf("audit note carries the invite code: %q", row.Note)
		}
	}
}

// Ensure an invite cannot be used at or after its expiry.
func TestStaffInviteExpires(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	st := seedStation(t, db, "西街社区代表联络站")
	c := invite(t, db, "李四", st.ID, time.Hour)
	for _, at := range []time.Time{inviteT0.Add(time.Hour), inviteT0.Add(48 * time.Hour)} {
		if _, _, err := models.BindStaffInvite(ctx, db, c.Code, "oLate0000000001", at); !errors.Is(err, models.ErrInviteExpired) {
			t.Fatalf("bind at %v: %v, want invite_expired", at, err)
		}
	}
	if s := getStaff(t, db, c.TargetID); s.OAOpenID != nil {
		t.Fatal("expired invite bound the member")
	}
	var ce *models.CodedError
	_, _, err := models.BindStaffInvite(ctx, db, c.Code, "oLate0000000001", inviteT0.Add(2*time.Hour))
	if !errors.As(err, &ce) || ce.Code != "invite_expired" || ce.Msg == "" {
		t.Fatalf("coded error: %#v", err)
	}
	// A second before expiry it still works.
	if _, _, err := models.BindStaffInvite(ctx, db, c.Code, "oOnTime00000001", inviteT0.Add(time.Hour-time.Second)); err != nil {
		t.Fatalf("bind just in time: %v", err)
	}
}

// Ensure unknown, malformed, revoked and non-invite codes are invite_not_found.
func TestStaffInviteNotFound(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	st := seedStation(t, db, "桃源镇代表联络站")
	deputyCode, err := models.CreateCode(ctx, db, models.Code{Kind: models.CodeDeputy, TargetID: 1})
	if err != nil {
		t.Fatal(err)
	}
	revoked := invite(t, db, "赵六", st.ID, time.Hour)
	if err := models.CancelStaffInvite(ctx, db, revoked.Code, inviteT0); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if s := getStaff(t, db, revoked.TargetID); s.Active {
		t.Error("a cancelled invite left its member active")
	}
	for name, code := range map[string]string{
		"unknown": "23456789", "malformed": "0O1IL", "empty": "", "deputy code": deputyCode.Code, "revoked": revoked.Code,
	} {
		if _, _, err := models.BindStaffInvite(ctx, db, code, "oAnyone00000001", inviteT0); !errors.Is(err, models.ErrInviteNotFound) {
			t.Errorf("%s: %v, want invite_not_found", name, err)
		}
	}
	if c, _ := models.FindCode(ctx, db, deputyCode.Code); c.UsedAt != nil {
		t.Error("a deputy code was marked used")
	}
	if _, _, err := models.BindStaffInvite(ctx, db, revoked.Code, "", inviteT0); !errors.Is(err, models.ErrInvalid) {
		t.Errorf("empty openid: %v", err)
	}
}

// Ensure an openid bound to one member cannot be bound to another, and that
// the refused invite stays usable by its rightful owner.
func TestStaffInviteOpenIDAlreadyBound(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	st := seedStation(t, db, "白沙镇代表联络站")
	a := invite(t, db, "甲", st.ID, time.Hour)
	b := invite(t, db, "乙", st.ID, time.Hour)
	if _, _, err := models.BindStaffInvite(ctx, db, a.Code, "oShared00000001", inviteT0); err != nil {
		t.Fatal(err)
	}
	_, _, err := models.BindStaffInvite(ctx, db, b.Code, "oShared00000001", inviteT0)
	if !errors.Is(err, models.ErrOpenIDAlreadyBound) || !errors.Is(err, models.ErrConflict) {
		t.Fatalf("second member with the same openid: %v", err)
	}
	if c, _ := models.FindCode(ctx, db, b.Code); c.UsedAt != nil {
		t.Fatal("the refused bind used up the invite")
	}
	if s, _, err := models.BindStaffInvite(ctx, db, b.Code, "oOwnerOfB000001", inviteT0); err != nil || s.Name != "乙" {
		t.Fatalf("rightful bind after the refusal: %+v %v", s, err)
	}
}

// Ensure of many simultaneous scans of one invite exactly one binds.
func TestStaffInviteConcurrentScans(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	st := seedStation(t, db, "石门镇代表联络站")
	c := invite(t, db, "丙", st.ID, time.Hour)
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = models.BindStaffInvite(ctx, db, c.Code, fmt.Sprintf("oRacer%010d", i), inviteT0)
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, models.ErrInviteUsed):
			t.Errorf("scan %d: %v", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d scans bound the invite, want exactly 1", ok)
	}
	trail, _ := models.AuditTrail(ctx, db, "staff", c.TargetID)
	if len(trail) != 2 {
		t.Fatalf("audit rows: %d, want invite + one bind", len(trail))
	}
}

// Ensure bad input creates nothing.
func TestCreateStaffInviteValidates(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	st := seedStation(t, db, "龙潭村代表联络站")
	cases := map[string]struct {
		staff   models.Staff
		station uint64
		ttl     time.Duration
		want    error
	}{
		"unknown station": {models.Staff{Name: "甲", Role: models.RoleClerk}, st.ID + 100, time.Hour, models.ErrStationNotFound},
		"no name":         {models.Staff{Name: "  ", Role: models.RoleClerk}, st.ID, time.Hour, models.ErrInvalid},
		"admin role":      {models.Staff{Name: "甲", Role: models.RoleAdmin}, st.ID, time.Hour, models.ErrInvalid},
		"ttl too long":    {models.Staff{Name: "甲", Role: models.RoleHead}, st.ID, models.MaxInviteTTL + time.Hour, models.ErrInvalid},
		"zero ttl":        {models.Staff{Name: "甲", Role: models.RoleHead}, st.ID, 0, models.ErrInvalid},
	}
	for name, tc := range cases {
		_, err := models.CreateStaffInvite(ctx, db, tc.staff, tc.station, tc.ttl, inviteT0)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	var staff, codes int64
	db.Model(&models.Staff{}).Count(&staff)
	db.Model(&models.Code{}).Count(&codes)
	if staff != 0 || codes != 0 {
		t.Fatalf("failed invites left %d staff and %d codes", staff, codes)
	}
}
