package jobs

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/models"
)

// reportCST is the county's zone in these tests.
var reportCST = time.FixedZone("CST", 8*3600)

// reportDeputies seeds a county deputy and a township deputy with bound
// WeChat, and three who get nothing: one never bound, one with an empty
// openid, one retired.
func reportDeputies(t *testing.T, e *env) (county, township models.Deputy) {
	t.Helper()
	town := models.Station{Kind: models.KindStation, Name: "城关社区代表联络站", Address: "城关镇东门街1号", District: "城关镇"}
	qiao := models.Station{Kind: models.KindStation, Name: "桥头村代表联络站", Address: "桥头镇桥头村", District: "桥头镇"}
	for _, s := range []*models.Station{&town, &qiao} {
		if err := e.db.Create(s).Error; err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) *string { return &s }
	deps := []models.Deputy{
		{Name: "周建国", Level: models.LevelCounty, StationID: town.ID, Status: models.DeputyActive, OAOpenID: str("oDeputyCounty")},
		{Name: "蒋小燕", Level: models.LevelTownship, StationID: qiao.ID, Status: models.DeputyActive, OAOpenID: str("oDeputyTown")},
		{Name: "卫东", Level: models.LevelCounty, StationID: town.ID, Status: models.DeputyActive},
		{Name: "沈国平", Level: models.LevelTownship, StationID: qiao.ID, Status: models.DeputyActive, OAOpenID: str("")},
		{Name: "韩玉兰", Level: models.LevelCounty, StationID: town.ID, Status: models.DeputyRetired, OAOpenID: str("oDeputyGone")},
	}
	for i := range deps {
		if err := e.db.Create(&deps[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	return deps[0], deps[1]
}

// reportOpt is the jobs' options with the 通报's own template.
func reportOpt() Options {
	return Options{Location: reportCST, Opinion: config.OpinionNotify{PublicURL: "https://rd.example.gov.cn/"},
		Deputy: config.DeputyNotify{
			Notice: TemplateSpec{ID: "tplNotice", Fields: map[string]string{"title": "thing1", "sender": "thing2", "time": "time3"}},
			Report: TemplateSpec{ID: "tplReport", Fields: map[string]string{"title": "thing1", "sender": "thing2", "period": "thing3", "time": "time4"}},
		}}
}

// reportRows are the outbox rows of the 通报 of month ("2026-09").
func reportRows(t *testing.T, e *env, month string) []models.Notification {
	t.Helper()
	var rows []models.Notification
	if err := e.db.Where("dedupe_key LIKE ?", "report:"+month+":%").Order("dedupe_key").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// Ensure the 通报's notice goes out once per bound deputy, on the first
// working day of the month: in October 2026 the 1st to the 7th are the
// National Day holiday, so nothing goes out before Thursday the 8th (not
// before 09:00 that day either); on the 8th each bound deputy gets one
// notice of September's 通报, with its link and no figures, and a re-run
// (or the next day's run) sends nothing more. November's 1st is a Sunday:
// its notices go out on Monday the 2nd.
func TestMonthlyReportJob(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	county, township := reportDeputies(t, e)
	d := e.deps(t, reportOpt())
	run := func(at time.Time) int {
		t.Helper()
		n, err := RunOnce(ctx, d, JobMonthlyReport, at)
		if err != nil {
			t.Fatalf("run at %s: %v", at, err)
		}
		return n
	}
	for day := 1; day <= 7; day++ {
		if n := run(time.Date(2026, 10, day, 9, 30, 0, 0, reportCST)); n != 0 {
			t.Fatalf("10-%02d is a holiday, yet %d notices were queued", day, n)
		}
	}
	if n := run(time.Date(2026, 10, 8, 8, 30, 0, 0, reportCST)); n != 0 {
		t.Fatalf("before 09:00 on 10-08 the period is still 10-07's, yet %d notices were queued", n)
	}
	at := time.Date(2026, 10, 8, 9, 30, 0, 0, reportCST)
	if n := run(at); n != 2 {
		t.Fatalf("first working day: %d notices, want 2 (the two bound deputies in office)", n)
	}
	for _, again := range []time.Time{at.Add(5 * time.Hour), time.Date(2026, 10, 9, 9, 30, 0, 0, reportCST)} {
		if n := run(again); n != 0 {
			t.Fatalf("run at %s queued %d more", again, n)
		}
	}
	if n, err := Dispatch(ctx, d, at.Add(time.Minute)); err != nil || n != 2 {
		t.Fatalf("dispatch: %d, %v", n, err)
	}
	if n := run(at.Add(6 * time.Hour)); n != 0 {
		t.Fatalf("a run after the delivery queued %d more", n)
	}
	got := map[string]string{}
	for _, m := range e.fake.Templates() {
		got[m.ToUser] = fmt.Sprintf("%s %s %v", m.TemplateID, m.URL, m.Data)
	}
	link := "https://rd.example.gov.cn/console/me/report/2026-09"
	want := map[string]string{
		"oDeputyCounty": "tplReport " + link + " map[thing1:您的9月履职情况通报已生成 thing2:县人大常委会办公室 thing3:2026年9月 time4:2026年10月8日 09:30]",
		"oDeputyTown":   "tplReport " + link + " map[thing1:您的9月履职情况通报已生成 thing2:桥头镇人大主席团 thing3:2026年9月 time4:2026年10月8日 09:30]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(e.fake.Templates()) != 2 {
		t.Fatalf("delivered %d:\n%v\nwant\n%v", len(e.fake.Templates()), got, want)
	}
	rows := reportRows(t, e, "2026-09")
	if len(rows) != 2 || rows[0].DedupeKey != models.ReportNoticeKey("2026-09", county.ID) ||
		rows[1].DedupeKey != models.ReportNoticeKey("2026-09", township.ID) {
		t.Fatalf("rows: %+v", rows)
	}

	if n := run(time.Date(2026, 11, 1, 10, 0, 0, 0, reportCST)); n != 0 {
		t.Fatalf("Sunday 11-01 queued %d", n)
	}
	if n := run(time.Date(2026, 11, 2, 9, 0, 0, 0, reportCST)); n != 2 || len(reportRows(t, e, "2026-10")) != 2 {
		t.Fatalf("Monday 11-02 queued %d of October's", n)
	}
}

// Ensure the notice falls back to the deputies' notice template (keeping
// only the fields it maps) and that without either template nothing is
// written.
func TestMonthlyReportTemplates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	reportDeputies(t, e)
	opt := reportOpt()
	opt.Deputy.Report = TemplateSpec{}
	dec := time.Date(2026, 12, 1, 9, 5, 0, 0, reportCST) // Tuesday
	if n, err := MonthlyReport(ctx, e.deps(t, Options{Location: reportCST}), dec); err != nil || n != 0 {
		t.Fatalf("no template: %d, %v", n, err)
	}
	if rows := reportRows(t, e, "2026-11"); len(rows) != 0 {
		t.Fatalf("no template, yet %d rows", len(rows))
	}
	if n, err := MonthlyReport(ctx, e.deps(t, opt), dec); err != nil || n != 2 {
		t.Fatalf("with the notice template: %d, %v", n, err)
	}
	rows := reportRows(t, e, "2026-11")
	fields := fmt.Sprint(rows[0].Fields)
	if len(rows) != 2 || rows[0].TemplateID != "tplNotice" ||
		fields != `{"thing1":"您的11月履职情况通报已生成","thing2":"县人大常委会办公室","time3":"2026年12月1日 09:05"}` {
		t.Fatalf("rows: %d %s %s", len(rows), rows[0].TemplateID, fields)
	}
}

// Ensure worker processes running the job at once queue each deputy's
// notice once (on MariaDB the runs really overlap).
func TestMonthlyReportJobRacing(t *testing.T) {
	e := newEnv(t)
	reportDeputies(t, e)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, reportCST)
	var wg sync.WaitGroup
	total := make([]int, 4)
	for i := range total {
		wg.Go(func() {
			n, err := MonthlyReport(context.Background(), e.deps(t, reportOpt()), at)
			if err != nil {
				t.Errorf("worker %d: %v", i, err)
			}
			total[i] = n
		})
	}
	wg.Wait()
	sum := 0
	for _, n := range total {
		sum += n
	}
	if rows := reportRows(t, e, "2026-11"); sum != 2 || len(rows) != 2 {
		t.Fatalf("four workers queued %v (%d rows), want 2 in all", total, len(rows))
	}
}
