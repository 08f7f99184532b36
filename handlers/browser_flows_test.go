package handlers_test

// The staff's daily work in a real browser, as the issue lists it: the
// template message's link → sign in inside WeChat → accept → transfer →
// reply; an opinion received offline; checking a voter in at the desk by
// the typed code; a phone call-back; and a clerk who cannot reach another
// station's item. Each step leaves a screenshot (docs/BROWSER-TESTS.md).

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/wechat/wechattest"

	"github.com/chromedp/chromedp"
)

// signInViaWeChat opens link inside WeChat as the person whose
// official-account openid is openid: the console sends the browser to
// WeChat's web authorization (the fake's authorize step, which answers for
// openid), WeChat sends it back with a code, and the console lands on link
// signed in.
func (tb *tab) signInViaWeChat(openid, link string) {
	tb.t.Helper()
	tb.app.Fake.SetAuthorizeOpenID(wechattest.DefaultOAAppID, openid)
	tb.visit(link)
	want, _ := url.Parse(tb.abs(link))
	if at := tb.location(); at.Path != want.Path {
		if tb.routeMissing() {
			notBuilt(tb.t, at.Path)
		}
		tb.t.Fatalf("signing in inside WeChat from %s ended at %s\n%s", link, at, tb.describe())
	}
	if tb.routeMissing() {
		notBuilt(tb.t, want.Path+" (signed in inside WeChat and landed there)")
	}
}

// form is the form that holds a submit button, for filling its fields.
type form struct {
	tb  *tab
	sel string
}

// openAction taps the item page's action whose heading is text (a
// <details> summary), as a clerk does to unfold its form; an action
// already unfolded stays so.
func (tb *tab) openAction(text string) {
	tb.t.Helper()
	sel := "[data-act-" + randHex(4) + "]"
	found := eval[bool](tb, `(() => {
	  const s = [...document.querySelectorAll('details > summary')].find(s => s.innerText.trim() === `+jsString(text)+`);
	  if (!s) return false;
	  if (s.parentElement.open) return "open";
	  s.setAttribute(`+jsString(sel[1:len(sel)-1])+`, "");
	  return true;
	})() !== false`)
	if !found {
		tb.t.Fatalf("no action %q on the page (%s)\n%s", text, tb.dev.name, tb.describe())
	}
	if eval[bool](tb, `document.querySelector(`+jsString(sel)+`) !== null`) {
		tb.click(sel)
	}
}

// formOf finds the form of the visible button with text, unfolding the
// action of the same name first when there is one.
func (tb *tab) formOf(button string) form {
	tb.t.Helper()
	if eval[bool](tb, `[...document.querySelectorAll('details > summary')].some(s => s.innerText.trim() === `+jsString(button)+`)`) {
		tb.openAction(button)
	}
	btn := tb.markByText(button)
	mark := "f" + randHex(4)
	ok := eval[bool](tb, `(() => {
	  const b = document.querySelector(`+jsString(btn)+`);
	  const f = b && (b.form || b.closest('form'));
	  if (!f) return false;
	  f.setAttribute('data-btf', `+jsString(mark)+`);
	  return true;
	})()`)
	if !ok {
		tb.t.Fatalf("the button %q is in no form\n%s", button, tb.describe())
	}
	return form{tb: tb, sel: `form[data-btf="` + mark + `"]`}
}

// fill fills the field named name of the form.
func (f form) fill(name, value string) form {
	f.tb.t.Helper()
	f.tb.fillSel(f.sel+` [name="`+name+`"]`, value)
	return f
}

// choose ticks the radio button or checkbox name=value of the form.
func (f form) choose(name, value string) form {
	f.tb.t.Helper()
	f.tb.click(f.sel + ` [name="` + name + `"][value="` + value + `"]`)
	return f
}

// send submits the form with its button: through the confirmation dialog
// when the form asks for one (data-confirm), and waits for the next page.
func (f form) send(button string) {
	f.tb.t.Helper()
	if eval[bool](f.tb, `document.querySelector(`+jsString(f.sel)+`).hasAttribute('data-confirm')`) {
		f.tb.submitConfirmed(button, "")
		return
	}
	f.tb.submit(button)
}

// fillSel is fill for a field found by a CSS selector.
func (tb *tab) fillSel(sel, value string) {
	tb.t.Helper()
	tag := eval[string](tb, `(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.tagName : ""; })()`)
	switch tag {
	case "":
		tb.t.Fatalf("no form field %s\n%s", sel, tb.describe())
	case "SELECT":
		ok := eval[bool](tb, `(() => {
		  const s = document.querySelector(`+jsString(sel)+`), want = `+jsString(value)+`;
		  const o = [...s.options].find(o => o.value === want || o.text.trim() === want || o.text.includes(want));
		  if (!o) return false;
		  s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true}));
		  return true;
		})()`)
		if !ok {
			tb.t.Fatalf("%s has no option %q\n%s", sel, value, tb.describe())
		}
	default:
		// Emptied by script: chromedp.Clear fails on an empty textarea.
		eval[bool](tb, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.value = ""; return true; })()`)
		tb.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), value, chromedp.NodeVisible))
	}
}

// itemID is the id of the item page the tab shows (/console/opinions/<id>).
func (tb *tab) itemID() uint64 {
	tb.t.Helper()
	m := regexp.MustCompile(`^/console/opinions/(\d+)$`).FindStringSubmatch(tb.location().Path)
	if m == nil {
		tb.t.Fatalf("not on an item page\n%s", tb.describe())
	}
	id, _ := strconv.ParseUint(m[1], 10, 64)
	return id
}

// opinionStatus reads an item's status from the database.
func (a *browserApp) opinionStatus(id uint64) models.OpinionStatus {
	a.t.Helper()
	var op models.Opinion
	if err := a.DB.First(&op, id).Error; err != nil {
		a.t.Fatal(err)
	}
	return op.Status
}

// receptionNow makes the station's next reception day run today, from
// half an hour ago (check-in is open), and returns its id and first slot.
func (a *browserApp) receptionNow(station string) (dayID, slotID uint64) {
	a.t.Helper()
	st := a.station(station)
	now := time.Now()
	today := now.In(a.Loc).Format(models.DateLayout)
	var d models.ReceptionDay
	err := a.DB.Where("station_id = ? AND date = ?", st.ID, today).Limit(1).Find(&d).Error
	if err == nil && d.ID == 0 {
		err = a.DB.Where("station_id = ? AND status = ?", st.ID, models.DayOpen).Order("date").First(&d).Error
	}
	if err != nil {
		a.t.Fatalf("a reception day of %s: %v", station, err)
	}
	start := now.Add(-30 * time.Minute).Truncate(time.Minute)
	err = a.DB.Model(&models.ReceptionDay{}).Where("id = ?", d.ID).Updates(map[string]any{
		"date": today, "status": models.DayOpen, "starts_at": start, "ends_at": start.Add(4 * time.Hour),
		"booking_opens_at": now.AddDate(0, 0, -7), "booking_closes_at": start.Add(3 * time.Hour),
	}).Error
	if err != nil {
		a.t.Fatal(err)
	}
	var slots []models.Slot
	if err := a.DB.Where("day_id = ?", d.ID).Order("seq").Find(&slots).Error; err != nil || len(slots) == 0 {
		a.t.Fatalf("slots of day %d: %d %v", d.ID, len(slots), err)
	}
	for i, s := range slots {
		from := start.Add(time.Duration(i) * time.Hour)
		if err := a.DB.Model(&models.Slot{}).Where("id = ?", s.ID).Updates(map[string]any{"start_at": from, "end_at": from.Add(time.Hour)}).Error; err != nil {
			a.t.Fatal(err)
		}
	}
	return d.ID, slots[0].ID
}

// bookNow books the slot for a new voter and returns the check-in code
// the voter reads out at the desk.
func (a *browserApp) bookNow(slotID uint64, topic string) string {
	a.t.Helper()
	mp := "oVoterDesk" + randHex(4)
	v := models.Voter{MPOpenID: &mp}
	if err := a.DB.Create(&v).Error; err != nil {
		a.t.Fatal(err)
	}
	b, _, err := models.BookSlot(a.t.Context(), a.DB, v.ID, slotID, topic, time.Now())
	if err != nil {
		a.t.Fatalf("book slot %d: %v", slotID, err)
	}
	return b.CheckinCode
}

// Ensure the whole loop of a clerk's day starts in WeChat: a voter files,
// the clerk's template message links to the item, tapping it inside WeChat
// signs the clerk in on that item, and the clerk accepts, transfers and
// replies through the item's forms, each after a confirmation.
func TestBrowserTemplateLinkToReply(t *testing.T) {
	app := newBrowserApp(t)
	openid := app.bindOpenID(demoClerk)
	id, no := app.fileOpinion("oVoterLamp", demoStation, "城关镇老街东口的路灯坏了一个多月，晚上走路很不安全，请尽快修好。")
	if n := app.dispatch(); n == 0 {
		t.Fatal("no template message went out")
	}
	links := app.templateLinks(openid)
	want := fmt.Sprintf("%s/console/opinions/%d", app.URL, id)
	if len(links) != 1 || links[0] != want {
		t.Fatalf("the clerk's template links %v, want [%s]", links, want)
	}

	tb := app.open(inWeChat)
	tb.signInViaWeChat(openid, links[0])
	tb.waitText(no)
	tb.screenshot("item")

	tb.formOf("受理").fill("note", "已联系城管中队核实。").send("受理")
	tb.waitText("已受理")
	tb.screenshot("accepted")

	tb.formOf("转办").fill("department_id", "县住建局").fill("note", "请住建局安排维修。").send("转办")
	tb.waitText("已转办")
	tb.screenshot("transferred")

	tb.formOf("答复").fill("text", "路灯已于本周修复，感谢您的反映。").send("答复")
	tb.waitText("已答复")
	tb.screenshot("replied")
	if s := app.opinionStatus(id); s != models.OpinionReplied {
		t.Errorf("the item is %s after the reply, want %s", s, models.OpinionReplied)
	}
}

// Ensure a clerk enters an opinion received by letter, with the writer's
// name and phone, and lands on the new item; the phone shows masked.
func TestBrowserOfflineOpinion(t *testing.T) {
	app := newBrowserApp(t)
	tb := app.open(desktop)
	tb.signInAs(demoClerk)
	tb.visit("/console/opinions/new")
	if tb.routeMissing() {
		notBuilt(t, "/console/opinions/new")
	}
	tb.screenshot("form")
	f := tb.formOf("登记")
	f.choose("channel", "letter")
	f.fill("category", "生活服务")
	f.fill("content", "来信反映：城关镇菜市场周边早市占道经营，早上车辆无法通行。")
	f.fill("contact_name", "王大伯")
	f.fill("contact_phone", "13800138000")
	f.send("登记")
	tb.waitText("已登记")
	id := tb.itemID()
	text := tb.pageText()
	for _, want := range []string{"来信", "王大伯", "138****8000"} {
		if !strings.Contains(text, want) {
			t.Errorf("the new item does not show %q", want)
		}
	}
	if strings.Contains(text, "13800138000") {
		t.Error("the item shows the full phone number before it is revealed")
	}
	tb.screenshot("entered")
	var op models.Opinion
	if err := app.DB.First(&op, id).Error; err != nil || op.Source != "letter" || op.VoterID != 0 {
		t.Errorf("stored %+v (%v)", op, err)
	}
}

// Ensure a voter is checked in at the desk by the code typed by the clerk.
func TestBrowserDeskCheckIn(t *testing.T) {
	app := newBrowserApp(t)
	dayID, slotID := app.receptionNow(demoStation)
	code := app.bookNow(slotID, "老旧小区加装电梯")
	tb := app.open(phone)
	tb.signInAs(demoClerk)
	tb.visit(fmt.Sprintf("/console/desk/%d", dayID))
	if tb.routeMissing() {
		notBuilt(t, "/console/desk/:day")
	}
	tb.screenshot("desk")
	tb.formOf("签到").fill("code", code).send("签到")
	tb.waitText("已签到")
	tb.screenshot("checked-in")
	var b models.Booking
	if err := app.DB.Where("checkin_code = ? AND day_id = ?", code, dayID).First(&b).Error; err != nil || b.Status != models.BookingCheckedIn {
		t.Errorf("booking %+v (%v), want checked in", b, err)
	}
}

// Ensure staff record a phone call-back of a replied item with the
// person's answers, marked as by phone.
func TestBrowserPhoneCallback(t *testing.T) {
	app := newBrowserApp(t)
	id, _ := app.fileOpinion("oVoterCall", demoStation, "城关镇中心小学门口上下学时段交通拥堵，希望增派交警疏导。")
	tb := app.open(desktop)
	tb.signInAs(demoClerk)
	tb.visit(fmt.Sprintf("/console/opinions/%d", id))
	if tb.routeMissing() {
		notBuilt(t, "/console/opinions/:id")
	}
	tb.formOf("受理").send("受理")
	tb.waitText("已受理")
	tb.formOf("答复").fill("text", "已协调交警中队在上下学时段定点执勤。").send("答复")
	tb.waitText("已答复")
	tb.openAction("电话回访")
	f := tb.formOf("记录回访")
	f.choose("reply_score", models.ScoreSatisfied)
	f.choose("result_score", models.ScoreSatisfied)
	f.fill("note", "电话回访：家长表示满意。")
	f.send("记录回访")
	tb.waitText("已记录电话回访")
	if !strings.Contains(tb.pageText(), "电话") {
		t.Error("the item does not show the call-back as by phone")
	}
	tb.screenshot("called-back")
}

// Ensure a clerk of another station cannot reach an item: its page is the
// 404 page in Chinese, and the inbox does not list it.
func TestBrowserOtherStationItem(t *testing.T) {
	app := newBrowserApp(t)
	id, no := app.fileOpinion("oVoterOther", demoStation, "城关镇公园健身器材损坏，老人锻炼不方便，请维修。")
	tb := app.open(phone)
	tb.signInAs(demoOtherClerk)
	res := tb.visit(fmt.Sprintf("/console/opinions/%d", id))
	if tb.routeMissing() {
		notBuilt(t, "/console/opinions/:id")
	}
	if res.Status != 404 || !strings.Contains(tb.pageText(), "没有找到") {
		t.Errorf("another station's item answered %d:\n%s", res.Status, tb.describe())
	}
	if strings.Contains(tb.pageText(), no) {
		t.Error("the 404 page shows the item's tracking number")
	}
	tb.screenshot("not-found")
	tb.visit("/console/opinions")
	if strings.Contains(tb.pageText(), no) {
		t.Errorf("the other station's clerk's inbox lists %s", no)
	}
	tb.screenshot("inbox")
}
