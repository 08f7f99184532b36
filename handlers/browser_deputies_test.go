package handlers_test

import (
	"strconv"
	"testing"

	"deputylink/models"
)

// The county office manages its deputies in a real browser: finds one by
// name, moves them to another station, and adds a new deputy, whose form,
// refused for a term that ends before it starts, keeps what was typed
// until it is fixed. Screenshots on the desk and on a phone.
func TestBrowserManageDeputies(t *testing.T) {
	app := newBrowserApp(t)
	tb := app.open(desktop)
	tb.signInAs("项海燕")
	tb.visit("/console/manage/deputies")
	tb.waitText("共 60 位代表")
	tb.screenshot("list")
	tb.formOf("查找").fill("q", "王桂英").send("查找")
	tb.waitText("共 1 位代表")
	var wang models.Deputy
	if err := app.DB.Where("name = ?", "王桂英").First(&wang).Error; err != nil {
		t.Fatal(err)
	}
	tb.click("a.deputy-row")
	tb.waitPath("/console/manage/deputies/" + strconv.FormatUint(wang.ID, 10))
	tb.waitText("主要联络站")
	tb.openAction("换站（更换主要联络站）")
	tb.formOf("换站").fill("station_id", "西街社区代表联络站").send("换站")
	tb.waitText("王桂英代表已换到西街社区代表联络站")
	tb.screenshot("moved")
	var d models.Deputy
	if err := app.DB.Where("name = ?", "王桂英").First(&d).Error; err != nil || d.StationID != app.station("西街社区代表联络站").ID {
		t.Fatalf("not moved: %+v %v", d, err)
	}

	ph := app.open(phone)
	ph.signInAs("项海燕")
	ph.visit("/console/manage/deputies/new")
	ph.waitText("添加代表")
	eval[bool](ph, `(() => { document.querySelectorAll('details.pick').forEach(d => d.open = true); return true; })()`)
	f := ph.formOf("添加代表").fill("name", "林晓雯").fill("level", "县人大代表").fill("station_id", "东门社区代表联络站").
		fill("term", "第十八届").fill("duties", "东门社区党委书记").fill("pledge", "每月到站接待一次选民，件件有回音。").
		pickDate("term_start", "2027-01-01").pickDate("term_end", "2026-12-31")
	f.choose("community_ids", idOfCommunity(t, app, "东门社区"))
	f.send("添加代表")
	ph.waitText("任期结束日期不能早于开始日期")
	if got := eval[string](ph, `document.querySelector('textarea[name=pledge]').value`); got != "每月到站接待一次选民，件件有回音。" {
		t.Errorf("the refused form lost what was typed")
	}
	ph.screenshot("refused")
	ph.formOf("添加代表").pickDate("term_start", "2022-01-01").send("添加代表")
	ph.waitText("已添加林晓雯代表")
	ph.screenshot("added")
}

func idOfCommunity(t *testing.T, app *browserApp, name string) string {
	t.Helper()
	var c models.Community
	if err := app.DB.Where("name = ?", name).First(&c).Error; err != nil {
		t.Fatal(err)
	}
	return strconv.FormatUint(c.ID, 10)
}

// pickDate sets the date field name of the form as the browser's date
// picker does (typing into a date field depends on the browser's locale).
func (f form) pickDate(name, value string) form {
	f.tb.t.Helper()
	sel := f.sel + ` [name="` + name + `"]`
	if !eval[bool](f.tb, `(() => { const e = document.querySelector(`+jsString(sel)+`); if (!e) return false;
	  e.value = `+jsString(value)+`; e.dispatchEvent(new Event('change', {bubbles: true})); return e.value === `+jsString(value)+`; })()`) {
		f.tb.t.Fatalf("no date field %s\n%s", sel, f.tb.describe())
	}
	return f
}
