package console_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"deputylink/models"
	"deputylink/models/records"

	"github.com/xuri/excelize/v2"
)

// evalActs adds approved activities of a type for a deputy.
func (e *depEnv) evalActs(name string, typ models.ActivityType, date string, n int) {
	e.t.Helper()
	d := e.deputy(name)
	for i := 0; i < n; i++ {
		must(e.t, e.db.Create(&models.Activity{DeputyID: d.ID, Type: typ, Date: date, Title: typ.Label(), Description: "测试",
			Source: models.SourceStaff, Status: models.ActivityApproved}).Error)
	}
}

func (e *depEnv) evalID(level models.Level) uint64 {
	e.t.Helper()
	var ev models.Evaluation
	must(e.t, e.db.Where("level = ?", level).First(&ev).Error)
	return ev.ID
}

func evalPath(id uint64) string { return "/console/eval/" + idStr(id) }

// Ensure who reaches the evaluation: clerks and heads get the 403 page; a
// township user creates only its township's evaluation and sees neither
// the county's nor its sheets (404); the county office sees both.
func TestEvalPagesAccess(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	admin, town := e.browser("admin"), e.browser("town_cg")
	for _, u := range []string{"clerk_e", "head_e"} {
		b := e.browser(u)
		if st, _ := b.get("/console/eval"); st != http.StatusForbidden {
			t.Fatalf("%s: list %d", u, st)
		}
		if st, _, _ := b.post("/console/eval", url.Values{"year": {"2026"}, "level": {"county"}}); st != http.StatusForbidden {
			t.Fatalf("%s: create %d", u, st)
		}
	}
	st, _, body := town.post("/console/eval", url.Values{"year": {"2026"}, "level": {"county"}})
	if st != http.StatusForbidden || !strings.Contains(body, "县人大代表的考评由县人大常委会组织") {
		t.Fatalf("township creates the county's: %d", st)
	}
	if st, loc, _ := town.post("/console/eval", url.Values{"year": {"2026"}, "level": {"township"}}); st != http.StatusSeeOther ||
		!strings.HasPrefix(loc, evalPath(e.evalID(models.LevelTownship))) {
		t.Fatalf("township creates its own: %d %s", st, loc)
	}
	if st, loc, _ := admin.post("/console/eval", url.Values{"year": {"2026"}, "level": {"county"}}); st != http.StatusSeeOther ||
		!strings.HasPrefix(loc, evalPath(e.evalID(models.LevelCounty))) {
		t.Fatalf("the county office creates the county's: %d %s", st, loc)
	}
	county, townID := e.evalID(models.LevelCounty), e.evalID(models.LevelTownship)
	zhang, pan := e.deputy("张海明"), e.deputy("潘红梅")
	for _, p := range []string{evalPath(county), evalPath(county) + "/deputies/" + idStr(zhang.ID),
		evalPath(county) + "/deputies/" + idStr(zhang.ID) + "/print", evalPath(county) + "/export?kind=summary"} {
		if st, _ := town.get(p); st != http.StatusNotFound {
			t.Fatalf("township reads %s: %d", p, st)
		}
	}
	if st, _, _ := town.post(evalPath(county)+"/close", url.Values{}); st != http.StatusNotFound {
		t.Fatalf("township closes the county's: %d", st)
	}
	if st, body := town.get("/console/eval"); st != http.StatusOK || strings.Contains(body, "2026年度县人大代表履职考评") ||
		!strings.Contains(body, "2026年度城关镇人大代表履职考评") {
		t.Fatalf("township's list: %d", st)
	}
	if st, body := admin.get("/console/eval"); st != http.StatusOK || !strings.Contains(body, "2026年度县人大代表履职考评") ||
		!strings.Contains(body, "2026年度城关镇人大代表履职考评") {
		t.Fatalf("the county office's list: %d", st)
	}
	// 潘红梅 is 城关镇's; a county deputy is not on its evaluation.
	if st, _ := town.get(evalPath(townID) + "/deputies/" + idStr(pan.ID)); st != http.StatusOK {
		t.Fatalf("township reads its deputy's sheet: %d", st)
	}
	if st, _ := town.get(evalPath(townID) + "/deputies/" + idStr(zhang.ID)); st != http.StatusNotFound {
		t.Fatalf("a county deputy on the township's: %d", st)
	}
}

// Ensure the evaluation at work: the bands table by default with the line
// on fairness and no rank column until asked; weights refused with what
// was typed kept, then saved; the sheet, its print and the self-assessment
// entered on the deputy's behalf; Excel; closing locks, reopening needs
// the county office and a reason.
func TestEvalPagesFlow(t *testing.T) {
	t.Parallel()
	e := newDepEnv(t)
	admin := e.browser("admin")
	e.evalActs("张海明", models.ActMeeting, "2026-03-02", 12)
	e.evalActs("张海明", models.ActReception, "2026-05-10", 3)
	must(t, e.db.Model(&models.Deputy{}).Where("name = ?", "李文涛").Update("term_start", "2026-10-01").Error)
	e.evalActs("李文涛", models.ActInspection, "2026-10-08", 2)
	if st, _, _ := admin.post("/console/eval", url.Values{"year": {"2026"}, "level": {"county"}}); st != http.StatusSeeOther {
		t.Fatalf("create %d", st)
	}
	id := e.evalID(models.LevelCounty)
	zhang := e.deputy("张海明")

	st, body := admin.get(evalPath(id))
	if st != http.StatusOK || !strings.Contains(body, "按在任月数折算，避免任期不同造成的不公平") ||
		!strings.Contains(body, "张海明") || !strings.Contains(body, "样本不足") || !strings.Contains(body, "不参与考评") {
		t.Fatalf("evaluation page %d", st)
	}
	if strings.Contains(body, ">排名</th>") || !strings.Contains(body, "显示排名") {
		t.Fatal("a rank column by default")
	}
	if _, body = admin.get(evalPath(id) + "?rank=1"); !strings.Contains(body, ">排名</th>") {
		t.Fatal("no rank column on 显示排名")
	}
	if _, body = admin.get(evalPath(id) + "?band=sample"); !strings.Contains(body, "李文涛") || strings.Contains(body, ">张海明</a>") {
		t.Fatal("band filter")
	}

	form := url.Values{"min_months": {"6"}}
	for _, tp := range models.ActivityTypes {
		w := models.DefaultWeights[tp]
		form.Set("points_"+string(tp), records.PointsText(w[0]))
		form.Set("max_"+string(tp), records.PointsText(w[1]))
	}
	form.Set("points_meeting", "两分")
	st, _, body = admin.post(evalPath(id)+"/weights", form)
	if st != http.StatusBadRequest || !strings.Contains(body, "“出席会议”每次分值请填写数字") || !strings.Contains(body, `value="两分"`) {
		t.Fatalf("bad weights: %d", st)
	}
	form.Set("points_meeting", "1")
	form.Set("max_meeting", "10")
	st, loc, _ := admin.post(evalPath(id)+"/weights", form)
	if st != http.StatusSeeOther || !strings.Contains(mustUnescape(t, loc), "已保存指标分值") {
		t.Fatalf("weights: %d %s", st, loc)
	}

	sheet := evalPath(id) + "/deputies/" + idStr(zhang.ID)
	st, body = admin.get(sheet)
	if st != http.StatusOK || !strings.Contains(body, `id="sheet-total">19<`) || !strings.Contains(body, "（已达上限）") ||
		!strings.Contains(body, records.VoterRatingPending) || !strings.Contains(body, "12 个月") {
		t.Fatalf("sheet %d", st)
	}
	st, body = admin.get(sheet + "/print")
	if st != http.StatusOK || strings.Contains(body, `class="top"`) || !strings.Contains(body, "eval-print.css") ||
		!strings.Contains(body, "张海明代表履职档案") {
		t.Fatalf("print %d", st)
	}
	st, _, body = admin.post(sheet+"/self", url.Values{"text": {"参加县人代会，接待选民三次。"}, "grade": {"很好"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "请选择自评等次") || !strings.Contains(body, "参加县人代会，接待选民三次。") {
		t.Fatalf("bad self-assessment: %d", st)
	}
	if st, _, _ = admin.post(sheet+"/self", url.Values{"text": {"参加县人代会，接待选民三次。"}, "grade": {"称职"}}); st != http.StatusSeeOther {
		t.Fatalf("self-assessment: %d", st)
	}
	if _, body = admin.get(sheet); !strings.Contains(body, "自评等次：称职") {
		t.Fatal("self-assessment not on the sheet")
	}

	r, raw := admin.do("GET", evalPath(id)+"/export?kind=sheets", nil)
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("export %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(raw)))
	must(t, err)
	rows, err := f.GetRows("张海明")
	must(t, err)
	if len(f.GetSheetList()) < 20 || rows[8][0] != "指标" || rows[9][1] != "12" || rows[9][4] != "10" {
		t.Fatalf("一人一档: %d sheets, %v %v", len(f.GetSheetList()), rows[8], rows[9])
	}
	if st, _ := admin.get(evalPath(id) + "/export?kind=other"); st != http.StatusBadRequest {
		t.Fatalf("unknown export %d", st)
	}

	if st, _, _ = admin.post(evalPath(id)+"/close", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("close %d", st)
	}
	if ok, err := records.EvaluationLocked(t.Context(), e.db, zhang.ID, "2026-03-02"); err != nil || !ok {
		t.Fatalf("not locked after closing: %v %v", ok, err)
	}
	if st, _, body = admin.post(evalPath(id)+"/weights", form); st != http.StatusConflict || !strings.Contains(body, "考评已经结束") {
		t.Fatalf("weights after closing: %d", st)
	}
	if _, body = admin.get(evalPath(id)); !strings.Contains(body, "重新开启") || strings.Contains(body, `action="`+evalPath(id)+`/weights"`) {
		t.Fatal("closed page")
	}
	if st, _, _ = admin.post(evalPath(id)+"/reopen", url.Values{"reason": {""}}); st != http.StatusBadRequest {
		t.Fatalf("reopen without a reason: %d", st)
	}
	if st, _, _ = admin.post(evalPath(id)+"/reopen", url.Values{"reason": {"补录视察记录"}}); st != http.StatusSeeOther {
		t.Fatalf("reopen %d", st)
	}
	trail, err := models.AuditTrail(t.Context(), e.db, "evaluation", id)
	must(t, err)
	var acts []string
	for _, a := range trail {
		acts = append(acts, a.Action)
	}
	if strings.Join(acts, ",") != "evaluation.create,evaluation.weights,evaluation.self,evaluation.close,evaluation.reopen" {
		t.Fatalf("audits %v", acts)
	}
}
