package handlers_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

// seedYear stores n items filed since the start of this year at the demo
// stations, of every category, channel and status, and ratings of the
// first station's replies, so the dashboard has something to draw.
func (a *browserApp) seedYear(n int) {
	a.t.Helper()
	var cats []models.Category
	var sts []models.Station
	if err := a.DB.Order("sort_order").Find(&cats).Error; err != nil {
		a.t.Fatal(err)
	}
	if err := a.DB.Order("id").Limit(8).Find(&sts).Error; err != nil {
		a.t.Fatal(err)
	}
	now := time.Now()
	y0 := time.Date(now.In(a.Loc).Year(), 1, 1, 0, 0, 0, 0, a.Loc)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range n {
		at := y0.Add(time.Duration(r.Int64N(int64(now.Sub(y0))))).UTC()
		st := models.OpinionStatuses[r.IntN(len(models.OpinionStatuses))]
		src := models.AllSources[r.IntN(len(models.AllSources))]
		if i%3 != 0 {
			src = models.SourceMiniProgram
		}
		op := models.Opinion{TrackingNo: fmt.Sprintf("SEED-%04d", i), VoterID: uint64(1 + i), Source: src,
			CategoryID: cats[r.IntN(len(cats))].ID, Content: "生成的意见", StationID: sts[min(r.IntN(len(sts)), r.IntN(len(sts)))].ID,
			RouteRule: models.RuleCategory, RouteReason: "生成", Status: st, Round: 1, AcceptDays: 2, ReplyDays: 15,
			AcceptStartAt: at, AcceptDueAt: at.AddDate(0, 0, 3), ReplyStartAt: at, ReplyDueAt: at.AddDate(0, 0, 21),
			Version: 1, CreatedAt: at, UpdatedAt: at}
		if st != models.OpinionSubmitted && st != models.OpinionReturned {
			op.AcceptedAt = ptr(at.Add(time.Duration(2+r.IntN(60)) * time.Hour))
		}
		if st == models.OpinionReplied || st == models.OpinionClosed {
			op.RepliedAt = ptr(at.Add(time.Duration(50+r.IntN(300)) * time.Hour))
		}
		if err := a.DB.Create(&op).Error; err != nil {
			a.t.Fatal(err)
		}
	}
	for i := range 14 {
		score := models.ScoreSatisfied
		if i%5 == 4 {
			score = models.ScoreUnsatisfied
		}
		if err := a.DB.Create(&models.OpinionRating{OpinionID: uint64(10000 + i), Round: 1, Stage: models.StageReply,
			VoterID: 1, StationID: sts[0].ID, Score: score, CreatedAt: time.Now().UTC().Add(-time.Hour)}).Error; err != nil {
			a.t.Fatal(err)
		}
	}
}

// Read the dashboard: the county office's admin at a desk opens this
// year's figures; ECharts draws every chart (SVG with a size and shapes),
// and the numbers on the page equal what models counts; on a phone the
// cards and charts stack.
func TestBrowserDashboard(t *testing.T) {
	app := newBrowserApp(t)
	app.seedYear(240)
	app.fileOpinion("oVoterDash", demoStation, "城关镇老街东口的路灯坏了一个多月，晚上走路很不安全。")
	from, to, err := models.FigurePeriod(models.PeriodThisYear, "", "", time.Now(), app.Loc)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := models.LoadCalendar(t.Context(), app.DB)
	if err != nil {
		t.Fatal(err)
	}
	want, err := models.ComputeFigures(t.Context(), app.DB, models.FigureQuery{From: from, To: to,
		Location: app.Loc, Calendar: cal, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}

	tb := app.open(desktop)
	tb.signInAs(demoAdmin)
	tb.visit("/console/dashboard")
	if tb.routeMissing() {
		notBuilt(t, "/console/dashboard")
	}
	tb.formOf("查看").fill("period", "今年").send("查看")
	tb.waitText("每月收到的意见")
	tb.waitVisible(`[data-chart="stations"] svg`)

	type drawn struct {
		Chart  string  `json:"chart"`
		W      float64 `json:"w"`
		H      float64 `json:"h"`
		Shapes int     `json:"shapes"`
	}
	charts := eval[[]drawn](tb, `[...document.querySelectorAll('[data-chart]')].map(b => {
	  const s = b.querySelector('svg'); const r = s ? s.getBoundingClientRect() : {width: 0, height: 0};
	  return {chart: b.dataset.chart, w: r.width, h: r.height, shapes: s ? s.querySelectorAll('path, rect').length : 0};
	})`)
	if len(charts) != 5 {
		t.Errorf("%d charts on the page, want 5", len(charts))
	}
	for _, c := range charts {
		if c.W < 100 || c.H < 100 || c.Shapes == 0 {
			t.Errorf("chart %s was not drawn: %+v", c.Chart, c)
		}
	}
	tb.screenshot("dashboard")

	if got := tb.text(`[data-figure="total"] .stat-value`); got != strconv.Itoa(want.Total)+"件" {
		t.Errorf("total card %q, want %d件", got, want.Total)
	}
	if got := tb.text(`[data-figure="accept"] .stat-value`); got != want.Accept.Text() {
		t.Errorf("accept card %q, want %q", got, want.Accept.Text())
	}
	if got := tb.text(`[data-figure="reply-rate"] .stat-value`); got != want.ReplyOnline.Text() || !want.ReplyOnline.Enough {
		t.Errorf("reply rate card %q, want %q", got, want.ReplyOnline.Text())
	}
	rows := eval[[][]string](tb, `[...document.querySelectorAll('#table-stations tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))`)
	if len(rows) != len(want.Stations) {
		t.Fatalf("%d station rows, want %d", len(rows), len(want.Stations))
	}
	for i, s := range want.Stations {
		w := []string{s.Name, strconv.Itoa(s.Opinions), strconv.Itoa(s.Answered), strconv.Itoa(s.Solved), s.Reply.Text(),
			strconv.Itoa(s.Overdue), strconv.Itoa(s.ReceptionDays), strconv.Itoa(s.VotersReceived)}
		if strings.Join(rows[i], "|") != strings.Join(w, "|") {
			t.Errorf("station row %d: %v, want %v", i, rows[i], w)
		}
	}
	months := eval[[][]string](tb, `[...document.querySelectorAll('#table-months tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))`)
	for i, m := range want.ByMonth {
		if i >= len(months) || months[i][0] != m.Label || months[i][1] != strconv.Itoa(m.N) {
			t.Errorf("month row %d: %v, want %s %d", i, months, m.Label, m.N)
			break
		}
	}

	ph := app.open(phone)
	ph.signInAs(demoAdmin)
	ph.visit("/console/dashboard?period=this_year")
	ph.waitVisible(`[data-chart="months"] svg`)
	if w := eval[float64](ph, `document.querySelector('[data-chart="categories"]').getBoundingClientRect().width`); w > 375 || w < 250 {
		t.Errorf("on a phone the category chart is %.0f px wide", w)
	}
	ph.screenshot("dashboard")
}
