package handlers_test

import (
	"strconv"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/records"
)

// A clerk of 东门 reviews the deputies' entries at the desk: ticks two
// and approves them, then ticks the third, and rejects it with a reason
// after being told a reason is needed. Screenshots of the queue, the
// confirmations and the deputy's record.
func TestBrowserRecordsReviewQueue(t *testing.T) {
	app := newBrowserApp(t)
	east := app.station("东门社区代表联络站")
	var deps []models.Deputy
	if err := app.DB.Where("station_id = ? AND status = ? AND level IN ?", east.ID, models.DeputyActive,
		[]models.Level{models.LevelCounty, models.LevelTownship}).Order("id").Limit(2).Find(&deps).Error; err != nil || len(deps) < 2 {
		t.Fatalf("deputies of 东门: %v %v", deps, err)
	}
	now := time.Now()
	day := func(n int) string { return now.AddDate(0, 0, -n).In(app.Loc).Format(models.DateLayout) }
	add := func(dep models.Deputy, typ models.ActivityType, date, title, desc string) models.Activity {
		a, err := records.AddDeputyActivity(t.Context(), app.DB, dep.ID, records.ActivityInput{Type: typ, Date: date,
			Title: title, Description: desc, Loc: app.Loc}, now)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a1 := add(deps[0], models.ActVisit, day(3), "走访东门社区独居老人", "走访5户独居老人，了解冬季取暖情况，收集意见2条。")
	a2 := add(deps[0], models.ActInspection, day(6), "参加县人大常委会安全生产视察", "视察了三家企业的消防设施。")
	a3 := add(deps[1], models.ActStudy, day(9), "参加代表履职培训", "")

	tb := app.open(desktop)
	tb.signInAs("章佳怡")
	tb.visit("/console/records")
	tb.waitText("走访东门社区独居老人")
	tb.screenshot("queue")
	tb.click(`input[name=ids][value="` + strconv.FormatUint(a1.ID, 10) + `"]`)
	tb.click(`input[name=ids][value="` + strconv.FormatUint(a2.ID, 10) + `"]`)
	tb.submitConfirmed("批量通过", "通过")
	tb.waitText("已通过2条记录")
	tb.screenshot("approved")

	tb.click(`input[name=ids][value="` + strconv.FormatUint(a3.ID, 10) + `"]`)
	tb.submitConfirmed("批量退回", "退回")
	tb.waitText("退回时请写明原因")
	tb.screenshot("needs-reason")
	tb.formOf("批量退回").fill("reason", "请补充培训签到表或结业证书照片")
	tb.submitConfirmed("批量退回", "退回")
	tb.waitText("已退回1条记录")
	tb.waitText("没有待审核的履职记录")

	for id, want := range map[uint64]models.ActivityStatus{a1.ID: models.ActivityApproved, a2.ID: models.ActivityApproved, a3.ID: models.ActivityRejected} {
		var a models.Activity
		if err := app.DB.First(&a, id).Error; err != nil || a.Status != want {
			t.Errorf("entry %d: %s, want %s (%v)", id, a.Status, want, err)
		}
	}
	tb.visit("/console/records/deputy/" + strconv.FormatUint(deps[1].ID, 10))
	tb.waitText("退回原因：请补充培训签到表或结业证书照片")
	tb.screenshot("record")
}
