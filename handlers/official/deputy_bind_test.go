package official_test

import (
	"testing"
	"time"

	"deputylink/models"
)

// Ensure a deputy's invite binds the scanner and says where the deputy's
// pages are; a rescan confirms again; another person's scan, an expired
// invite and a WeChat bound to another deputy are refused in Chinese; a
// staff member's WeChat may also be bound as a deputy; no scan is counted.
func TestBotDeputyInvite(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		ctx := t.Context()
		office := models.Actor{Kind: "staff", ID: 1}
		inv, err := models.CreateDeputyInvite(ctx, e.db, office, e.f.active.ID, 10*time.Minute, oaNow)
		must(t, err)
		r := e.push(oaEvent("oDeputyInvite01", oaNextCT(), "SCAN", inv.Code))
		oaWant(t, r.text(t, "oDeputyInvite01"), "张秀兰代表，您已绑定本公众号", "代表履职", "履职档案")
		var d models.Deputy
		must(t, e.db.First(&d, e.f.active.ID).Error)
		if d.OAOpenID == nil || *d.OAOpenID != "oDeputyInvite01" {
			t.Fatalf("deputy openid %v", d.OAOpenID)
		}
		r = e.push(oaEvent("oDeputyInvite01", oaNextCT(), "SCAN", inv.Code))
		oaWant(t, r.text(t, "oDeputyInvite01"), "张秀兰代表，您已绑定")
		r = e.push(oaEvent("oDeputyInvite02", oaNextCT(), "subscribe", "qrscene_"+inv.Code))
		oaWant(t, r.text(t, "oDeputyInvite02"), "绑定没有成功", "已被使用")

		// Another deputy, scanned with the first deputy's WeChat.
		other := models.Deputy{Name: "周明", Level: models.LevelTownship, StationID: e.f.near.ID, Status: models.DeputyActive, Term: "第十八届"}
		must(t, e.db.Create(&other).Error)
		inv2, err := models.CreateDeputyInvite(ctx, e.db, office, other.ID, 10*time.Minute, oaNow)
		must(t, err)
		r = e.push(oaEvent("oDeputyInvite01", oaNextCT(), "SCAN", inv2.Code))
		oaWant(t, r.text(t, "oDeputyInvite01"), "绑定没有成功", "已绑定其他代表")
		// A staff member's WeChat: one person, two roles.
		staffInv, err := models.CreateStaffInvite(ctx, e.db, models.Staff{Name: "周明", Role: models.RoleClerk}, e.f.near.ID, 10*time.Minute, oaNow)
		must(t, err)
		r = e.push(oaEvent("oStaffDeputy01", oaNextCT(), "SCAN", staffInv.Code))
		oaWant(t, r.text(t, "oStaffDeputy01"), "绑定成功")
		r = e.push(oaEvent("oStaffDeputy01", oaNextCT(), "SCAN", inv2.Code))
		oaWant(t, r.text(t, "oStaffDeputy01"), "周明代表，您已绑定本公众号")

		old, err := models.CreateDeputyInvite(ctx, e.db, office, e.f.active.ID, time.Minute, oaNow.Add(-time.Hour))
		must(t, err)
		r = e.push(oaEvent("oDeputyInvite03", oaNextCT(), "SCAN", old.Code))
		oaWant(t, r.text(t, "oDeputyInvite03"), "绑定没有成功", "已过期")

		if n := e.drain(); n != 0 {
			t.Errorf("invites counted as scans: %d", n)
		}
	})
}
