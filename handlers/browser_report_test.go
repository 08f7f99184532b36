package handlers_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers/console"
	"deputylink/jobs"
	"deputylink/models"
	"deputylink/models/records"
	"deputylink/models/reviews"
)

// TestBrowserMonthlyReport: on the first working day of this month the
// monthly-report job tells the demo deputy 赵春燕 (bound to WeChat) that
// last month's 履职通报 is ready; she taps the notice inside WeChat, is
// signed in through web authorization, and reads her figures of last
// month and of the year, each beside her group's and the county's median,
// exactly as records.MonthlyReport counts them, with the sentence that
// says there are medians and no rank; her home lists the month. The
// congress office reads 张海明's (a member of two groups: a median for
// each) from his record at its desk. The README's screenshot of the 通报
// comes from this test.
func TestBrowserMonthlyReport(t *testing.T) {
	app := newBrowserApp(t)
	ctx := t.Context()
	now := time.Now()
	if _, err := models.LoadDemoRecords(ctx, app.DB, now, app.Loc); err != nil {
		t.Fatal(err)
	}
	// The demo's closed 述职评议 (of 张海明 and others) was held 30 days ago.
	if _, err := reviews.LoadDemoReviews(ctx, app.DB, app.Ballots, now, app.Loc); err != nil {
		t.Fatal(err)
	}
	var dep, other models.Deputy
	if err := app.DB.Where("name = ?", "赵春燕").First(&dep).Error; err != nil {
		t.Fatal(err)
	}
	if err := app.DB.Where("name = ?", "张海明").First(&other).Error; err != nil {
		t.Fatal(err)
	}
	openid := "oReportDeputy" + randHex(4)
	if err := app.DB.Model(&models.Deputy{}).Where("id = ?", dep.ID).Update("oa_openid", openid).Error; err != nil {
		t.Fatal(err)
	}
	app.Fake.Follow(openid)

	// The job runs on this month's first working day.
	cal, err := models.LoadCalendar(ctx, app.DB)
	if err != nil {
		t.Fatal(err)
	}
	l := now.In(app.Loc)
	thisMonth := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, app.Loc)
	lastMonth := thisMonth.AddDate(0, -1, 0)
	at := cal.NextWorkingDay(thisMonth).Add(9*time.Hour + 30*time.Minute)
	d := jobs.Deps{DB: app.DB, Redis: app.RD.Client, Prefix: app.RD.Prefix, WeChat: app.WC, Opt: jobs.Options{
		Location: app.Loc, Opinion: app.Notify, Deputy: config.DeputyNotify{
			Report: config.TemplateSpec{ID: "tplReport", Fields: map[string]string{"title": "thing1", "sender": "thing2", "period": "thing3", "time": "time4"}}}}}
	if n, err := jobs.RunOnce(ctx, d, jobs.JobMonthlyReport, at); err != nil || n != 1 {
		t.Fatalf("the job on %s queued %d (%v), want 1 (the one bound deputy)", at, n, err)
	}
	app.dispatch()
	links := app.templateLinks(openid)
	month := lastMonth.Format("2006-01")
	if len(links) != 1 || !strings.HasSuffix(links[0], "/console/me/report/"+month) {
		t.Fatalf("notice links %v, want one to last month's 通报", links)
	}
	rep, err := records.MonthlyReport(ctx, app.DB, dep.ID, lastMonth, app.Loc)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ThisMonth.Line(records.LineOpinions).Own == 0 || rep.ThisMonth.Line(records.LineReception).Own+
		rep.ThisMonth.Line(records.ActivityLine(models.ActContact)).Own+rep.ThisMonth.Line(records.ActivityLine(models.ActVisit)).Own == 0 {
		t.Logf("the demo's %s is thin for %s: %+v", month, dep.Name, rep.ThisMonth)
	}

	tb := app.open(inWeChat)
	tb.signInViaWeChat(openid, links[0])
	tb.waitText(rep.MonthLabel + "履职情况通报")
	checkReportPage(t, tb, rep)
	tb.screenshot("report")

	tb.visit(console.MePath)
	tb.waitText("月度履职情况通报")
	if href := eval[string](tb, `(document.querySelector('#me-reports a') || {}).getAttribute ? document.querySelector('#me-reports a').getAttribute('href') : ""`); href != console.MeReportPath(month) {
		t.Errorf("the first month on 我的履职 links %q, want %q", href, console.MeReportPath(month))
	}
	tb.screenshot("home")

	rep2, err := records.MonthlyReport(ctx, app.DB, other.ID, lastMonth, app.Loc)
	if err != nil || len(rep2.Groups) != 2 {
		t.Fatalf("张海明's report: groups %v, %v", rep2.Groups, err)
	}
	desk := app.open(desktop)
	desk.signInAs(demoAdmin)
	desk.visit(console.RecordsDeputyPath(other.ID))
	desk.waitText("月度履职情况通报")
	desk.clickText(rep2.MonthLabel)
	desk.waitPath(console.RecordsReportPath(other.ID, month))
	desk.waitText(rep2.MonthLabel + "履职情况通报")
	checkReportPage(t, desk, rep2)
	// The review shows when it was held last month or earlier this year.
	held := now.In(app.Loc).AddDate(0, 0, -30).Format(models.DateLayout)
	shown := strings.Contains(desk.pageText(), "述职评议结果")
	if want := held >= rep2.YearToDate.From && held <= rep2.YearToDate.To; shown != want {
		t.Errorf("the review held %s: shown %v, want %v (the 通报 runs %s to %s)", held, shown, want, rep2.YearToDate.From, rep2.YearToDate.To)
	}
	desk.screenshot("office")
}

// rankRe is what would place a deputy among others.
var rankRe = regexp.MustCompile(`第\s*\d+\s*名|排名第|名列|排第|位次|前\d+名`)

// checkReportPage checks the page's figures of both periods against rep:
// each line shows the deputy's count, its unit and the medians; the
// activity types at zero for all are named in one sentence; no rank.
func checkReportPage(t *testing.T, tb *tab, rep records.MonthReport) {
	t.Helper()
	got := eval[[]map[string]string](tb, `[...document.querySelectorAll('.report-period')].map(sec => Object.fromEntries(
		[...sec.querySelectorAll('li[data-key]')].map(li => [li.dataset.key, li.innerText.replace(/\s+/g, ' ').trim()])
		.concat([["quiet", [...sec.querySelectorAll('.report-quiet')].map(q => q.innerText).join(" ")]])))`)
	periods := []records.ReportPeriod{rep.ThisMonth}
	if rep.YearToDate.From != rep.ThisMonth.From {
		periods = append(periods, rep.YearToDate)
	}
	if len(got) != len(periods) {
		t.Fatalf("%d periods on the page, want %d", len(got), len(periods))
	}
	lines := 0
	for i, p := range periods {
		for _, l := range p.Lines {
			text, ok := got[i][l.Key]
			if l.Quiet() && l.Key != records.LineReception && l.Key != records.LineVoters && l.Key != records.LineOpinions {
				if ok || !strings.Contains(got[i]["quiet"], l.Label) {
					t.Errorf("%s %s: a quiet line should be named in the sentence, got %q / %q", p.Label, l.Label, text, got[i]["quiet"])
				}
				continue
			}
			want := []string{l.Label, strconv.Itoa(l.Own) + " " + l.Unit, "全县中位数 " + strconv.FormatFloat(l.County, 'f', -1, 64)}
			for g, m := range l.Groups {
				label := "本组中位数 "
				if len(rep.Groups) > 1 {
					label = rep.Groups[g].Name + "中位数 "
				}
				want = append(want, label+strconv.FormatFloat(m, 'f', -1, 64))
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%s %s: the page shows %q, missing %q", p.Label, l.Label, text, w)
				}
			}
			lines++
		}
	}
	if lines < 8 {
		t.Errorf("only %d lines checked", lines)
	}
	txt := tb.pageText()
	if !strings.Contains(txt, "不排名次") || !strings.Contains(txt, "中位数：") {
		t.Errorf("the page does not say it shows medians and no rank:\n%s", clip(txt, 400))
	}
	if m := rankRe.FindString(txt); m != "" {
		t.Errorf("the page shows a rank %q", m)
	}
}
