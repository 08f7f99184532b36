package handlers_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/reviews"
)

// openReviewNow moves review id's window around now (the meeting has
// begun), as the clock would on the day.
func (a *browserApp) openReviewNow(id uint64) {
	a.t.Helper()
	now := time.Now()
	err := a.DB.Model(&models.Review{}).Where("id = ?", id).Updates(map[string]any{
		"date": now.In(a.Loc).Format(models.DateLayout), "opens_at": now.Add(-time.Hour), "closes_at": now.Add(2 * time.Hour),
	}).Error
	if err != nil {
		a.t.Fatal(err)
	}
}

// reviewID is the id of the review page the tab shows.
func (tb *tab) reviewID() uint64 {
	tb.t.Helper()
	p := tb.location().Path
	id, err := strconv.ParseUint(strings.TrimPrefix(p, "/console/reviews/"), 10, 64)
	if err != nil {
		tb.t.Fatalf("not on a review page: %s\n%s", p, tb.describe())
	}
	return id
}

// TestBrowserReviewTally: the county office opens a review of deputies in
// the browser (the form at a desk), prints its slips, voters cast ballots
// with the printed codes during the meeting, the office closes the review
// (confirming) and reads its tally, also on a phone.
func TestBrowserReviewTally(t *testing.T) {
	app := newBrowserApp(t)
	if _, err := reviews.LoadDemoReviews(t.Context(), app.DB, app.Ballots, time.Now(), app.Loc); err != nil {
		t.Fatal(err)
	}
	desk := app.open(desktop)
	desk.signInAs(demoAdmin)
	desk.visit("/console/reviews")
	desk.waitText(reviews.DemoDepartmentsTitle)
	desk.screenshot("review-list")

	var zhang, zhao models.Deputy
	if err := app.DB.Where("name = ?", "张海明").First(&zhang).Error; err != nil {
		t.Fatal(err)
	}
	if err := app.DB.Where("name = ?", "赵春燕").First(&zhao).Error; err != nil {
		t.Fatal(err)
	}
	desk.clickText("新建选民评议代表")
	desk.waitPath("/console/reviews/new")
	desk.waitText("述职的代表")
	f := desk.formOf("建立评议").fill("title", "2026年城关选区县人大代表述职评议").fill("place", "城关镇人大代表之家").
		fill("slips", "8").fill("min_ballots", "5").
		choose("subject_id", strconv.FormatUint(zhang.ID, 10)).choose("subject_id", strconv.FormatUint(zhao.ID, 10))
	desk.screenshot("review-new")
	f.send("建立评议")
	desk.waitText("已建立评议")
	id := desk.reviewID()
	if txt := desk.pageText(); !strings.Contains(txt, "未开始") || !strings.Contains(txt, "0/8") {
		t.Fatalf("the new review:\n%s", txt)
	}

	// The slips, as printed.
	desk.visit(fmt.Sprintf("/console/reviews/%d/slips", id))
	desk.waitText("评议票号")
	desk.screenshot("review-slips")
	codes := eval[[]string](desk, `[...document.querySelectorAll('.slip .code')].map(e => e.innerText.replace(/\s/g, ''))`)
	qrs := eval[int](desk, `[...document.querySelectorAll('.slip img.qr')].filter(i => i.complete && i.naturalWidth > 0).length`)
	if len(codes) != 8 || qrs != 8 {
		t.Fatalf("%d codes and %d QR images printed, want 8", len(codes), qrs)
	}
	// The app has a public address, so each QR holds the slip's link, which
	// WeChat's 扫一扫 opens in the mini-program; the slip says so. The
	// link opened on a phone outside WeChat says how to vote, in large
	// type, and names no code.
	if how := desk.text(".slip .how"); how != "请用微信“扫一扫”扫描二维码，在小程序中匿名评议。每票只能使用一次。" {
		t.Errorf("a slip says %q", how)
	}
	tel := app.open(phone)
	tel.visit(strings.TrimPrefix(reviews.SlipLink(app.URL, codes[0]), app.URL))
	tel.waitText("这是一张述职评议票。请用微信“扫一扫”扫描票上的二维码，在“人大代表联络站”小程序中匿名评议。每张票只能用一次。")
	if txt := tel.pageText(); strings.Contains(txt, codes[0]) || strings.Contains(txt, codes[0][:5]) {
		t.Errorf("the link's page names the code:\n%s", txt)
	}
	if px := eval[string](tel, `getComputedStyle(document.querySelector('#how')).fontSize`); px != "24px" {
		t.Errorf("the link's page is in %s type", px)
	}
	tel.screenshot("slip-link")

	// The meeting: five voters scan their slips in the mini-program and rate
	// every deputy on every dimension (four 满意, one 基本满意).
	app.openReviewNow(id)
	satisfied := 0
	for k := 0; k < 5; k++ {
		token := app.voterSession("oVoterAtMeeting" + strconv.Itoa(k))
		var opened struct {
			Review struct {
				Dimensions []string `json:"dimensions"`
				Subjects   []struct {
					ID uint64 `json:"id"`
				} `json:"subjects"`
			} `json:"review"`
		}
		app.call("POST", "/api/v1/ballot-slips/open", token, `{"code":"`+codes[k]+`"}`, 200, &opened)
		type mark struct {
			SubjectID uint64 `json:"subject_id"`
			Dimension int    `json:"dimension"`
			Rating    string `json:"rating"`
		}
		var marks []mark
		r := models.RatingSatisfied
		if k == 4 {
			r = models.RatingFair
		} else {
			satisfied++
		}
		for _, s := range opened.Review.Subjects {
			for d := range opened.Review.Dimensions {
				marks = append(marks, mark{s.ID, d, string(r)})
			}
		}
		body, _ := json.Marshal(map[string]any{"code": codes[k], "marks": marks})
		app.call("POST", "/api/v1/ballots", token, string(body), 201, nil)
	}

	desk.visit(fmt.Sprintf("/console/reviews/%d", id))
	desk.waitText("进行中")
	if txt := desk.pageText(); !strings.Contains(txt, "5/8") || !strings.Contains(txt, "评议结束前不显示评议结果") {
		t.Fatalf("the open review:\n%s", txt)
	}
	desk.submitConfirmed("关闭评议", "确定现在结束本次评议吗")
	desk.waitText("评议已结束，结果已公布")
	desk.waitVisible("#review-tally")
	tally := desk.text("#review-tally")
	for _, want := range []string{"张海明", "赵春燕", "联系群众", "总体评价", fmt.Sprintf("%d（80%%）", satisfied), "1（20%）"} {
		if !strings.Contains(tally, want) {
			t.Errorf("the tally lacks %q:\n%s", want, tally)
		}
	}
	desk.screenshot("review-tally")

	ph := app.open(phone)
	ph.signInAs(demoAdmin)
	ph.visit(fmt.Sprintf("/console/reviews/%d", id))
	ph.waitVisible("#review-tally")
	ph.screenshot("review-tally")
	ph.visit("/console/reviews")
	ph.waitText("2026年城关选区县人大代表述职评议")
	if txt := ph.pageText(); !strings.Contains(txt, "已结束") || !strings.Contains(txt, "评议票已用 5 / 8 张") {
		t.Errorf("the list on the phone:\n%s", txt)
	}
	ph.screenshot("review-list")

	// The demo's closed review: its tally and the voters' comments.
	var demo models.Review
	if err := app.DB.Where("title = ?", reviews.DemoClosedTitle).First(&demo).Error; err != nil {
		t.Fatal(err)
	}
	desk.visit(fmt.Sprintf("/console/reviews/%d", demo.ID))
	desk.waitVisible("#review-tally")
	desk.click(".tally-comments summary")
	if txt := desk.text("#review-tally"); !strings.Contains(txt, "其中纸质票") || !strings.Contains(txt, "意见（") {
		t.Errorf("the demo's tally:\n%s", txt)
	}
	desk.screenshot("review-demo-tally")
}

// TestBrowserDeputyRatesDepartments: a deputy opens 我的履职 inside WeChat,
// is asked to vote in the office's review of departments, taps a choice
// for every department and dimension on the phone, comments, submits
// (confirming) and is thanked; the page does not take a second ballot.
func TestBrowserDeputyRatesDepartments(t *testing.T) {
	app := newBrowserApp(t)
	ctx := t.Context()
	depts, err := models.ListDepartments(ctx, app.DB)
	if err != nil || len(depts) < 3 {
		t.Fatalf("demo departments: %d %v", len(depts), err)
	}
	depts = depts[:3]
	sc, err := models.ManageScopeOf(app.staff(demoAdmin))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(app.Loc).AddDate(0, 0, 2)
	opens := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, app.Loc)
	in := reviews.NewReview{Kind: models.ReviewOfDepartments, Title: "2026年度部门工作评议", Level: models.LevelCounty,
		Date: day.Format(models.DateLayout), Place: "县人大常委会会议室", OpensAt: opens, ClosesAt: opens.Add(3 * time.Hour), MinBallots: 5}
	for _, d := range depts {
		in.SubjectIDs = append(in.SubjectIDs, d.ID)
	}
	r, err := reviews.Create(ctx, app.DB, sc, in, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	app.openReviewNow(r.ID)

	var dep models.Deputy
	if err := app.DB.Where("name = ?", "王桂英").First(&dep).Error; err != nil {
		t.Fatal(err)
	}
	openid := app.bindDeputy(dep)

	tb := app.open(inWeChat)
	tb.signInViaWeChat(openid, "/console/me")
	tb.waitText("有1项部门工作评议正在进行")
	tb.screenshot("deputy-home")
	tb.clickText("去投票")
	tb.waitPath("/console/me/reviews")
	tb.waitText("2026年度部门工作评议")
	tb.screenshot("deputy-reviews")
	tb.click(`a.me-review-row`)
	tb.waitPath(fmt.Sprintf("/console/me/reviews/%d", r.ID))
	tb.waitText("提交评议")
	for i, d := range depts {
		for k := range models.DefaultDepartmentDimensions {
			rt := models.Ratings[(i+k)%3]
			tb.click(fmt.Sprintf(`input[name="m_%d_%d"][value="%s"] + span`, d.ID, k, rt))
		}
	}
	tb.fillSel(fmt.Sprintf(`textarea[name="c_%d"]`, depts[0].ID), "窗口办事排队时间长，希望增加周末服务")
	tb.screenshot("deputy-ballot")
	tb.submitConfirmed("提交评议", "提交后不能修改")
	tb.waitText("投票成功，感谢您参与评议")
	tb.waitText("您已经投过票了")
	if n := eval[int](tb, `document.querySelectorAll('input[type=radio]').length`); n != 0 {
		t.Errorf("the page still offers a ballot: %d choices", n)
	}
	tb.screenshot("deputy-thanks")
	var ballots int64
	if err := app.DB.Model(&models.Ballot{}).Where("review_id = ?", r.ID).Count(&ballots).Error; err != nil || ballots != 1 {
		t.Errorf("ballots in the database: %d %v", ballots, err)
	}
}
