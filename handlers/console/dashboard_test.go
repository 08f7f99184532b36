package console_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

// seedDashboard stores items of November 2026 (the env's month): three at
// 东门 (one by letter), two at 西街 (one overdue), and seven reply ratings
// at 东门, under the minimum sample.
func seedDashboard(t *testing.T, e *pageEnv) {
	t.Helper()
	var cats []models.Category
	must(t, e.db.Order("sort_order").Find(&cats).Error)
	at := time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)
	far := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(n int, st uint64, cat int, source string, status models.OpinionStatus, due time.Time) {
		op := models.Opinion{TrackingNo: fmt.Sprintf("DASH-%03d", n), VoterID: e.voter, Source: source,
			CategoryID: cats[cat].ID, Content: "测试", StationID: st, RouteRule: models.RuleCategory, RouteReason: "测试",
			Status: status, Round: 1, AcceptDays: 2, ReplyDays: 15, AcceptStartAt: at, AcceptDueAt: due,
			ReplyStartAt: at, ReplyDueAt: far, Version: 1, CreatedAt: at.Add(time.Duration(n) * time.Hour)}
		if models.IsOfflineSource(source) {
			op.VoterID = 0
		}
		must(t, e.db.Create(&op).Error)
	}
	add(1, e.east.ID, 0, models.SourceMiniProgram, models.OpinionSubmitted, far)
	add(2, e.east.ID, 0, models.SourceChat, models.OpinionSubmitted, far)
	add(3, e.east.ID, 1, models.SourceLetter, models.OpinionSubmitted, far)
	add(4, e.west.ID, 1, models.SourceMiniProgram, models.OpinionSubmitted, time.Date(2026, 11, 12, 16, 0, 0, 0, time.UTC))
	add(5, e.west.ID, 2, models.SourceMiniProgram, models.OpinionSubmitted, far)
	for i := range 7 {
		must(t, e.db.Create(&models.OpinionRating{OpinionID: uint64(900 + i), Round: 1, Stage: models.StageReply,
			VoterID: e.voter, StationID: e.east.ID, Score: models.ScoreSatisfied, CreatedAt: at}).Error)
	}
}

var dashJSON = regexp.MustCompile(`(?s)<script type="application/json" id="dashboard-data">(.*?)</script>`)

// dashCharts reads the figures the page gives its charts.
func dashCharts(t *testing.T, page string) map[string][]models.FigureCount {
	t.Helper()
	m := dashJSON.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no chart data on the page")
	}
	var out map[string][]models.FigureCount
	if err := json.Unmarshal([]byte(m[1]), &out); err != nil {
		t.Fatalf("chart data %q: %v", m[1], err)
	}
	return out
}

// cell finds the number in the row labelled label of the table with id.
func cell(page, id, label string) string {
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	rest = rest[:strings.Index(rest, "</table>")]
	re := regexp.MustCompile(`<td>` + regexp.QuoteMeta(html.EscapeString(label)) + `</td><td class="num[^"]*">([^<]*)</td>`)
	if m := re.FindStringSubmatch(rest); m != nil {
		return m[1]
	}
	return ""
}

// Ensure the admin's dashboard shows this month's figures of every
// station, as tables and as the charts' JSON, equal to models' figures;
// the headline cards say what the medians leave out, and a rate under the
// minimum sample reads as insufficient.
func TestDashboardAdmin(t *testing.T) {
	e := newPageEnv(t)
	seedDashboard(t, e)
	want, err := models.ComputeFigures(t.Context(), e.db, models.FigureQuery{From: "2026-11-01", To: "2026-11-30",
		Location: conLoc, Calendar: e.cal, Now: conT0})
	must(t, err)
	if want.Total != 5 || want.Overdue != 1 {
		t.Fatalf("seed: %d items, %d overdue", want.Total, want.Overdue)
	}
	st, page := e.browser("admin").get("/console/dashboard")
	if st != 200 {
		t.Fatalf("dashboard: %d %s", st, page)
	}
	for _, s := range []string{"2026年11月1日至2026年11月30日", "全部联络站", `data-figure="total"`,
		">5<small>件</small>", "线上4件，线下1件", "尚未受理的5件不计入", "样本不足（n=7）",
		`data-chart="months"`, "echarts.min.js", "dashboard.js"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	charts := dashCharts(t, page)
	for key, list := range map[string][]models.FigureCount{"months": want.ByMonth, "categories": want.ByCategory,
		"channels": want.ByChannel, "statuses": want.ByStatus, "stations": want.ByStation} {
		if fmt.Sprint(charts[key]) != fmt.Sprint(list) {
			t.Errorf("chart %s: %v, want %v", key, charts[key], list)
		}
	}
	for _, c := range want.ByCategory {
		if got := cell(page, "table-categories", c.Label); got != fmt.Sprint(c.N) {
			t.Errorf("category %s: %q, want %d", c.Label, got, c.N)
		}
	}
	for _, s := range want.Stations {
		if got := cell(page, "table-stations", s.Name); got != fmt.Sprint(s.Opinions) {
			t.Errorf("station %s: %q, want %d", s.Name, got, s.Opinions)
		}
	}
	if got := cell(page, "table-stations", e.west.Name); got != "2" {
		t.Errorf("west row %q", got)
	}
	// The demo's codes are new: none is silent yet; the demo's retired
	// deputies' codes are listed with a management link.
	if len(want.RetiredBoards) == 0 || !strings.Contains(page, fmt.Sprintf("%d个二维码仍指向已离任代表", len(want.RetiredBoards))) ||
		!strings.Contains(page, fmt.Sprintf(`href="/console/manage/deputies/%d"`, want.RetiredBoards[0].DeputyID)) {
		t.Errorf("retired boards (%d) not listed with links", len(want.RetiredBoards))
	}
}

// Ensure a clerk's dashboard counts their station only: the other
// station's items appear nowhere, and no management link is offered.
func TestDashboardClerkScope(t *testing.T) {
	e := newPageEnv(t)
	seedDashboard(t, e)
	st, page := e.browser("clerk_e").get("/console/dashboard")
	if st != 200 {
		t.Fatalf("dashboard: %d", st)
	}
	if !strings.Contains(page, ">3<small>件</small>") || !strings.Contains(page, e.east.Name) {
		t.Error("the clerk does not see their station's 3 items")
	}
	if strings.Contains(page, e.west.Name) || strings.Contains(page, models.OfficeName) {
		t.Error("the clerk sees another station or the office's queue")
	}
	charts := dashCharts(t, page)
	if len(charts["stations"]) != 1 || charts["stations"][0].Label != e.east.Name {
		t.Errorf("clerk's station chart %v", charts["stations"])
	}
	if strings.Contains(page, "/console/manage/") {
		t.Error("a clerk is offered management links")
	}
	_, page = e.browser("clerk_w").get("/console/dashboard")
	if !strings.Contains(page, ">2<small>件</small>") || strings.Contains(page, "样本不足（n=7）") {
		t.Error("the west clerk's figures are not their own")
	}
}

// Ensure the periods: last month is empty; a custom period counts its
// dates; a reversed one is refused in Chinese (400) and the page falls
// back to this month, keeping what was typed.
func TestDashboardPeriods(t *testing.T) {
	e := newPageEnv(t)
	seedDashboard(t, e)
	b := e.browser("admin")
	_, page := b.get("/console/dashboard?period=last_month")
	if !strings.Contains(page, "2026年10月1日至2026年10月31日") || !strings.Contains(page, ">0<small>件</small>") {
		t.Error("last month is not October, or not empty")
	}
	_, page = b.get("/console/dashboard?" + url.Values{"period": {"custom"}, "from": {"2026-11-10"}, "to": {"2026-11-10"}}.Encode())
	if !strings.Contains(page, "2026年11月10日至2026年11月10日") || !strings.Contains(page, ">5<small>件</small>") {
		t.Error("the custom day does not count its 5 items")
	}
	st, page := b.get("/console/dashboard?" + url.Values{"period": {"custom"}, "from": {"2026-11-10"}, "to": {"2026-11-01"}}.Encode())
	if st != 400 || !strings.Contains(page, "开始日期不能晚于结束日期") || !strings.Contains(page, "2026年11月1日至2026年11月30日") ||
		!strings.Contains(page, `value="2026-11-10"`) {
		t.Errorf("reversed period: %d", st)
	}
}

// Ensure a year's figures are kept for a while (the page says when they
// were counted) while a month's are counted afresh, and that the kept
// figures read back the same; the cache is per scope.
func TestDashboardYearCached(t *testing.T) {
	e := newPageEnv(t)
	seedDashboard(t, e)
	b := e.browser("admin")
	_, first := b.get("/console/dashboard?period=this_year")
	if !strings.Contains(first, ">5<small>件</small>") || !strings.Contains(first, "统计于11月24日 17:00") {
		t.Fatal("the year's first count is wrong")
	}
	// One more item, an hour later.
	e.clock.Add(time.Hour)
	var cat models.Category
	must(t, e.db.First(&cat).Error)
	at := e.clock.Now().UTC()
	must(t, e.db.Create(&models.Opinion{TrackingNo: "DASH-LATE", VoterID: e.voter, Source: models.SourceMiniProgram,
		CategoryID: cat.ID, Content: "测试", StationID: e.east.ID, RouteRule: models.RuleCategory, RouteReason: "测试",
		Status: models.OpinionSubmitted, Round: 1, AcceptStartAt: at, AcceptDueAt: at.Add(72 * time.Hour),
		ReplyStartAt: at, ReplyDueAt: at.Add(500 * time.Hour), Version: 1, CreatedAt: at}).Error)
	_, again := b.get("/console/dashboard?period=this_year")
	strip := func(s string) string { return s[strings.Index(s, `id="dash-cards"`):] }
	if strip(again) != strip(first) || !strings.Contains(again, "统计于11月24日 17:00") {
		t.Error("the kept year's figures differ from the first count")
	}
	_, month := b.get("/console/dashboard")
	if !strings.Contains(month, ">6<small>件</small>") || !strings.Contains(month, "统计于11月24日 18:00") {
		t.Error("the month is not counted afresh")
	}
	_, clerk := e.browser("clerk_e").get("/console/dashboard?period=this_year")
	if !strings.Contains(clerk, ">4<small>件</small>") {
		t.Error("the clerk got the admin's kept figures, or not their own")
	}
}
