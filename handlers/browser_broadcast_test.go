package handlers_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/broadcasts"
)

// TestBrowserDeputySignsUpForTraining: the county office writes a training
// notice on a phone, to the deputies of one station, sees how many it
// reaches and confirms; the outbox delivers the notice to the fake WeChat;
// a deputy taps its link inside WeChat, lands signed in on the article
// (web authorization), reads it and taps 我要报名; the office's article
// page then shows 1 read and 1 signed up.
func TestBrowserDeputySignsUpForTraining(t *testing.T) {
	app := newBrowserApp(t)
	ctx := t.Context()
	st := app.station(demoStation)
	var dep models.Deputy
	if err := app.DB.Where("status = ? AND station_id = ? AND oa_openid IS NULL", models.DeputyActive, st.ID).Order("id").First(&dep).Error; err != nil {
		t.Fatal(err)
	}
	openid := app.bindDeputy(dep)

	office := app.open(phone)
	office.signInAs(demoAdmin)
	office.visit("/console/broadcasts")
	if office.routeMissing() {
		notBuilt(t, "/console/broadcasts")
	}
	office.waitText("还没有发布过文章")
	office.clickText("发布新文章")
	office.waitPath("/console/broadcasts/new")
	session := time.Now().In(app.Loc).AddDate(0, 0, 7)
	session = time.Date(session.Year(), session.Month(), session.Day(), 14, 30, 0, 0, app.Loc)
	until := session.AddDate(0, 0, -2).Add(4 * time.Hour) // 18:30, two days before
	title := "关于举办代表履职能力培训班的通知"
	f := office.formOf("发送")
	f.choose("kind", "training").fill("title", title).
		fill("body", "各位代表：\n\n为提高代表依法履职能力，县人大常委会定于下周举办代表履职能力培训班，学习代表法和代表建议的提出与办理。\n\n请各位代表按时参加，不能参加的请提前报告。").
		fill("session_place", "县人大常委会三楼会议室")
	office.setValue(f.sel+` [name="session_at"]`, session.Format("2006-01-02T15:04"))
	office.setValue(f.sel+` [name="signup_until"]`, until.Format("2006-01-02T15:04"))
	f.choose("audience", "stations").choose("station_ids", strconv.FormatUint(st.ID, 10))
	var n int64
	app.DB.Model(&models.Deputy{}).Where("status = ? AND (station_id = ? OR id IN (?))", models.DeputyActive, st.ID,
		app.DB.Table("deputy_stations").Select("deputy_id").Where("station_id = ?", st.ID)).Count(&n)
	reach := "将发给 " + strconv.FormatInt(n, 10) + " 位代表"
	office.waitText(reach)
	office.screenshot("new-article")
	office.submitConfirmed("发送", strconv.FormatInt(n, 10)+" 位代表")
	office.waitText("已发送给" + strconv.FormatInt(n, 10) + "位代表")
	office.waitText(title)
	path := office.location().Path
	id, err := strconv.ParseUint(strings.TrimPrefix(path, "/console/broadcasts/"), 10, 64)
	if err != nil {
		t.Fatalf("after sending: at %s", path)
	}

	if sent := app.dispatch(); sent < 1 {
		t.Fatalf("the dispatcher sent %d notices", sent)
	}
	links := app.templateLinks(openid)
	want := app.URL + "/console/me/broadcasts/" + strconv.FormatUint(id, 10)
	if len(links) != 1 || links[0] != want {
		t.Fatalf("the deputy's notices link %v, want [%s]", links, want)
	}
	for _, d := range app.Fake.Templates() {
		if d.ToUser == openid && (d.Data["thing1"] != "您有一条培训通知" || strings.Contains(strings.Join(mapValues(d.Data), " "), "培训班")) {
			t.Errorf("the notice says %v: want its fixed title and no word of the article", d.Data)
		}
	}

	tb := app.open(inWeChat)
	tb.signInViaWeChat(openid, links[0])
	tb.waitText(title)
	tb.waitText("我要报名")
	if txt := tb.pageText(); !strings.Contains(txt, models.DateText(session, app.Loc)+"（"+models.WeekdayText(session, app.Loc)+"）14:30") ||
		!strings.Contains(txt, "县人大常委会三楼会议室") || !strings.Contains(txt, models.DateTimeText(until, app.Loc)) {
		t.Errorf("the training's time, place or deadline is missing:\n%s", txt)
	}
	if px := eval[string](tb, `getComputedStyle(document.querySelector('.bc-body p')).fontSize`); px != "19px" {
		t.Errorf("the article's text is %s, want the large 19px", px)
	}
	tb.screenshot("deputy-article")
	tb.submit("我要报名")
	tb.waitText("报名成功")
	if got := tb.text("#bc-state"); !strings.HasPrefix(got, "已报名") {
		t.Errorf("after signing up the page says %q", got)
	}
	tb.waitText("取消报名")
	tb.screenshot("deputy-signed-up")
	tb.click("a[href='/console/me/broadcasts']")
	tb.waitPath("/console/me/broadcasts")
	if got := tb.text("#bc-me-list li"); !strings.Contains(got, title) || !strings.Contains(got, "已报名") {
		t.Errorf("the deputy's list says %q", got)
	}
	tb.screenshot("deputy-list")
	tb.visit("/console/me")
	tb.waitVisible("#me-broadcasts")
	tb.screenshot("deputy-home")

	office.visit(path)
	office.waitText(title)
	stats := office.text("#bc-stats")
	for _, w := range []string{"1\n已读", "1\n已报名"} {
		if !strings.Contains(stats, w) {
			t.Errorf("the office's figures %q lack %q", stats, w)
		}
	}
	if row := office.text(`tr[data-deputy="` + strconv.FormatUint(dep.ID, 10) + `"]`); !strings.Contains(row, dep.Name) ||
		strings.Contains(row, "未读") {
		t.Errorf("the deputy's row: %q", row)
	}
	office.screenshot("office-article")
	desk := app.open(desktop)
	desk.signInAs(demoAdmin)
	desk.visit(path)
	desk.waitText(title)
	desk.screenshot("office-article")
	office.visit("/console/broadcasts")
	office.waitText(title)
	if got := office.text(".bc-row .bc-figures"); !strings.Contains(got, "已读 1") || !strings.Contains(got, "报名 1") {
		t.Errorf("the office's list says %q", got)
	}
	office.screenshot("office-list")

	// A training starting in a few minutes takes the check-in on its page
	// (not when that is already tomorrow: the check-in opens on the
	// session's day).
	start := time.Now().Add(3 * time.Minute)
	if start.In(app.Loc).YearDay() != time.Now().In(app.Loc).YearDay() {
		t.Log("too close to midnight for a session today; the check-in is not shown")
		return
	}
	sc, err := models.ManageScopeOf(app.staff(demoAdmin))
	if err != nil {
		t.Fatal(err)
	}
	now, err := broadcasts.Create(ctx, app.DB, sc, broadcasts.NewBroadcast{Kind: models.BroadcastTraining, Title: "代表建议撰写专题辅导",
		Body: "今天下午在县人大常委会三楼会议室辅导。", Audience: models.AudienceStations, StationIDs: []uint64{st.ID},
		SessionAt: start, SessionPlace: "县人大常委会三楼会议室"}, models.NotifyConfig{Location: app.Loc}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	office.visit("/console/broadcasts/" + strconv.FormatUint(now.Broadcast.ID, 10))
	office.waitVisible("#attend-save")
	office.click(`input[name="deputy_ids"][value="` + strconv.FormatUint(dep.ID, 10) + `"]`)
	office.screenshot("office-check-in")
	office.submitConfirmed("登记签到", "计入代表的履职档案")
	office.waitText("已登记1位代表签到")
	office.waitText("撤销")
	office.screenshot("office-checked-in")
}

// setValue sets a form field's value by script, as a date-time picker
// does (typed keys go to its parts one by one).
func (tb *tab) setValue(sel, value string) {
	tb.t.Helper()
	if !eval[bool](tb, `(() => { const e = document.querySelector(`+jsString(sel)+`); if (!e) return false;
	  e.value = `+jsString(value)+`; e.dispatchEvent(new Event('change', {bubbles: true})); return e.value === `+jsString(value)+`; })()`) {
		tb.t.Fatalf("could not set %s to %q\n%s", sel, value, tb.describe())
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
