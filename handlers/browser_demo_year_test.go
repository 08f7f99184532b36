package handlers_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/records"
)

// Ensure the demo county's year of records reads as a new user sees it:
// the office's evaluation by bands with a 样本不足 deputy, one deputy's
// sheet, the review queue with the demo's pending entries, and a deputy's
// own record in WeChat, whose counts equal the model's. The README's
// screenshots of the records come from this test.
func TestBrowserDemoYear(t *testing.T) {
	app := newBrowserApp(t)
	now := time.Now()
	if _, err := models.LoadDemoRecords(t.Context(), app.DB, now, app.Loc); err != nil {
		t.Fatal(err)
	}
	var ev models.Evaluation
	if err := app.DB.Where("year = ? AND level = ? AND township = ''", now.In(app.Loc).Year(), models.LevelCounty).First(&ev).Error; err != nil {
		t.Fatalf("the demo has no county evaluation this year: %v", err)
	}

	tb := app.open(desktop)
	tb.signInAs(demoAdmin)
	tb.visit(fmt.Sprintf("/console/eval/%d", ev.ID))
	tb.waitText("较好")
	if txt := tb.pageText(); !strings.Contains(txt, "样本不足") || !strings.Contains(txt, "按在任月数折算") {
		t.Errorf("the evaluation page lacks the bands' explanation or the 样本不足 deputy:\n%s", txt)
	}
	tb.screenshot("evaluation")

	sheets, err := records.EvaluationSheets(t.Context(), app.DB, ev.ID)
	if err != nil || len(sheets) == 0 {
		t.Fatalf("sheets: %d, %v", len(sheets), err)
	}
	one := sheets[0]
	tb.visit(fmt.Sprintf("/console/eval/%d/deputies/%d", ev.ID, one.Deputy.ID))
	tb.waitText(one.Deputy.Name)
	tb.screenshot("sheet")

	tb.visit("/console/records")
	tb.waitText("待审核")
	tb.screenshot("review-queue")

	// A deputy with records signs in inside WeChat and reads their own.
	var dep models.Deputy
	if err := app.DB.Where("id = ?", one.Deputy.ID).First(&dep).Error; err != nil {
		t.Fatal(err)
	}
	openid := "oDemoDeputy" + randHex(4)
	if err := app.DB.Model(&models.Deputy{}).Where("id = ?", dep.ID).Update("oa_openid", openid).Error; err != nil {
		t.Fatal(err)
	}
	rec, err := records.DeputyRecord(t.Context(), app.DB, dep.ID, now.In(app.Loc).Year(), app.Loc)
	if err != nil || rec.Approved == 0 {
		t.Fatalf("the demo deputy's record: %+v, %v", rec.Approved, err)
	}
	me := app.open(inWeChat)
	me.signInViaWeChat(openid, "/console/me")
	me.waitText("登记履职活动")
	txt := me.pageText()
	for _, c := range rec.Counts {
		if c.Count > 0 && !strings.Contains(txt, c.Label) {
			t.Errorf("the deputy's page does not show %s", c.Label)
		}
	}
	if !strings.Contains(txt, strconv.Itoa(rec.Approved)) {
		t.Errorf("the deputy's page does not show the %d approved entries:\n%s", rec.Approved, txt)
	}
	me.screenshot("deputy-record")
}
