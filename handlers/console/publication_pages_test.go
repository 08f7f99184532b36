package console_test

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/wechat/wechattest"
)

// Ensure a clerk publishes a closed item from its page: the form shows only
// on a closed item of their station, text with a phone is refused with the
// Chinese message and what was typed kept, a good one is public at once
// (the API lists it) and in the timeline and the history; withdrawing from
// the list takes it out of the API again.
func TestPublishFromTheItemPage(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	op := e.file(e.east.ID, conT0)
	clerk, clerkW, boss := e.browser("clerk_e"), e.browser("clerk_w"), e.browser("admin")
	base := itemPath(op.ID)
	if _, body := clerk.get(base); strings.Contains(body, `id="act-publish"`) {
		t.Error("the publish form shows on an open item")
	}
	if st, loc, _ := boss.post(base+"/close", url.Values{}); st != 303 || !strings.Contains(loc, base) {
		t.Fatalf("close: %d %s", st, loc)
	}
	if st, body := clerk.get(base); st != 200 || !strings.Contains(body, `id="act-publish"`) || !strings.Contains(body, "不要写姓名、电话") {
		t.Fatalf("closed item: %d, no publish form", st)
	}
	if st, _, _ := clerkW.post(base+"/publish", url.Values{"summary": {"路灯损坏"}, "result": {"已修复"}}); st != 404 {
		t.Errorf("another station's clerk publishes: %d", st)
	}

	summary := "东门菜市场门口路灯损坏，夜间出行不便。"
	st, _, body := clerk.post(base+"/publish", url.Values{"summary": {summary}, "result": {"已修复，请拨打13912345678了解详情。"}})
	if st != 400 || !strings.Contains(body, "公开内容不能包含电话号码") || !strings.Contains(body, summary) {
		t.Errorf("phone in the result: %d, message or kept text missing", st)
	}
	if r, _ := clerk.do("POST", base+"/publish", url.Values{"csrf": {"forged"}, "summary": {summary}, "result": {"已修复"}}); r.StatusCode != 403 {
		t.Errorf("forged CSRF token: %d", r.StatusCode)
	}
	var n int64
	e.db.Model(&models.OpinionPublication{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d publications after refusals", n)
	}

	st, loc, _ := clerk.post(base+"/publish", url.Values{"summary": {summary}, "result": {"镇政府已更换路灯，恢复照明。"}})
	if st != 303 || loc != base+"?ok="+url.QueryEscape("已公开办理结果") {
		t.Fatalf("publish: %d %s", st, loc)
	}
	_, body = clerk.get(base)
	for _, want := range []string{`id="pub-live"`, summary, "办理结果已在“办理结果公开”中发布", "公开办理结果", `id="unpublish"`} {
		if !strings.Contains(body, want) {
			t.Errorf("item page after publishing lacks %q", want)
		}
	}
	var list struct{ Items []models.PublicResult }
	e.call("GET", "/api/v1/results", conReq{}, &list)
	if len(list.Items) != 1 || list.Items[0].Summary != summary || list.Items[0].Station.ID != e.east.ID {
		t.Fatalf("public list: %+v", list.Items)
	}

	st, body = clerk.get("/console/publications")
	if st != 200 || !strings.Contains(body, op.TrackingNo) || !strings.Contains(body, "已公开") {
		t.Errorf("publications page: %d", st)
	}
	if _, body = clerkW.get("/console/publications"); strings.Contains(body, op.TrackingNo) {
		t.Error("another station's clerk sees the east item in the list")
	}
	st, loc, _ = clerk.post(base+"/unpublish", url.Values{"back": {"list"}})
	if st != 303 || loc != "/console/publications?ok="+url.QueryEscape("已撤回公开") {
		t.Errorf("withdraw from the list: %d %s", st, loc)
	}
	list.Items = nil
	e.call("GET", "/api/v1/results", conReq{}, &list)
	if len(list.Items) != 0 {
		t.Errorf("public list after withdrawal: %+v", list.Items)
	}
	if _, body = clerk.get(base); !strings.Contains(body, `id="pub-withdrawn"`) || !strings.Contains(body, "办理结果已撤回公开") || !strings.Contains(body, `id="act-publish"`) {
		t.Error("item page after withdrawal: no withdrawal note, timeline line or form to publish again")
	}
}

// Ensure the public figures count what the database holds for the last 12
// months (items seeded over 18 months at three stations, counted here with
// SQL of the test's own and medians by hand), give rates only from the
// minimum sample up, and equal the dashboard's station table for the same
// period, each counted afresh.
func TestResultStatsEqualTheDatabaseAndTheDashboard(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	var third models.Station
	must(t, e.db.Where("name = ?", "白沙镇代表联络站").First(&third).Error)
	var cat models.Category
	must(t, e.db.Order("id").First(&cat).Error)
	// Seed: east 30 items, west 12, third 5, over the 540 days before now;
	// statuses cycle, a reply 0 to 13 days after filing, some closed by the
	// office without a reply.
	seeded := 0
	for si, st := range []struct {
		id uint64
		n  int
	}{{e.east.ID, 30}, {e.west.ID, 12}, {third.ID, 5}} {
		for i := range st.n {
			created := conT0.Add(-time.Duration((i*541/st.n+si*7)%540) * 24 * time.Hour).Add(-time.Duration(i%9) * time.Hour)
			op := models.Opinion{TrackingNo: fmt.Sprintf("YJ-SEED-%d-%d", si, i), Source: "miniprogram", CategoryID: cat.ID,
				Content: "路灯坏了，晚上很不安全。", StationID: st.id, Status: models.OpinionAccepted, Round: 1,
				AcceptDays: 2, ReplyDays: 15, AcceptStartAt: created, AcceptDueAt: created.Add(72 * time.Hour),
				ReplyStartAt: created, ReplyDueAt: created.Add(20 * 24 * time.Hour), CreatedAt: created, UpdatedAt: created}
			switch i % 5 {
			case 1, 2, 3:
				replied := created.Add(time.Duration(i%14) * 24 * time.Hour).Add(3 * time.Hour)
				if replied.After(conT0) {
					replied = conT0
				}
				op.RepliedAt, op.Status = &replied, models.OpinionReplied
				if i%5 != 1 {
					op.ClosedAt, op.Status = &replied, models.OpinionClosed
				}
			case 4:
				if i%2 == 0 { // closed by the office without a reply
					op.ClosedAt, op.Status = &created, models.OpinionClosed
				}
			}
			must(t, e.db.Create(&op).Error)
			seeded++
		}
	}
	from, to := models.ResultWindow(conT0, conLoc)
	fromT, _ := time.ParseInLocation(models.DateLayout, from, conLoc)
	toT, _ := time.ParseInLocation(models.DateLayout, to, conLoc)
	toT = toT.AddDate(0, 0, 1)
	if from != "2025-11-25" || to != "2026-11-24" {
		t.Fatalf("window %s to %s", from, to)
	}

	// The test's own count.
	var counts []struct {
		StationID               uint64
		Filed, Answered, Solved int
	}
	must(t, e.db.Raw("SELECT station_id, COUNT(*) AS filed, SUM(CASE WHEN replied_at IS NOT NULL THEN 1 ELSE 0 END) AS answered, "+
		"SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END) AS solved FROM opinions WHERE created_at >= ? AND created_at < ? GROUP BY station_id",
		fromT.UTC(), toT.UTC()).Scan(&counts).Error)
	var replied []models.Opinion
	must(t, e.db.Where("created_at >= ? AND created_at < ? AND replied_at IS NOT NULL", fromT.UTC(), toT.UTC()).Find(&replied).Error)
	days := map[uint64][]float64{}
	for _, op := range replied {
		d := 0
		for day := midnightIn(op.ReplyStartAt).AddDate(0, 0, 1); !day.After(midnightIn(*op.RepliedAt)); day = day.AddDate(0, 0, 1) {
			if e.cal.IsWorkingDay(day) {
				d++
			}
		}
		days[op.StationID] = append(days[op.StationID], float64(d))
	}
	inWindow := 0
	want := map[uint64]models.StationStat{}
	for _, c := range counts {
		inWindow += c.Filed
		r := models.StationStat{StationID: c.StationID, Filed: c.Filed, Answered: c.Answered, Solved: c.Solved}
		if ds := days[c.StationID]; len(ds) > 0 {
			slices.Sort(ds)
			m := ds[len(ds)/2]
			if len(ds)%2 == 0 {
				m = math.Round((ds[len(ds)/2-1]+ds[len(ds)/2])/2*10) / 10
			}
			r.MedianWorkingDays = &m
		}
		want[c.StationID] = r
	}
	if inWindow == seeded || inWindow == 0 || len(want) != 3 {
		t.Fatalf("seed: %d items, %d in the window at %d stations; the test needs some outside", seeded, inWindow, len(want))
	}

	// The dashboard first, counted afresh, then the public figures afresh.
	dash := e.browser("admin")
	st, page := dash.get("/console/dashboard?period=custom&from=" + from + "&to=" + to)
	if st != 200 {
		t.Fatalf("dashboard: %d", st)
	}
	e.dropFigureCache()
	var stats models.ResultStats
	r := e.call("GET", "/api/v1/results/stats", conReq{}, &stats)
	if r.StatusCode != 200 || stats.Months != 12 || stats.MinSample != 20 || stats.From != from || stats.To != to {
		t.Fatalf("stats: %d %+v", r.StatusCode, stats)
	}
	var stations int64
	e.db.Model(&models.Station{}).Count(&stations)
	if len(stats.Items) != int(stations) {
		t.Errorf("%d stations in the figures, %d in the database", len(stats.Items), stations)
	}
	rows := dashboardRows(t, page)
	for _, got := range stats.Items {
		w := want[got.StationID]
		if got.Filed != w.Filed || got.Answered != w.Answered || got.Solved != w.Solved || !sameMedian(got.MedianWorkingDays, w.MedianWorkingDays) {
			t.Errorf("station %d %s: %+v, the database says %+v", got.StationID, got.StationName, got, w)
		}
		rate := func(n int) *float64 {
			if w.Filed < 20 {
				return nil
			}
			v := math.Round(float64(n)*1000/float64(w.Filed)) / 10
			return &v
		}
		if !sameMedian(got.AnsweredRate, rate(w.Answered)) || !sameMedian(got.SolvedRate, rate(w.Solved)) {
			t.Errorf("station %d rates %v %v with %d filed", got.StationID, fmtF(got.AnsweredRate), fmtF(got.SolvedRate), w.Filed)
		}
		medianText := "暂无"
		if got.MedianWorkingDays != nil {
			medianText = strconv.FormatFloat(*got.MedianWorkingDays, 'f', -1, 64) + "个工作日"
		}
		if d := rows[got.StationID]; d != [4]string{strconv.Itoa(got.Filed), strconv.Itoa(got.Answered), strconv.Itoa(got.Solved), medianText} {
			t.Errorf("station %d: the dashboard shows %v, the public figures %+v", got.StationID, d, got)
		}
	}
	if east := want[e.east.ID]; east.Filed < 20 || want[third.ID].Filed >= 20 {
		t.Errorf("the seed should put east over the minimum sample and the third station under it: %+v", want)
	}

	// One station; unknown and bad ones.
	var one struct{ Items []models.StationStat }
	if r := e.call("GET", "/api/v1/results/stats?station_id="+idStr(e.west.ID), conReq{}, &one); r.StatusCode != 200 || len(one.Items) != 1 || one.Items[0].Filed != want[e.west.ID].Filed {
		t.Errorf("one station: %d %+v", r.StatusCode, one.Items)
	}
	var eb errBody
	if r := e.call("GET", "/api/v1/results/stats?station_id=999999", conReq{}, &eb); r.StatusCode != 404 || eb.Error.Code != "station_not_found" {
		t.Errorf("unknown station: %d %+v", r.StatusCode, eb)
	}
	if r := e.call("GET", "/api/v1/results/stats?station_id=abc", conReq{}, &eb); r.StatusCode != 400 || eb.Error.Code != "invalid_station_id" {
		t.Errorf("bad station: %d %+v", r.StatusCode, eb)
	}
}

func midnightIn(t time.Time) time.Time {
	l := t.In(conLoc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, conLoc)
}

func sameMedian(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func fmtF(f *float64) string {
	if f == nil {
		return "null"
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// dropFigureCache removes the cached figures, so the next reader counts.
func (e *pageEnv) dropFigureCache() {
	e.t.Helper()
	ctx := e.t.Context()
	keys, err := wechattest.Keys(ctx, e.rd.Client, e.rd.Prefix+shared.FiguresCacheKey+"*")
	must(e.t, err)
	if len(keys) == 0 {
		e.t.Fatal("the dashboard cached no figures for a year's period")
	}
	must(e.t, e.rd.Client.Del(ctx, keys...).Err())
}

var dashRowRe = regexp.MustCompile(`<tr data-station="(\d+)"><td>[^<]*</td><td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">([^<]*)</td>`)

// dashboardRows reads the dashboard's station table: filed, answered,
// solved and the median text by station id.
func dashboardRows(t *testing.T, page string) map[uint64][4]string {
	t.Helper()
	out := map[uint64][4]string{}
	for _, m := range dashRowRe.FindAllStringSubmatch(page, -1) {
		id, _ := strconv.ParseUint(m[1], 10, 64)
		out[id] = [4]string{m[2], m[3], m[4], m[5]}
	}
	if len(out) == 0 {
		t.Fatal("no station rows on the dashboard")
	}
	return out
}
