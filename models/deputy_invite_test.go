package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

var officeActor = models.Actor{Kind: "staff", ID: 1}

// Ensure a deputy's invite binds the first scanner once, refuses a replay,
// an expired invite, and a WeChat already bound to another deputy, while a
// WeChat bound to a staff member may also be a deputy's; unbinding clears
// the binding and is audited.
func TestDeputyInviteBindsOnce(t *testing.T) {
	db := modelstest.NewDB(t)
	ctx := context.Background()
	st := seedStation(t, db, "东门社区代表联络站")
	wang := seedDeputy(t, db, st.ID, "王芳", models.DeputyActive)
	li := seedDeputy(t, db, st.ID, "李强", models.DeputyActive)

	c, err := models.CreateDeputyInvite(ctx, db, officeActor, wang.ID, 72*time.Hour, inviteT0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != models.CodeDeputyInvite || c.TargetID != wang.ID || c.TargetKind == models.CodeDeputy ||
		c.ExpiresAt == nil || !c.ExpiresAt.Equal(inviteT0.Add(72*time.Hour)) {
		t.Fatalf("invite %+v", c)
	}
	// An invite is no public code of the deputy.
	if _, err := models.ResolveCode(ctx, db, c.Code); !errors.Is(err, models.ErrCodeNotFound) {
		t.Fatalf("invite resolves as a public code: %v", err)
	}
	if live, ok, err := models.DeputyInvite(ctx, db, wang.ID, inviteT0); err != nil || !ok || live.Code != c.Code {
		t.Fatalf("live invite %+v %v %v", live, ok, err)
	}

	d, err := models.BindDeputyInvite(ctx, db, c.Code, "oWangFang", inviteT0.Add(time.Hour))
	if err != nil || d.ID != wang.ID || d.OAOpenID == nil || *d.OAOpenID != "oWangFang" {
		t.Fatalf("bind: %+v %v", d, err)
	}
	if _, err := models.BindDeputyInvite(ctx, db, c.Code, "oSomeoneElse", inviteT0.Add(2*time.Hour)); !errors.Is(err, models.ErrInviteUsed) {
		t.Fatalf("replay: %v", err)
	}
	if _, ok, _ := models.DeputyInvite(ctx, db, wang.ID, inviteT0); ok {
		t.Fatal("a used invite is still live")
	}
	if got, err := models.ActiveDeputyByOAOpenID(ctx, db, "oWangFang"); err != nil || got.ID != wang.ID {
		t.Fatalf("deputy by openid: %+v %v", got, err)
	}

	// Expired.
	c2, err := models.CreateDeputyInvite(ctx, db, officeActor, li.ID, time.Hour, inviteT0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.BindDeputyInvite(ctx, db, c2.Code, "oLiQiang", inviteT0.Add(time.Hour)); !errors.Is(err, models.ErrInviteExpired) {
		t.Fatalf("expired: %v", err)
	}
	// Another deputy's WeChat: refused, and the invite stays usable.
	c3, err := models.CreateDeputyInvite(ctx, db, officeActor, li.ID, time.Hour, inviteT0)
	if err != nil {
		t.Fatal(err)
	}
	var ce *models.CodedError
	if _, err := models.BindDeputyInvite(ctx, db, c3.Code, "oWangFang", inviteT0); !errors.Is(err, models.ErrDeputyOpenIDBound) ||
		!errors.As(err, &ce) || ce.Msg != "您的微信已绑定其他代表，请联系工作人员" {
		t.Fatalf("another deputy's WeChat: %v", err)
	}
	// A new invite revokes the old unused one.
	c4, err := models.CreateDeputyInvite(ctx, db, officeActor, li.ID, time.Hour, inviteT0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.BindDeputyInvite(ctx, db, c3.Code, "oLiQiang", inviteT0); !errors.Is(err, models.ErrInviteNotFound) {
		t.Fatalf("superseded invite: %v", err)
	}
	// The same WeChat as a staff member: one person, two roles.
	staff, err := models.CreateConsoleUser(ctx, db, "li_qiang", "a-long-password-1", "李强", models.RoleClerk, []uint64{st.ID}, inviteT0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Model(&models.Staff{}).Where("id = ?", staff.ID).Update("oa_openid", "oLiQiang").Error; err != nil {
		t.Fatal(err)
	}
	if d, err := models.BindDeputyInvite(ctx, db, c4.Code, "oLiQiang", inviteT0); err != nil || d.ID != li.ID {
		t.Fatalf("staff member's WeChat as a deputy: %+v %v", d, err)
	}
	if s, err := models.ActiveStaffByOAOpenID(ctx, db, "oLiQiang"); err != nil || s.ID != staff.ID {
		t.Fatalf("staff binding after the deputy's: %+v %v", s, err)
	}

	// Malformed and unknown codes, a staff invite used as a deputy's.
	for _, code := range []string{"", "nonsense", "ABCDEFGH"} {
		if _, err := models.BindDeputyInvite(ctx, db, code, "oX", inviteT0); !errors.Is(err, models.ErrInviteNotFound) {
			t.Errorf("code %q: %v", code, err)
		}
	}
	si := invite(t, db, "张三", st.ID, time.Hour)
	if _, err := models.BindDeputyInvite(ctx, db, si.Code, "oX", inviteT0); !errors.Is(err, models.ErrInviteNotFound) {
		t.Errorf("staff invite as a deputy's: %v", err)
	}

	// Unbind: cleared, audited, once.
	if err := models.UnbindDeputy(ctx, db, models.Actor{Kind: "deputy", ID: wang.ID}, wang.ID, inviteT0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := models.ActiveDeputyByOAOpenID(ctx, db, "oWangFang"); !errors.Is(err, models.ErrUnauthorized) {
		t.Fatalf("unbound deputy signs in: %v", err)
	}
	if _, err := models.BoundDeputy(ctx, db, wang.ID); !errors.Is(err, models.ErrUnauthorized) {
		t.Fatalf("unbound deputy is bound: %v", err)
	}
	if err := models.UnbindDeputy(ctx, db, officeActor, wang.ID, inviteT0); !errors.Is(err, models.ErrDeputyNotBoundYet) {
		t.Fatalf("second unbind: %v", err)
	}
	trail, err := models.AuditTrail(ctx, db, "deputy", wang.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range trail {
		actions = append(actions, a.Action)
	}
	if len(actions) != 3 || actions[0] != models.AuditDeputyInvite || actions[1] != models.AuditDeputyBind ||
		actions[2] != models.AuditDeputyUnbind {
		t.Fatalf("audit trail %v", actions)
	}
	for _, a := range trail {
		if a.Note == "" || strings.Contains(a.Note, c.Code) {
			t.Errorf("audit note %q", a.Note)
		}
	}

	// A retired deputy gets no invite; ttl bounds.
	old := seedDeputy(t, db, st.ID, "赵老", models.DeputyRetired)
	if _, err := models.CreateDeputyInvite(ctx, db, officeActor, old.ID, time.Hour, inviteT0); !errors.Is(err, models.ErrDeputyInviteRetired) {
		t.Fatalf("retired deputy's invite: %v", err)
	}
	if _, err := models.CreateDeputyInvite(ctx, db, officeActor, wang.ID, 31*24*time.Hour, inviteT0); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("31 days: %v", err)
	}
	if _, err := models.CreateDeputyInvite(ctx, db, officeActor, 999999, time.Hour, inviteT0); !errors.Is(err, models.ErrDeputyNotFound) {
		t.Fatalf("unknown deputy: %v", err)
	}
}
