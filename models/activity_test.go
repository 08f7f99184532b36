package models_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/models/records"

	"gorm.io/gorm"
)

// recEnv is two stations (the second in another township), deputies of
// each, a deputy serving both, and the staff scopes of the two stations.
type recEnv struct {
	t                  *testing.T
	ctx                context.Context
	db                 *gorm.DB
	st1, st2           models.Station
	zhang, li, wang    models.Deputy // st1, st2, st2 with st1 as another station
	clerk1, clerk2     models.StaffScope
	admin              models.StaffScope
	now                time.Time
	reviewer, enterer  uint64
	nextDay, nextOpNum int
}

func newRecEnv(t *testing.T) *recEnv {
	t.Helper()
	db := modelstest.NewDB(t)
	e := &recEnv{t: t, ctx: context.Background(), db: db, now: at(2026, 4, 15, 10, 0)}
	e.st1 = seedStation(t, db, "东门社区代表联络站")
	e.st2 = models.Station{Kind: models.KindHome, Name: "桥头镇代表之家", Address: "桥头镇中街1号", District: "桥头镇",
		OpenHours: "周一至周五 9:00-17:00"}
	e.must(db.Create(&e.st2).Error)
	e.zhang = seedDeputy(t, db, e.st1.ID, "张三", models.DeputyActive)
	e.li = seedDeputy(t, db, e.st2.ID, "李四", models.DeputyActive)
	e.wang = seedDeputy(t, db, e.st2.ID, "王五", models.DeputyActive)
	e.must(db.Exec("INSERT INTO deputy_stations (deputy_id, station_id) VALUES (?, ?)", e.wang.ID, e.st1.ID).Error)
	for _, s := range []*models.Staff{{Name: "陈联络", Role: models.RoleClerk}, {Name: "周联络", Role: models.RoleClerk}} {
		e.must(db.Create(s).Error)
		if e.reviewer == 0 {
			e.reviewer = s.ID
		} else {
			e.enterer = s.ID
		}
	}
	e.clerk1 = models.StaffScope{Actor: models.Actor{Kind: "staff", ID: e.reviewer}, StationIDs: []uint64{e.st1.ID}}
	e.clerk2 = models.StaffScope{Actor: models.Actor{Kind: "staff", ID: e.enterer}, StationIDs: []uint64{e.st2.ID}}
	e.admin = models.StaffScope{Actor: models.Actor{Kind: "staff", ID: 99}, All: true}
	return e
}

func (e *recEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// record seeds a closed reception day's record of a deputy who signed in.
func (e *recEnv) record(dep models.Deputy, st models.Station, date string, checkedIn, walkIns int) models.ReceptionRecord {
	e.t.Helper()
	e.nextDay++
	r := models.ReceptionRecord{DayID: uint64(1000 + e.nextDay), DeputyID: dep.ID, StationID: st.ID, Date: date,
		VotersReceived: checkedIn + walkIns, CheckedIn: checkedIn, WalkIns: walkIns}
	e.must(e.db.Create(&r).Error)
	return r
}

// opinion seeds an opinion filed through dep's code, with its ratings.
func (e *recEnv) opinion(dep models.Deputy, status models.OpinionStatus, created time.Time, ratings ...string) {
	e.t.Helper()
	e.nextOpNum++
	id := dep.ID
	created = created.UTC() // stored in UTC, as FileOpinion does
	o := models.Opinion{TrackingNo: fmt.Sprintf("YJ20260301-%04d", e.nextOpNum), VoterID: uint64(e.nextOpNum),
		Source: "miniprogram", CategoryID: 1, Content: "路灯坏了", StationID: dep.StationID, DeputyID: &id,
		RouteRule: "deputy", RouteReason: "扫码", Status: status, Round: 1, AcceptStartAt: created, AcceptDueAt: created,
		ReplyStartAt: created, ReplyDueAt: created, CreatedAt: created}
	e.must(e.db.Create(&o).Error)
	for i := 0; i+1 < len(ratings); i += 2 {
		e.must(e.db.Create(&models.OpinionRating{OpinionID: o.ID, Round: 1, Stage: ratings[i], Score: ratings[i+1],
			VoterID: o.VoterID, StationID: o.StationID}).Error)
	}
}

func (e *recEnv) count(where ...any) int64 {
	e.t.Helper()
	var n int64
	q := e.db.Model(&models.Activity{})
	if len(where) > 0 {
		q = q.Where(where[0], where[1:]...)
	}
	e.must(q.Count(&n).Error)
	return n
}

func codeOfErr(err error) string {
	var ce *models.CodedError
	if errors.As(err, &ce) {
		return ce.Code
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return "invalid:" + ve.Field
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// A month of receptions: only the deputies who signed in have records
// (CloseReceptionDay), and each record becomes one approved 接待选民 entry
// with the voters received; a second run creates nothing.
func TestAccrueActivities(t *testing.T) {
	e := newRecEnv(t)
	e.record(e.zhang, e.st1, "2026-03-03", 4, 1)
	e.record(e.zhang, e.st1, "2026-03-17", 2, 0)
	e.record(e.wang, e.st1, "2026-03-17", 2, 0)
	e.record(e.li, e.st2, "2026-03-24", 0, 3)
	// Voters' opinions through Zhang's code are context, never entries.
	e.opinion(e.zhang, models.OpinionClosed, at(2026, 3, 5, 9, 0), models.StageReply, models.ScoreSatisfied)

	n, err := records.AccrueActivities(e.ctx, e.db, e.now, cst)
	if err != nil || n != 4 {
		t.Fatalf("first run: %d %v", n, err)
	}
	if n, err := records.AccrueActivities(e.ctx, e.db, e.now.Add(time.Hour), cst); err != nil || n != 0 {
		t.Fatalf("second run: %d %v", n, err)
	}
	if c := e.count(); c != 4 {
		t.Fatalf("entries after two runs: %d", c)
	}
	var zs []models.Activity
	e.must(e.db.Where("deputy_id = ?", e.zhang.ID).Order("date").Find(&zs).Error)
	if len(zs) != 2 || zs[0].Date != "2026-03-03" || zs[0].Voters != 5 || zs[1].Voters != 2 ||
		zs[0].Type != models.ActReception || zs[0].Status != models.ActivityApproved || zs[0].Source != models.SourceAuto ||
		zs[0].Title != "参加接待日：东门社区代表联络站" {
		t.Fatalf("zhang's entries: %+v", zs)
	}
	rec, err := records.DeputyRecord(e.ctx, e.db, e.zhang.ID, 2026, cst)
	e.must(err)
	if rec.VotersReceived != 7 || rec.Approved != 2 || rec.Counts[4].Type != models.ActReception || rec.Counts[4].Count != 2 {
		t.Fatalf("record: %+v", rec)
	}
	if rec.Counts[8].Type != models.ActProposal || rec.Counts[8].Count != 0 || rec.Context.Opinions != 1 {
		t.Fatalf("opinions through the code must be context, not proposals: %+v", rec)
	}

	// A new record later accrues alone; a closed year's records do not.
	e.record(e.li, e.st2, "2026-04-07", 1, 1)
	e.must(e.db.Create(&models.Evaluation{Year: 2025, Level: models.LevelCounty, Status: models.EvaluationClosed}).Error)
	e.record(e.li, e.st2, "2025-12-20", 1, 0)
	if n, err := records.AccrueActivities(e.ctx, e.db, e.now, cst); err != nil || n != 1 {
		t.Fatalf("third run: %d %v", n, err)
	}
}

func TestAddActivityRules(t *testing.T) {
	e := newRecEnv(t)
	e.must(e.db.Model(&e.zhang).Update("term_start", "2026-02-01").Error)
	ok := records.ActivityInput{DeputyID: e.zhang.ID, Type: models.ActVisit, Date: "2026-04-10",
		Title: "走访东门社区独居老人", Description: "走访5户，收集意见2条。",
		Files: []records.ActivityFileInput{{Kind: "photo", Name: "走访.jpg", Path: "uploads/activity/2026/04/a.jpg", Size: 10}}}
	with := func(edit func(*records.ActivityInput)) records.ActivityInput {
		in := ok
		edit(&in)
		return in
	}
	cases := []struct {
		name  string
		scope models.StaffScope
		in    records.ActivityInput
		want  string
	}{
		{"another station's clerk", e.clerk2, ok, "deputy_not_found"},
		{"unknown deputy", e.admin, with(func(in *records.ActivityInput) { in.DeputyID = 9999 }), "deputy_not_found"},
		{"future", e.clerk1, with(func(in *records.ActivityInput) { in.Date = "2026-04-16" }), "invalid:date"},
		{"not a date", e.clerk1, with(func(in *records.ActivityInput) { in.Date = "2026-02-30" }), "invalid:date"},
		{"before the term", e.clerk1, with(func(in *records.ActivityInput) { in.Date = "2026-01-20" }), "invalid:date"},
		{"too old", e.admin, with(func(in *records.ActivityInput) { in.Date = "2024-12-01" }), "invalid:date"},
		{"short title", e.clerk1, with(func(in *records.ActivityInput) { in.Title = " 走 " }), "invalid:title"},
		{"unknown type", e.clerk1, with(func(in *records.ActivityInput) { in.Type = "party" }), "invalid:type"},
		{"reception by hand", e.clerk1, with(func(in *records.ActivityInput) { in.Type = models.ActReception }), "invalid:type"},
		{"seven files", e.clerk1, with(func(in *records.ActivityInput) {
			in.Files = make([]records.ActivityFileInput, 7)
			for i := range in.Files {
				in.Files[i] = ok.Files[0]
			}
		}), "invalid:files"},
		{"a path outside the evidence", e.clerk1, with(func(in *records.ActivityInput) {
			in.Files = []records.ActivityFileInput{{Kind: "pdf", Name: "x.pdf", Path: "uploads/dept/x.pdf"}}
		}), "invalid:files"},
		{"the deputy's other station", e.clerk1, with(func(in *records.ActivityInput) { in.DeputyID = e.wang.ID }), ""},
		{"own station", e.clerk1, ok, ""},
	}
	for _, c := range cases {
		a, err := records.AddStaffActivity(e.ctx, e.db, c.scope, c.scope.Actor.ID, c.in, e.now)
		if got := codeOfErr(err); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
			continue
		}
		if c.want == "" && (a.Status != models.ActivityPending || a.Source != models.SourceStaff || a.EnteredByStaffID == nil) {
			t.Errorf("%s: %+v", c.name, a)
		}
	}
	if n := e.count(); n != 2 {
		t.Fatalf("refused entries left rows: %d", n)
	}
	var files int64
	e.must(e.db.Model(&models.ActivityFile{}).Count(&files).Error)
	if files != 2 {
		t.Fatalf("files: %d", files)
	}
	a, err := records.AddDeputyActivity(e.ctx, e.db, e.li.ID, with(func(in *records.ActivityInput) { in.DeputyID = e.zhang.ID }), e.now)
	if err != nil || a.DeputyID != e.li.ID || a.Source != models.SourceDeputy || a.Status != models.ActivityPending {
		t.Fatalf("deputy's own: %+v %v", a, err)
	}
	// A closed year takes no new entries.
	e.must(e.db.Create(&models.Evaluation{Year: 2025, Level: models.LevelCounty, Status: models.EvaluationClosed}).Error)
	if _, err := records.AddDeputyActivity(e.ctx, e.db, e.li.ID, with(func(in *records.ActivityInput) { in.Date = "2025-11-03" }), e.now); codeOfErr(err) != "invalid:date" {
		t.Fatalf("closed year: %v", err)
	}
}

func TestReviewActivities(t *testing.T) {
	e := newRecEnv(t)
	add := func(dep models.Deputy, date, title string) models.Activity {
		a, err := records.AddDeputyActivity(e.ctx, e.db, dep.ID, records.ActivityInput{Type: models.ActStudy, Date: date, Title: title}, e.now)
		e.must(err)
		return a
	}
	z1, z2, z3 := add(e.zhang, "2026-03-01", "参加代表履职培训"), add(e.zhang, "2026-03-02", "参加专题学习"), add(e.zhang, "2026-03-03", "参加法律讲座")
	l1 := add(e.li, "2026-03-04", "参加镇代表培训")
	w1 := add(e.wang, "2025-12-04", "参加年终学习")

	// Another station's clerk: 404 for the whole batch, nothing written.
	if _, err := records.ReviewActivities(e.ctx, e.db, e.clerk1, e.reviewer, []uint64{z1.ID, l1.ID}, true, "", e.now); !errors.Is(err, records.ErrActivityNotFound) {
		t.Fatalf("mixed batch: %v", err)
	}
	if n := e.count("status = ?", models.ActivityPending); n != 5 {
		t.Fatalf("partial write: %d pending", n)
	}
	if _, err := records.ReviewActivities(e.ctx, e.db, e.clerk1, e.reviewer, []uint64{z1.ID, 424242}, true, "", e.now); !errors.Is(err, records.ErrActivityNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if _, err := records.ReviewActivities(e.ctx, e.db, e.clerk1, e.reviewer, nil, true, "", e.now); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("empty batch: %v", err)
	}
	if _, err := records.ReviewActivities(e.ctx, e.db, e.clerk1, e.reviewer, []uint64{z3.ID}, false, " ", e.now); codeOfErr(err) != "invalid:reason" {
		t.Fatalf("reject without a reason: %v", err)
	}
	n, err := records.ReviewActivities(e.ctx, e.db, e.clerk1, e.reviewer, []uint64{z1.ID, z2.ID, z1.ID}, true, "", e.now)
	if err != nil || n != 2 {
		t.Fatalf("approve: %d %v", n, err)
	}
	n, err = records.ReviewActivities(e.ctx, e.db, e.clerk1, e.reviewer, []uint64{z3.ID}, false, "缺少签到表等佐证材料", e.now)
	if err != nil || n != 1 {
		t.Fatalf("reject: %d %v", n, err)
	}
	// Wang serves st1 too: the st1 clerk reviews his entries.
	if _, err := records.ReviewActivities(e.ctx, e.db, e.clerk1, e.reviewer, []uint64{w1.ID}, true, "", e.now); err != nil {
		t.Fatalf("other station's deputy: %v", err)
	}
	views, _, err := records.ListActivities(e.ctx, e.db, records.ActivityQuery{DeputyIDs: []uint64{e.zhang.ID}})
	e.must(err)
	if len(views) != 3 || views[0].ID != z3.ID || views[0].StatusLabel != "未通过" || views[0].RejectReason != "缺少签到表等佐证材料" ||
		views[0].ReviewerName != "陈联络" || views[0].DateText != "2026年3月3日" || views[1].StatusLabel != "已通过" {
		t.Fatalf("views: %+v", views)
	}
	if trail, _ := models.AuditTrail(e.ctx, e.db, "activity", z3.ID); len(trail) != 2 || trail[1].ToState != "rejected" {
		t.Fatalf("audit: %+v", trail)
	}

	// The queue in scope: st1's clerk sees Zhang's and Wang's, not Li's.
	q := records.ActivityQuery{Status: models.ActivityPending}.InScope(models.StaffScope{StationIDs: []uint64{e.st2.ID}})
	pend, _, err := records.ListActivities(e.ctx, e.db, q)
	e.must(err)
	if len(pend) != 1 || pend[0].ID != l1.ID {
		t.Fatalf("st2 queue: %+v", pend)
	}
	if none, _, _ := records.ListActivities(e.ctx, e.db, records.ActivityQuery{}.InScope(models.StaffScope{})); len(none) != 0 {
		t.Fatalf("no stations, no entries: %d", len(none))
	}

	// Closing 2025's county evaluation locks Wang's 2025 entry.
	e.must(e.db.Create(&models.Evaluation{Year: 2025, Level: models.LevelCounty, Status: models.EvaluationClosed}).Error)
	_, err = records.ReviewActivities(e.ctx, e.db, e.admin, e.reviewer, []uint64{w1.ID}, false, "重复录入", e.now)
	if !errors.Is(err, records.ErrActivityLocked) || err.Error() != "activity_locked: 该年度考评已结束，记录已锁定" {
		t.Fatalf("locked: %v", err)
	}
	// A township evaluation of 2026 does not lock county deputies.
	e.must(e.db.Create(&models.Evaluation{Year: 2026, Level: models.LevelTownship, Township: "城关镇", Status: models.EvaluationClosed}).Error)
	if _, err := records.ReviewActivities(e.ctx, e.db, e.admin, e.reviewer, []uint64{z1.ID}, false, "日期有误", e.now); err != nil {
		t.Fatalf("re-review in an open year: %v", err)
	}
}

func TestDeputyRecordContext(t *testing.T) {
	e := newRecEnv(t)
	e.record(e.zhang, e.st1, "2026-02-10", 3, 2)
	_, err := records.AccrueActivities(e.ctx, e.db, e.now, cst)
	e.must(err)
	prop, err := records.AddStaffActivity(e.ctx, e.db, e.clerk1, e.reviewer, records.ActivityInput{DeputyID: e.zhang.ID,
		Type: models.ActProposal, Date: "2026-03-10", Title: "关于增设东门路口红绿灯的建议"}, e.now)
	e.must(err)
	_, err = records.ReviewActivities(e.ctx, e.db, e.clerk1, e.reviewer, []uint64{prop.ID}, true, "", e.now)
	e.must(err)
	_, err = records.AddDeputyActivity(e.ctx, e.db, e.zhang.ID, records.ActivityInput{Type: models.ActVisit, Date: "2026-04-01", Title: "走访选民"}, e.now)
	e.must(err)
	e.opinion(e.zhang, models.OpinionClosed, at(2026, 1, 5, 9, 0), models.StageReply, models.ScoreSatisfied, models.StageResult, models.ScoreBasically)
	e.opinion(e.zhang, models.OpinionClosed, at(2026, 2, 5, 9, 0), models.StageReply, models.ScoreUnsatisfied)
	e.opinion(e.zhang, models.OpinionAccepted, at(2026, 3, 5, 9, 0))
	e.opinion(e.zhang, models.OpinionClosed, at(2025, 12, 31, 23, 0)) // last year, local time
	e.opinion(e.li, models.OpinionClosed, at(2026, 3, 5, 9, 0))

	rec, err := records.DeputyRecord(e.ctx, e.db, e.zhang.ID, 2026, cst)
	e.must(err)
	got := map[models.ActivityType]int{}
	for _, c := range rec.Counts {
		got[c.Type] = c.Count
	}
	if len(rec.Counts) != 10 || got[models.ActReception] != 1 || got[models.ActProposal] != 1 || got[models.ActVisit] != 0 ||
		rec.Pending != 1 || len(rec.PendingCounts) != 1 || rec.PendingCounts[0].Label != "走访选民" || rec.VotersReceived != 5 {
		t.Fatalf("counts: %+v", rec)
	}
	c := rec.Context
	if c.Opinions != 3 || c.Proposals != 1 || len(c.ByStatus) != 2 || c.ByStatus[0].Label != "已受理" || c.ByStatus[1].Count != 2 ||
		c.ReplyRatings[0].Count != 1 || c.ReplyRatings[2].Count != 1 || c.ResultRatings[1].Count != 1 {
		t.Fatalf("context: %+v", c)
	}
	if len(rec.Entries) != 3 || rec.Entries[0].Date != "2026-04-01" || rec.Locked {
		t.Fatalf("entries: %+v", rec.Entries)
	}
	sum, err := records.PublicActivitySummary(e.ctx, e.db, e.zhang.ID, 2026)
	e.must(err)
	if fmt.Sprint(sum) != "[{reception 接待选民 1} {proposal 提出建议 1}]" {
		t.Fatalf("public summary: %v", sum)
	}
	if _, err := records.DeputyRecord(e.ctx, e.db, 9999, 2026, cst); !errors.Is(err, models.ErrDeputyNotFound) {
		t.Fatalf("unknown deputy: %v", err)
	}
}

func TestInactiveDeputies(t *testing.T) {
	e := newRecEnv(t)
	// Zhang: a reception in March (recent). Li: a visit in December
	// (old). Wang: nothing. A deputy whose term began last month and a
	// provincial deputy are not listed.
	e.record(e.zhang, e.st1, "2026-03-10", 1, 0)
	_, err := records.AccrueActivities(e.ctx, e.db, e.now, cst)
	e.must(err)
	_, err = records.AddDeputyActivity(e.ctx, e.db, e.li.ID, records.ActivityInput{Type: models.ActVisit, Date: "2025-12-20", Title: "走访选民"}, e.now)
	e.must(err)
	fresh := seedDeputy(t, e.db, e.st1.ID, "赵六", models.DeputyActive)
	e.must(e.db.Model(&fresh).Update("term_start", "2026-03-20").Error)
	prov := seedDeputy(t, e.db, e.st1.ID, "钱七", models.DeputyActive)
	e.must(e.db.Model(&prov).Update("level", models.LevelProvincial).Error)
	seedDeputy(t, e.db, e.st1.ID, "孙八", models.DeputyRetired)

	names := func(scope models.StaffScope) string {
		v, err := records.InactiveDeputies(e.ctx, e.db, scope, e.now, cst, 0)
		e.must(err)
		s := ""
		for _, d := range v {
			s += d.Name + ":" + d.LastText + " "
		}
		return s
	}
	if got := names(e.admin); got != "王五:无记录 李四:2025年12月20日 " {
		t.Fatalf("admin: %q", got)
	}
	if got := names(e.clerk1); got != "王五:无记录 " {
		t.Fatalf("st1 (Wang serves it too): %q", got)
	}
	// A rejected entry is no activity.
	a, err := records.AddDeputyActivity(e.ctx, e.db, e.wang.ID, records.ActivityInput{Type: models.ActVisit, Date: "2026-04-01", Title: "走访选民"}, e.now)
	e.must(err)
	if got := names(e.clerk1); got != "" {
		t.Fatalf("pending counts as activity: %q", got)
	}
	_, err = records.ReviewActivities(e.ctx, e.db, e.clerk1, e.reviewer, []uint64{a.ID}, false, "没有佐证", e.now)
	e.must(err)
	if got := names(e.clerk1); got != "王五:无记录 " {
		t.Fatalf("rejected: %q", got)
	}
}
