package handlers_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

// Ensure a clerk publishes a closed item's result from a phone, as the
// demo year leaves them: the item page unfolds 公开办理结果, a result with a
// phone number is refused in Chinese with the text kept, the corrected one
// is published after the confirmation and shows as 已公开 with its
// timeline line; the list of public results has it, and withdrawing there
// takes it out of the mini-program's list.
func TestBrowserPublishResult(t *testing.T) {
	app := newBrowserApp(t)
	ctx := t.Context()
	if _, err := models.LoadDemoResults(ctx, app.DB, time.Now(), app.Loc); err != nil {
		t.Fatal(err)
	}
	st := app.station(demoStation)
	var op models.Opinion
	err := app.DB.Where("station_id = ? AND status = ? AND id NOT IN (SELECT opinion_id FROM opinion_publications)", st.ID, models.OpinionClosed).
		Order("id DESC").First(&op).Error
	if err != nil {
		t.Fatalf("no closed, unpublished demo item at %s: %v", demoStation, err)
	}

	tb := app.open(phone)
	tb.signInAs(demoClerk)
	tb.visit("/console/opinions/" + strconv.FormatUint(op.ID, 10))
	tb.waitText("办理结果公开")
	f := tb.formOf("公开办理结果")
	f.fill("summary", "小区门口道路坑洼不平，雨天积水。")
	f.fill("result", "已修补路面，如有问题请拨打13800138000。")
	tb.screenshot("form")
	f.send("公开办理结果")
	tb.waitText("公开内容不能包含电话号码")
	if v := eval[string](tb, `document.querySelector('[name=summary]').value`); v != "小区门口道路坑洼不平，雨天积水。" {
		t.Errorf("the refused form lost the summary: %q", v)
	}
	tb.screenshot("refused")

	f = tb.formOf("公开办理结果")
	f.fill("result", "镇政府组织修补路面约40平方米，疏通雨水口两处。")
	f.send("公开办理结果")
	tb.waitText("已公开办理结果")
	tb.waitVisible("#pub-live")
	if !strings.Contains(tb.text("#timeline"), "办理结果已在“办理结果公开”中发布") {
		t.Errorf("timeline: %s", tb.text("#timeline"))
	}
	tb.screenshot("published")

	var list struct{ Items []models.PublicResult }
	app.call("GET", "/api/v1/results?station_id="+strconv.FormatUint(st.ID, 10), "", "", 200, &list)
	if len(list.Items) == 0 || list.Items[0].Summary != "小区门口道路坑洼不平，雨天积水。" {
		t.Fatalf("the mini-program's list: %+v", list.Items)
	}

	tb.visit("/console/publications")
	tb.waitText(op.TrackingNo)
	tb.screenshot("list")
	tb.submitConfirmed("撤回公开", "撤回")
	tb.waitText("已撤回公开")
	list.Items = nil
	app.call("GET", "/api/v1/results?station_id="+strconv.FormatUint(st.ID, 10), "", "", 200, &list)
	for _, it := range list.Items {
		if it.Summary == "小区门口道路坑洼不平，雨天积水。" {
			t.Errorf("withdrawn result still public: %+v", it)
		}
	}
	tb.screenshot("withdrawn")
}
