package handlers_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

// Ensure the county office retries a dead notice from the outbox page: the
// page tells why it died in Chinese, the retry is confirmed and audited,
// and the dispatcher then delivers it to WeChat once.
func TestBrowserRetryDeadNotice(t *testing.T) {
	app := newBrowserApp(t)
	openid := app.bindOpenID(demoClerk)
	st := app.station(demoStation)
	ctx := t.Context()
	long := time.Now().Add(-26 * time.Hour)
	id, _, err := models.Enqueue(ctx, app.DB, models.NotificationInput{
		Channel: models.ChannelTemplate, ToUser: openid, TemplateID: "tplStaff", DedupeKey: "opinion:77:new",
		Fields:    map[string]string{"title": "有一条新的群众意见", "no": "QX20261124001", "summary": "东门菜市场门口的路灯坏了", "station": st.Name},
		StationID: &st.ID,
	}, long)
	if err != nil {
		t.Fatal(err)
	}
	// As the dispatcher leaves it after WeChat refused it 8 times.
	if err := app.DB.Model(&models.Notification{}).Where("id = ?", id).Updates(map[string]any{
		"status": models.NotifyDead, "attempts": 8, "updated_at": long.Add(20 * time.Hour),
		"last_error": "gave up after 8 attempts: wechat: template.send: errcode=-1: system error",
	}).Error; err != nil {
		t.Fatal(err)
	}

	tb := app.open(desktop)
	tb.signInAs(demoAdmin)
	tb.visit("/console/manage/outbox")
	if tb.routeMissing() {
		notBuilt(t, "/console/manage/outbox")
	}
	tb.waitText("有一条新的群众意见")
	text := tb.pageText()
	for _, want := range []string{"已放弃 1", demoClerk, "微信系统繁忙", "已尝试8次", demoStation} {
		if !strings.Contains(text, want) {
			t.Errorf("the outbox does not show %q", want)
		}
	}
	tb.screenshot("dead")
	// A phone's browser shows the same page at 375 px.
	ph := app.open(phone)
	ph.signInAs(demoAdmin)
	ph.visit("/console/manage/outbox")
	ph.waitText("微信系统繁忙")
	ph.screenshot("dead")
	tb.submitConfirmed("重新发送", "重新发送这条通知")
	tb.waitText("已安排重新发送1条通知")
	tb.waitText("没有已放弃的通知")
	tb.screenshot("retried")

	if n := app.dispatch(); n < 1 {
		t.Fatalf("the dispatcher handled %d notices", n)
	}
	got := 0
	for _, d := range app.Fake.Templates() {
		if d.ToUser == openid && d.Data["title"] == "有一条新的群众意见" {
			got++
		}
	}
	if got != 1 {
		t.Errorf("WeChat got the retried notice %d times, want once", got)
	}
	app.dispatch()
	n, err := models.FindNotification(ctx, app.DB, id)
	if err != nil || n.Status != models.NotifySent || n.Attempts != 1 || n.DedupeKey != "opinion:77:new" {
		t.Errorf("after the retry: %+v %v", n, err)
	}
	var audits []models.AuditLog
	if err := app.DB.Where("action = ? AND entity_id = ?", "notification.retry", id).Find(&audits).Error; err != nil || len(audits) != 1 ||
		audits[0].ActorID != app.staff(demoAdmin).ID {
		t.Errorf("audit %+v %v", audits, err)
	}
}

// Ensure the county office adds a clerk whose invite QR is on screen, and
// that scanning it (the official account's SCAN push with the invite as
// scene) binds the clerk's WeChat; the codes page shows the boards.
func TestBrowserInviteClerk(t *testing.T) {
	app := newBrowserApp(t)
	st := app.station(otherStation)
	tb := app.open(desktop)
	tb.signInAs(demoAdmin)
	tb.visit("/console/manage/staff")
	if tb.routeMissing() {
		notBuilt(t, "/console/manage/staff")
	}
	tb.screenshot("list")
	tb.openAction("添加工作人员")
	f := tb.formOf("添加并生成邀请")
	f.fill("name", "王小明")
	f.choose("role", "clerk")
	f.choose("station_ids", strconv.FormatUint(st.ID, 10))
	f.send("添加并生成邀请")
	tb.waitText("请本人用微信扫描下方的邀请二维码")
	tb.waitVisible("#invite-qr")
	tb.screenshot("invite")

	var s models.Staff
	if err := app.DB.Where("name = ?", "王小明").First(&s).Error; err != nil {
		t.Fatal(err)
	}
	var code models.Code
	if err := app.DB.Where("kind = ? AND target_id = ?", models.CodeStaffInvite, s.ID).First(&code).Error; err != nil {
		t.Fatal(err)
	}
	openid := "oNewClerk" + randHex(3)
	app.Fake.Follow(openid)
	if reply := app.pushScan(openid, code.Code); !strings.Contains(reply, "绑定成功") || !strings.Contains(reply, otherStation) {
		t.Errorf("scanning the invite: %q", reply)
	}
	tb.visit("/console/manage/staff/" + strconv.FormatUint(s.ID, 10))
	tb.waitText("已绑定")

	if _, err := models.EnsureCodes(t.Context(), app.DB); err != nil {
		t.Fatal(err)
	}
	tb.visit("/console/manage/codes?station_id=" + strconv.FormatUint(st.ID, 10))
	tb.waitText("打印本站全部公示牌")
	tb.screenshot("codes")

	// The station's boards print with their own style sheet, which the
	// page's CSP allows by its hash (and nothing else).
	tb.visit("/console/manage/boards/" + strconv.FormatUint(st.ID, 10))
	tb.waitText("人大代表公示牌")
	if c := eval[string](tb, `getComputedStyle(document.querySelector('header h1')).color`); c != "rgb(179, 33, 30)" {
		t.Errorf("the board's style was not applied (CSP?): h1 color %q", c)
	}
	if n := eval[int](tb, `document.querySelectorAll('main.board').length`); n < 2 {
		t.Errorf("%d boards for %s", n, otherStation)
	}
	if n := eval[int](tb, `document.querySelectorAll('figure img').length`); n < 4 {
		t.Errorf("%d code images on the boards (the mini-program and official-account codes)", n)
	}
	tb.screenshot("boards")
}
