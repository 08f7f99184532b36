package handlers_test

import (
	"strconv"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/records"
)

// A deputy's sheet: the county office opens the year's evaluation of the
// county deputies in a real browser, reads the bands table (no ranks
// until asked for), shows the ranks, and opens one deputy's sheet and its
// printable A4 page. Screenshots on the desk and on a phone.
func TestBrowserEvaluation(t *testing.T) {
	app := newBrowserApp(t)
	year := time.Now().In(app.Loc).Year()
	y := strconv.Itoa(year)
	deputy := func(name string) models.Deputy {
		var d models.Deputy
		if err := app.DB.Where("name = ?", name).First(&d).Error; err != nil {
			t.Fatal(err)
		}
		return d
	}
	acts := func(name string, typ models.ActivityType, date string, n int) {
		d := deputy(name)
		for i := 0; i < n; i++ {
			if err := app.DB.Create(&models.Activity{DeputyID: d.ID, Type: typ, Date: y + "-" + date, Title: typ.Label(),
				Description: "演示", Source: models.SourceStaff, Status: models.ActivityApproved}).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	acts("张海明", models.ActMeeting, "03-02", 12)
	acts("张海明", models.ActReception, "05-10", 3)
	acts("张海明", models.ActProposal, "06-01", 2)
	if err := app.DB.Model(&models.Deputy{}).Where("name = ?", "王桂英").Update("term_start", y+"-07-01").Error; err != nil {
		t.Fatal(err)
	}
	acts("王桂英", models.ActReception, "08-01", 5)
	acts("王桂英", models.ActInspection, "09-01", 4)
	acts("王桂英", models.ActContact, "10-01", 5)
	if err := app.DB.Model(&models.Deputy{}).Where("name = ?", "李文涛").Update("term_start", y+"-10-01").Error; err != nil {
		t.Fatal(err)
	}
	acts("李文涛", models.ActInspection, "10-08", 3)
	acts("赵春燕", models.ActStudy, "04-01", 2)

	tb := app.open(desktop)
	tb.signInAs("项海燕")
	tb.visit("/console/manage")
	tb.click(`a.manage-card[href="/console/eval"]`)
	tb.waitPath("/console/eval")
	tb.waitText("还没有建立考评")
	tb.formOf("建立考评").send("建立考评")
	tb.waitText("已建立" + y + "年度县人大代表履职考评")
	tb.waitText("按在任月数折算，避免任期不同造成的不公平")
	if eval[bool](tb, `[...document.querySelectorAll('#eval-table th')].some(th => th.innerText.trim() === '排名')`) {
		t.Fatal("the default view shows ranks")
	}
	if got := eval[string](tb, `[...document.querySelectorAll('#eval-table tr')].find(r => r.innerText.includes('王桂英')).querySelector('.band').innerText`); got != "较好" {
		t.Fatalf("王桂英 (joined in July) is %q", got)
	}
	if got := eval[string](tb, `[...document.querySelectorAll('#eval-table tr')].find(r => r.innerText.includes('李文涛')).querySelector('.band').innerText`); got != "样本不足" {
		t.Fatalf("李文涛 (3 months) is %q", got)
	}
	tb.screenshot("bands")
	evID := func() uint64 {
		var ev models.Evaluation
		if err := app.DB.Where("year = ? AND level = ?", year, models.LevelCounty).First(&ev).Error; err != nil {
			t.Fatal(err)
		}
		return ev.ID
	}
	tb.click("#show-rank")
	tb.waitPath("/console/eval/" + strconv.FormatUint(evID(), 10))
	tb.waitText("排名仅供工作参考")
	tb.screenshot("ranks")
	zhang := deputy("张海明")
	ev := models.Evaluation{ID: evID()}
	sheet, err := records.EvaluationSheet(t.Context(), app.DB, ev.ID, zhang.ID)
	if err != nil {
		t.Fatal(err)
	}
	tb.click(`#eval-table a[href$="/deputies/` + strconv.FormatUint(zhang.ID, 10) + `"]`)
	sheetPath := "/console/eval/" + strconv.FormatUint(ev.ID, 10) + "/deputies/" + strconv.FormatUint(zhang.ID, 10)
	tb.waitPath(sheetPath)
	tb.waitText("张海明 · " + y + "年度县人大代表履职考评")
	// Meetings capped at 20, receptions 9, proposals 6 (and whatever the
	// demo's own records add).
	if got := tb.text("#sheet-total"); got != records.PointsText(sheet.Total) || sheet.Total < 34 {
		t.Fatalf("张海明's total %q, the sheet says %v", got, sheet.Total)
	}
	tb.waitText("待述职评议后填写")
	tb.screenshot("sheet")
	tb.click("#enter-self")
	tb.waitPath(sheetPath + "/self")
	tb.waitText("自评等次")
	tb.formOf("保存自评").choose("grade", "称职").fill("text", "全年出席县人大常委会组织的会议12次，到站接待选民3次，提出建议2件。").send("保存自评")
	tb.waitText("已保存张海明的自评")
	tb.waitText("自评等次：称职")
	tb.click("#print-sheet")
	tb.waitPath(sheetPath + "/print")
	tb.waitText("张海明代表履职档案")
	tb.waitText("代表签字")
	tb.screenshot("print")

	ph := app.open(phone)
	ph.signInAs("项海燕")
	ph.visit("/console/eval")
	ph.click(`.eval-list a`)
	ph.waitPath("/console/eval/" + strconv.FormatUint(ev.ID, 10))
	ph.waitText("按在任月数折算")
	ph.screenshot("bands-phone")
}
