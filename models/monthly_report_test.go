package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/models/records"

	"gorm.io/gorm"
)

// reportEnv is a county of deputies in two groups, seeded with a year of
// records whose true figures the test keeps as it writes them.
type reportEnv struct {
	t     *testing.T
	ctx   context.Context
	db    *gorm.DB
	now   time.Time
	admin models.StaffScope
	staff uint64
	st    models.Station
	// truth[deputy][period][line] is what was seeded; period is "month"
	// (November 2026) or "ytd" (January to November 2026).
	truth   map[uint64]map[string]map[string]int
	nextDay int
	nextOp  int
}

func (e *reportEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// count adds n to line of the periods a local date falls in.
func (e *reportEnv) count(dep uint64, date, line string, n int) {
	if e.truth[dep] == nil {
		e.truth[dep] = map[string]map[string]int{"month": {}, "ytd": {}}
	}
	if date >= "2026-11-01" && date <= "2026-11-30" {
		e.truth[dep]["month"][line] += n
	}
	if date >= "2026-01-01" && date <= "2026-11-30" {
		e.truth[dep]["ytd"][line] += n
	}
}

func (e *reportEnv) deputy(name string, level models.Level, status models.DeputyStatus, termStart string) models.Deputy {
	e.t.Helper()
	d := models.Deputy{Name: name, Level: level, StationID: e.st.ID, Status: status, Term: "第十八届", TermStart: termStart}
	e.must(e.db.Create(&d).Error)
	return d
}

func (e *reportEnv) group(name string, members ...models.Deputy) models.DeputyGroup {
	e.t.Helper()
	g := models.DeputyGroup{Name: name}
	e.must(e.db.Create(&g).Error)
	for _, d := range members {
		e.must(e.db.Exec("INSERT INTO deputy_group_members (deputy_group_id, deputy_id) VALUES (?, ?)", g.ID, d.ID).Error)
	}
	return g
}

// activity enters an activity as staff do and reviews it: approved ones
// count, pending and rejected ones never do.
func (e *reportEnv) activity(d models.Deputy, typ models.ActivityType, date string, status models.ActivityStatus) {
	e.t.Helper()
	a, err := records.AddStaffActivity(e.ctx, e.db, e.admin, e.staff, records.ActivityInput{DeputyID: d.ID, Type: typ, Date: date,
		Title: typ.Label() + "活动", Loc: cst}, e.now)
	e.must(err)
	switch status {
	case models.ActivityApproved:
		_, err = records.ReviewActivities(e.ctx, e.db, e.admin, e.staff, []uint64{a.ID}, true, "", e.now)
		e.count(d.ID, date, records.ActivityLine(typ), 1)
	case models.ActivityRejected:
		_, err = records.ReviewActivities(e.ctx, e.db, e.admin, e.staff, []uint64{a.ID}, false, "没有佐证材料", e.now)
	}
	e.must(err)
}

// reception is a reception day the deputy signed in at, accrued as the job does.
func (e *reportEnv) reception(d models.Deputy, date string, voters int) {
	e.t.Helper()
	e.nextDay++
	e.must(e.db.Create(&models.ReceptionRecord{DayID: uint64(5000 + e.nextDay), DeputyID: d.ID, StationID: e.st.ID, Date: date,
		VotersReceived: voters, WalkIns: voters}).Error)
	e.count(d.ID, date, records.LineReception, 1)
	e.count(d.ID, date, records.LineVoters, voters)
}

// opinion is an opinion filed through d's code at a local time, with the
// voter's ratings (stage, score pairs).
func (e *reportEnv) opinion(d models.Deputy, status models.OpinionStatus, at time.Time, ratings ...string) {
	e.t.Helper()
	e.nextOp++
	id := d.ID
	created := at.UTC()
	o := models.Opinion{TrackingNo: fmt.Sprintf("YJ-R-%05d", e.nextOp), VoterID: uint64(e.nextOp), Source: "miniprogram",
		CategoryID: 1, Content: "小区路灯不亮", StationID: d.StationID, DeputyID: &id, RouteRule: "deputy", RouteReason: "扫码",
		Status: status, Round: 1, AcceptStartAt: created, AcceptDueAt: created, ReplyStartAt: created, ReplyDueAt: created,
		CreatedAt: created}
	e.must(e.db.Create(&o).Error)
	date := at.In(cst).Format(models.DateLayout)
	e.count(d.ID, date, records.LineOpinions, 1)
	if status == models.OpinionClosed {
		e.count(d.ID, date, records.LineClosed, 1)
	}
	for i := 0; i+1 < len(ratings); i += 2 {
		stage, score := ratings[i], ratings[i+1]
		e.must(e.db.Create(&models.OpinionRating{OpinionID: o.ID, Round: 1, Stage: stage, Score: score,
			VoterID: o.VoterID, StationID: o.StationID, CreatedAt: created.Add(72 * time.Hour)}).Error)
		line := map[string]string{models.StageReply + models.ScoreSatisfied: records.LineReplyGood,
			models.StageReply + models.ScoreBasically: records.LineReplyGood, models.StageReply + models.ScoreUnsatisfied: records.LineReplyBad,
			models.StageResult + models.ScoreSatisfied: records.LineResultGood, models.StageResult + models.ScoreBasically: records.LineResultGood,
			models.StageResult + models.ScoreUnsatisfied: records.LineResultBad}[stage+score]
		e.count(d.ID, date, line, 1)
	}
}

// seedYear gives d a year of records drawn from r: most in November, some
// earlier in 2026, some in December and in 2025 (neither counts), and
// entries pending or rejected (never counted).
func (e *reportEnv) seedYear(d models.Deputy, r *rand.Rand) {
	e.t.Helper()
	types := []models.ActivityType{models.ActMeeting, models.ActReview, models.ActInspection, models.ActContact,
		models.ActVisit, models.ActStudy, models.ActGroup, models.ActProposal, models.ActOther}
	day := func(m time.Month) string { return fmt.Sprintf("2026-%02d-%02d", m, 1+r.IntN(28)) }
	for range r.IntN(6) {
		e.activity(d, types[r.IntN(len(types))], day(time.November), models.ActivityApproved)
	}
	for range 1 + r.IntN(4) {
		e.activity(d, types[r.IntN(len(types))], day(time.Month(1+r.IntN(10))), models.ActivityApproved)
	}
	e.activity(d, types[r.IntN(len(types))], day(time.November), models.ActivityRejected)
	e.activity(d, types[r.IntN(len(types))], day(time.November), models.ActivityPending)
	e.activity(d, types[r.IntN(len(types))], "2026-12-03", models.ActivityApproved)
	e.activity(d, types[r.IntN(len(types))], "2025-11-20", models.ActivityApproved)
	for range r.IntN(3) {
		e.reception(d, day(time.November), 1+r.IntN(9))
	}
	e.reception(d, day(time.Month(1+r.IntN(10))), 1+r.IntN(9))
	statuses := []models.OpinionStatus{models.OpinionAccepted, models.OpinionReplied, models.OpinionClosed, models.OpinionClosed}
	scores := []string{models.ScoreSatisfied, models.ScoreBasically, models.ScoreUnsatisfied}
	for range r.IntN(5) {
		st := statuses[r.IntN(len(statuses))]
		var ratings []string
		if st != models.OpinionAccepted && r.IntN(3) > 0 {
			ratings = append(ratings, models.StageReply, scores[r.IntN(3)])
		}
		if st == models.OpinionClosed && r.IntN(2) == 0 {
			ratings = append(ratings, models.StageResult, scores[r.IntN(3)])
		}
		e.opinion(d, st, time.Date(2026, 11, 1+r.IntN(30), 8+r.IntN(10), 0, 0, 0, cst), ratings...)
	}
}

func newReportEnv(t *testing.T) *reportEnv {
	t.Helper()
	db := modelstest.NewDB(t)
	e := &reportEnv{t: t, ctx: context.Background(), db: db, now: time.Date(2026, 12, 20, 10, 0, 0, 0, cst),
		truth: map[uint64]map[string]map[string]int{}}
	e.st = seedStation(t, db, "东门社区代表联络站")
	s := models.Staff{Name: "项海燕", Role: models.RoleAdmin}
	e.must(db.Create(&s).Error)
	e.staff = s.ID
	e.admin = models.StaffScope{Actor: models.Actor{Kind: "staff", ID: s.ID}, All: true}
	return e
}

// median is the middle value, or the mean of the two middle ones.
func median(vals []int) float64 {
	if len(vals) == 0 {
		return 0
	}
	v := slices.Clone(vals)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return float64(v[len(v)/2])
	}
	return float64(v[len(v)/2-1]+v[len(v)/2]) / 2
}

// Ensure the 通报 of a seeded month matches the record: every figure is the
// seeded truth (and, for the whole year, DeputyRecord's), the medians are
// those of the deputy's groups and of the county's active deputies of the
// level whose term had begun, and nothing in it is a rank.
func TestMonthlyReportMatchesRecord(t *testing.T) {
	e := newReportEnv(t)
	county, township := models.LevelCounty, models.LevelTownship
	a1 := e.deputy("周建国", county, models.DeputyActive, "")
	a2 := e.deputy("吴丽华", county, models.DeputyActive, "")
	a3 := e.deputy("郑志强", county, models.DeputyActive, "2021-10-01")
	a4 := e.deputy("王秀英", county, models.DeputyActive, "")
	b1 := e.deputy("冯海涛", county, models.DeputyActive, "")
	b2 := e.deputy("陈桂芳", county, models.DeputyActive, "")
	b3 := e.deputy("褚明", county, models.DeputyActive, "")
	c1 := e.deputy("卫东", county, models.DeputyActive, "") // in no group
	t1 := e.deputy("蒋小燕", township, models.DeputyActive, "")
	t2 := e.deputy("沈国平", township, models.DeputyActive, "")
	retired := e.deputy("韩玉兰", county, models.DeputyRetired, "")
	late := e.deputy("杨帆", county, models.DeputyActive, "2026-12-05") // elected after November
	g1 := e.group("城关镇代表小组", a1, a2, a3, a4, retired)
	g2 := e.group("教科文卫专业代表小组", b1, b2, b3, a4, t1) // a county group: any level, a4 in both
	r := rand.New(rand.NewPCG(16, 2026))
	all := []models.Deputy{a1, a2, a3, a4, b1, b2, b3, c1, t1, t2, retired}
	for _, d := range all {
		e.seedYear(d, r)
	}
	e.activity(late, models.ActStudy, "2026-12-10", models.ActivityApproved)
	// At the month's edges, local time: 30 November 23:30 is November,
	// 1 December 00:10 is not; 31 October 23:50 is only in the year.
	e.opinion(a1, models.OpinionClosed, time.Date(2026, 11, 30, 23, 30, 0, 0, cst), models.StageReply, models.ScoreSatisfied)
	e.opinion(a1, models.OpinionClosed, time.Date(2026, 12, 1, 0, 10, 0, 0, cst), models.StageReply, models.ScoreUnsatisfied)
	e.opinion(a1, models.OpinionReplied, time.Date(2026, 10, 31, 23, 50, 0, 0, cst), models.StageReply, models.ScoreBasically)
	n, err := records.AccrueActivities(e.ctx, e.db, e.now, cst)
	e.must(err)
	if n != e.nextDay {
		t.Fatalf("accrued %d reception entries, seeded %d", n, e.nextDay)
	}

	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, cst)
	peers := map[string][]models.Deputy{
		"county": {a1, a2, a3, a4, b1, b2, b3, c1}, "township": {t1, t2},
		g1.Name: {a1, a2, a3, a4}, g2.Name: {b1, b2, b3, a4, t1},
	}
	truthOf := func(d models.Deputy, period, line string) int { return e.truth[d.ID][period][line] }
	medianOf := func(ds []models.Deputy, period, line string) float64 {
		vals := make([]int, len(ds))
		for i, d := range ds {
			vals[i] = truthOf(d, period, line)
		}
		return median(vals)
	}
	checked := 0
	for _, d := range all {
		rep, err := records.MonthlyReport(e.ctx, e.db, d.ID, nov, cst)
		e.must(err)
		if rep.Month != "2026-11" || rep.MonthLabel != "2026年11月" || rep.ThisMonth.From != "2026-11-01" || rep.ThisMonth.To != "2026-11-30" ||
			rep.YearToDate.From != "2026-01-01" || rep.YearToDate.To != "2026-11-30" || rep.YearToDate.Label != "1月至11月" {
			t.Fatalf("%s: periods %s %s %+v %+v", d.Name, rep.Month, rep.MonthLabel, rep.ThisMonth.From, rep.YearToDate.Label)
		}
		cp := peers["county"]
		if d.Level == township {
			cp = peers["township"]
		}
		if rep.CountyMembers != len(cp) || rep.CountyLabel != d.Level.Label() {
			t.Errorf("%s: county peers %d %q, want %d", d.Name, rep.CountyMembers, rep.CountyLabel, len(cp))
		}
		var gs []string
		for _, g := range rep.Groups {
			gs = append(gs, fmt.Sprintf("%s/%d", g.Name, g.Members))
			if g.Members != len(peers[g.Name]) {
				t.Errorf("%s: group %s counts %d members, want %d (active ones)", d.Name, g.Name, g.Members, len(peers[g.Name]))
			}
		}
		for period, p := range map[string]records.ReportPeriod{"month": rep.ThisMonth, "ytd": rep.YearToDate} {
			if len(p.Lines) != 8+len(models.ActivityTypes)-1 {
				t.Fatalf("%s: %d lines", d.Name, len(p.Lines))
			}
			for _, l := range p.Lines {
				if want := truthOf(d, period, l.Key); l.Own != want {
					t.Errorf("%s %s %s: %d, seeded %d", d.Name, period, l.Label, l.Own, want)
				}
				if want := medianOf(cp, period, l.Key); l.County != want {
					t.Errorf("%s %s %s: county median %v, want %v", d.Name, period, l.Label, l.County, want)
				}
				if len(l.Groups) != len(rep.Groups) {
					t.Fatalf("%s: %d group medians for groups %v", d.Name, len(l.Groups), gs)
				}
				for i, g := range rep.Groups {
					if want := medianOf(peers[g.Name], period, l.Key); l.Groups[i] != want {
						t.Errorf("%s %s %s: median of %s %v, want %v", d.Name, period, l.Label, g.Name, l.Groups[i], want)
					}
				}
				checked++
			}
		}
		wantGroups := map[uint64]string{a4.ID: "[城关镇代表小组/4 教科文卫专业代表小组/5]", c1.ID: "[]", t2.ID: "[]",
			t1.ID: "[教科文卫专业代表小组/5]", a1.ID: "[城关镇代表小组/4]", retired.ID: "[城关镇代表小组/4]"}
		if w, ok := wantGroups[d.ID]; ok && fmt.Sprint(gs) != w && !(w == "[]" && gs == nil) {
			t.Errorf("%s: groups %v, want %s", d.Name, gs, w)
		}
	}
	if checked < 300 {
		t.Fatalf("only %d figures checked", checked)
	}
	// The edges: a1's November has the 23:30 item and not the 00:10 one.
	rep, err := records.MonthlyReport(e.ctx, e.db, a1.ID, nov, cst)
	e.must(err)
	if rep.ThisMonth.Line(records.LineOpinions).Own == rep.YearToDate.Line(records.LineOpinions).Own {
		t.Errorf("the 31 October item must count in the year only")
	}

	// December's year to date is the whole year: DeputyRecord's figures.
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, cst)
	for _, d := range all {
		rep, err := records.MonthlyReport(e.ctx, e.db, d.ID, dec, cst)
		e.must(err)
		rec, err := records.DeputyRecord(e.ctx, e.db, d.ID, 2026, cst)
		e.must(err)
		y := rep.YearToDate
		for _, c := range rec.Counts {
			key := records.ActivityLine(c.Type)
			if c.Type == models.ActReception {
				key = records.LineReception
			}
			if got := y.Line(key).Own; got != c.Count {
				t.Errorf("%s: %s %d in the 通报, %d in the record", d.Name, c.Label, got, c.Count)
			}
		}
		closed := 0
		for _, s := range rec.Context.ByStatus {
			if s.Key == string(models.OpinionClosed) {
				closed = s.Count
			}
		}
		rc := rec.Context
		want := map[string]int{records.LineVoters: rec.VotersReceived, records.LineOpinions: rc.Opinions, records.LineClosed: closed,
			records.LineReplyGood: rc.ReplyRatings[0].Count + rc.ReplyRatings[1].Count, records.LineReplyBad: rc.ReplyRatings[2].Count,
			records.LineResultGood: rc.ResultRatings[0].Count + rc.ResultRatings[1].Count, records.LineResultBad: rc.ResultRatings[2].Count}
		for key, w := range want {
			if got := y.Line(key).Own; got != w {
				t.Errorf("%s: %s %d in the 通报, %d in the record", d.Name, y.Line(key).Label, got, w)
			}
		}
	}
	// The late deputy counts in December's county median, not November's.
	rep, err = records.MonthlyReport(e.ctx, e.db, c1.ID, dec, cst)
	e.must(err)
	if rep.CountyMembers != 9 {
		t.Errorf("December's county peers: %d, want 9 (the one elected on 12-05 too)", rep.CountyMembers)
	}
	noRank(t, reflect.TypeOf(rep), "MonthReport")
}

// noRank fails when a type reachable from typ has a field that places a
// deputy among others (a rank, a position, a percentile, a "top").
func noRank(t *testing.T, typ reflect.Type, path string) {
	t.Helper()
	switch typ.Kind() {
	case reflect.Slice, reflect.Pointer, reflect.Map:
		noRank(t, typ.Elem(), path)
		return
	case reflect.Struct:
	default:
		return
	}
	if typ.PkgPath() != "deputylink/models/records" {
		return
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name := strings.ToLower(f.Name)
		for _, bad := range []string{"rank", "position", "percentile", "top", "order", "place"} {
			if strings.Contains(name, bad) {
				t.Errorf("%s.%s looks like a rank", path, f.Name)
			}
		}
		noRank(t, f.Type, path+"."+f.Name)
	}
}

// Ensure only ended months of the last two years have a 通报, and a
// deputy's list starts at their term.
func TestReportMonths(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 30, 0, 0, cst) // 30 November 16:30 UTC
	for _, c := range []struct {
		in   string
		want string
	}{
		{"2026-11", "2026-11-01"}, {"2026-01", "2026-01-01"}, {"2024-01", "2024-01-01"},
		{"2026-12", "report_month"}, {"2027-01", "report_month"}, {"2023-12", "report_month"},
		{"2026-1", "report_month"}, {"2026-13", "report_month"}, {"202611", "report_month"}, {"", "report_month"}, {"2026-11-01", "report_month"},
	} {
		m, err := records.ParseReportMonth(c.in, now, cst)
		got := codeOfErr(err)
		if err == nil {
			got = m.Format(models.DateLayout)
		}
		if got != c.want {
			t.Errorf("ParseReportMonth(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	months := records.ReportMonths(models.Deputy{TermStart: "2026-07-15"}, now, cst, 0)
	if fmt.Sprint(months) != "[{2026-11 2026年11月} {2026-10 2026年10月} {2026-09 2026年9月} {2026-08 2026年8月} {2026-07 2026年7月}]" {
		t.Errorf("months since a July term: %v", months)
	}
	if months := records.ReportMonths(models.Deputy{}, now, cst, 0); len(months) != 12 || months[11].Month != "2025-12" {
		t.Errorf("twelve months: %v", months)
	}
	if months := records.ReportMonths(models.Deputy{TermStart: "2026-12-01"}, now, cst, 0); len(months) != 0 {
		t.Errorf("a deputy elected this month has no 通报 yet: %v", months)
	}
	// A deputy's months start with the month their term began in.
	d := models.Deputy{TermStart: "2026-07-15"}
	for month, want := range map[string]string{"2026-07": "2026-07-01", "2026-06": "report_month", "2026-11": "2026-11-01"} {
		m, err := records.DeputyReportMonth(d, month, now, cst)
		got := codeOfErr(err)
		if err == nil {
			got = m.Format(models.DateLayout)
		}
		if got != want {
			t.Errorf("DeputyReportMonth(%s) = %s, want %s", month, got, want)
		}
	}
}

// Ensure the demo gives last month's 通报 something to show: the demo
// deputies voters reached through their codes have opinions, how they
// ended and ratings, every active county deputy of 城关镇's group has a
// non-empty month, and loading again files nothing more.
func TestDemoMonthlyReport(t *testing.T) {
	db, st := loadDemoRecordsDB(t, nil)
	ctx := context.Background()
	var withCode int64
	if err := db.Model(&models.Opinion{}).Where("deputy_id IS NOT NULL").Count(&withCode).Error; err != nil {
		t.Fatal(err)
	}
	if st.Opinions == 0 || int64(st.Opinions) != withCode {
		t.Fatalf("stats say %d opinions through codes, the table has %d", st.Opinions, withCode)
	}
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, cst)
	var deps []models.Deputy
	if err := db.Where("name IN ?", []string{"张海明", "王桂英", "李文涛", "赵春燕", "刘德胜"}).Find(&deps).Error; err != nil || len(deps) != 5 {
		t.Fatalf("demo deputies: %d, %v", len(deps), err)
	}
	opinions, rated := 0, 0
	for _, d := range deps {
		rep, err := records.MonthlyReport(ctx, db, d.ID, nov, cst)
		if err != nil {
			t.Fatal(err)
		}
		own := 0
		for _, l := range rep.ThisMonth.Lines {
			own += l.Own
		}
		if own == 0 || len(rep.Groups) == 0 {
			t.Errorf("%s: November is empty (%d) or in no group (%v)", d.Name, own, rep.Groups)
		}
		opinions += rep.ThisMonth.Line(records.LineOpinions).Own
		rated += rep.ThisMonth.Line(records.LineReplyGood).Own + rep.ThisMonth.Line(records.LineReplyBad).Own
	}
	if opinions == 0 || rated == 0 {
		t.Fatalf("the group's November: %d opinions through codes, %d rated", opinions, rated)
	}
	again, err := models.LoadDemoRecords(ctx, db, recNow, cst)
	if err != nil || again.Opinions != 0 {
		t.Fatalf("second load filed %d, %v", again.Opinions, err)
	}
}
