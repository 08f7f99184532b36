package models_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

// figEnv is the demo county with a seeded October 2026 whose figures are
// known (seedOctober).
type figEnv struct {
	*opEnv
	east, west           models.Station
	now                  time.Time
	keptDeputy, oldDep   models.Deputy // east deputies: one scanned long ago, one retired
	retiredCode, oldCode string
	eastStationCode      string
}

// lt is a local (UTC+8) time in 2026.
func lt(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, opLoc)
}

// seedOp stores one item as the workflow would have left it.
func (e *figEnv) seedOp(n int, st uint64, cat, source string, status models.OpinionStatus, created time.Time,
	accepted, replied *time.Time, acceptDue, replyDue time.Time) {
	e.t.Helper()
	op := models.Opinion{TrackingNo: fmt.Sprintf("FIG-%04d", n), VoterID: e.voters[0], Source: source,
		CategoryID: e.cat[cat].ID, Content: "测试意见", StationID: st, RouteRule: models.RuleCategory, RouteReason: "测试",
		Status: status, Round: 1, AcceptDays: 2, ReplyDays: 15,
		AcceptStartAt: created.UTC(), AcceptDueAt: acceptDue.UTC(), ReplyStartAt: created.UTC(), ReplyDueAt: replyDue.UTC(),
		Version: 1, CreatedAt: created.UTC(), UpdatedAt: created.UTC()}
	if accepted != nil {
		op.AcceptedAt = ptrTime(accepted.UTC())
	}
	if replied != nil {
		op.RepliedAt = ptrTime(replied.UTC())
	}
	if models.IsOfflineSource(source) {
		op.VoterID = 0
		op.ReceivedOn = created.Format(models.DateLayout)
	}
	if err := e.db.Create(&op).Error; err != nil {
		e.t.Fatal(err)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

// newFigEnv seeds October 2026 (a national holiday from the 1st to the
// 7th, a make-up working day on Saturday the 10th):
//
//	A 东门 生活服务 小程序 filed 10-01 00:30 (a holiday), accepted 10-08 (1 working day), replied 10-09 (2)
//	B 东门 生活服务 公众号 filed Fri 10-09, accepted Mon 10-12 (2: the make-up Saturday counts), replied 10-12 (2), closed
//	C 东门 交通出行 来信 filed Mon 10-12, accepted the same day (0), replied Fri 10-16 (4), closed
//	D 西街 生活服务 电话 filed Tue 10-13, accepted Thu 10-15 (2), reply due 10-20: overdue
//	E 西街 交通出行 小程序 filed 10-20, not accepted, accept due 10-22: overdue
//	F 东门 生活服务 小程序 filed 10-31 23:30 local (15:30 UTC), not accepted, not due yet
//	I the office's queue, 交通出行 小程序, filed 10-20, not due yet
//
// and outside the month: 09-30 23:30 and 11-01 00:10 local.
func newFigEnv(t *testing.T) *figEnv {
	e := &figEnv{opEnv: newOpEnv(t), now: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)}
	e.east, e.west = e.st["东门社区代表联络站"], e.st["西街社区代表联络站"]
	later := lt(time.December, 31, 0, 0)
	past := lt(time.October, 22, 0, 0)
	e.seedOp(1, e.east.ID, "shenghuo", models.SourceMiniProgram, models.OpinionReplied, lt(10, 1, 0, 30),
		ptrTime(lt(10, 8, 9, 0)), ptrTime(lt(10, 9, 16, 0)), later, later)
	e.seedOp(2, e.east.ID, "shenghuo", models.SourceChat, models.OpinionClosed, lt(10, 9, 10, 0),
		ptrTime(lt(10, 12, 9, 0)), ptrTime(lt(10, 12, 17, 0)), later, later)
	e.seedOp(3, e.east.ID, "jiaotong", models.SourceLetter, models.OpinionClosed, lt(10, 12, 9, 0),
		ptrTime(lt(10, 12, 15, 0)), ptrTime(lt(10, 16, 11, 0)), later, later)
	e.seedOp(4, e.west.ID, "shenghuo", models.SourcePhone, models.OpinionAccepted, lt(10, 13, 9, 0),
		ptrTime(lt(10, 15, 9, 0)), nil, later, lt(10, 20, 0, 0))
	e.seedOp(5, e.west.ID, "jiaotong", models.SourceMiniProgram, models.OpinionSubmitted, lt(10, 20, 9, 0),
		nil, nil, past, later)
	e.seedOp(6, e.east.ID, "shenghuo", models.SourceMiniProgram, models.OpinionSubmitted, lt(10, 31, 23, 30),
		nil, nil, later, later)
	e.seedOp(7, 0, "jiaotong", models.SourceMiniProgram, models.OpinionSubmitted, lt(10, 20, 10, 0),
		nil, nil, later, later)
	e.seedOp(8, e.east.ID, "shenghuo", models.SourceMiniProgram, models.OpinionSubmitted, lt(9, 30, 23, 30),
		nil, nil, past, past)
	e.seedOp(9, e.west.ID, "shenghuo", models.SourceMiniProgram, models.OpinionSubmitted, lt(11, 1, 0, 10),
		nil, nil, past, past)

	// Ratings given in October: at 东门, 7 of the reply (under the
	// minimum sample) and 12 of the result; 3 phone answers on the reply;
	// one at 西街, one given in November.
	rate := func(id uint64, st uint64, stage, score string, at time.Time) {
		must(t, e.db.Create(&models.OpinionRating{OpinionID: id, Round: 1, Stage: stage, VoterID: e.voters[0],
			StationID: st, Score: score, CreatedAt: at.UTC()}).Error)
	}
	id := uint64(1000)
	next := func() uint64 { id++; return id }
	for i, s := range []string{"satisfied", "satisfied", "satisfied", "satisfied", "satisfied", "basically", "unsatisfied"} {
		rate(next(), e.east.ID, models.StageReply, s, lt(10, 10+i, 10, 0))
	}
	for i := range 12 {
		s := models.ScoreSatisfied
		switch {
		case i >= 10:
			s = models.ScoreUnsatisfied
		case i >= 8:
			s = models.ScoreBasically
		}
		rate(next(), e.east.ID, models.StageResult, s, lt(10, 5+i, 10, 0))
	}
	rate(next(), e.west.ID, models.StageReply, models.ScoreUnsatisfied, lt(10, 20, 10, 0))
	rate(next(), e.east.ID, models.StageReply, models.ScoreUnsatisfied, lt(11, 1, 0, 30))
	for i := range 3 {
		must(t, e.db.Create(&models.OpinionCallback{OpinionID: next(), Round: 1, Stage: models.StageReply,
			StationID: e.east.ID, StaffID: 1, Score: models.ScoreSatisfied, CreatedAt: lt(10, 20+i, 10, 0).UTC()}).Error)
	}

	// Reception: 东门 held 10-15 (2 checked in, 1 no-show, 1 walk-in); its
	// 11-02 day is outside; 西街's 10-16 day is still open (not held) with one
	// checked-in booking.
	day := func(st uint64, date string, status models.DayStatus) uint64 {
		d, _ := time.ParseInLocation(models.DateLayout, date, opLoc)
		row := models.ReceptionDay{StationID: st, Date: date, Period: date[:7], Status: status,
			StartsAt: d.Add(9 * time.Hour).UTC(), EndsAt: d.Add(11 * time.Hour).UTC(),
			BookingOpensAt: d.AddDate(0, 0, -7).UTC(), BookingClosesAt: d.UTC(), RuleHash: "x", RuleSnapshot: "{}"}
		must(t, e.db.Create(&row).Error)
		return row.ID
	}
	code := 0
	book := func(dayID, st uint64, date string, status models.BookingStatus) {
		code++
		must(t, e.db.Create(&models.Booking{VoterID: e.voters[0], SlotID: 1, DayID: dayID, StationID: st, Date: date,
			Status: status, CheckinCode: fmt.Sprintf("C%05d", code)}).Error)
	}
	d1 := day(e.east.ID, "2026-10-15", models.DayClosed)
	book(d1, e.east.ID, "2026-10-15", models.BookingCheckedIn)
	book(d1, e.east.ID, "2026-10-15", models.BookingCheckedIn)
	book(d1, e.east.ID, "2026-10-15", models.BookingNoShow)
	must(t, e.db.Create(&models.WalkIn{DayID: d1, SlotID: 1, StationID: e.east.ID, CreatedAt: lt(10, 15, 10, 0)}).Error)
	d2 := day(e.east.ID, "2026-11-02", models.DayClosed)
	book(d2, e.east.ID, "2026-11-02", models.BookingCheckedIn)
	must(t, e.db.Create(&models.WalkIn{DayID: d2, SlotID: 1, StationID: e.east.ID, CreatedAt: lt(11, 2, 10, 0)}).Error)
	d3 := day(e.west.ID, "2026-10-16", models.DayOpen)
	book(d3, e.west.ID, "2026-10-16", models.BookingCheckedIn)

	// Codes: every demo code printed on 2026-01-01. One east deputy's code
	// was last scanned in May (silent), the east station's in October (not
	// silent); another east deputy retired; a board made on 10-20 is too
	// new to be silent; a revoked code is ignored.
	must(t, e.db.Model(&models.Code{}).Where("1 = 1").Update("created_at", lt(1, 1, 0, 0).UTC()).Error)
	var deps []models.Deputy
	must(t, e.db.Where("station_id = ? AND status = ?", e.east.ID, models.DeputyActive).Order("id").Find(&deps).Error)
	if len(deps) < 3 {
		t.Fatalf("东门 has %d active deputies, want 3 or more", len(deps))
	}
	e.oldDep, e.keptDeputy = deps[0], deps[1]
	codeOf := func(kind models.CodeKind, id uint64) string {
		var c models.Code
		must(t, e.db.Where("kind = ? AND target_id = ? AND revoked = ?", kind, id, false).First(&c).Error)
		return c.Code
	}
	e.oldCode, e.retiredCode, e.eastStationCode = codeOf(models.CodeDeputy, deps[0].ID), codeOf(models.CodeDeputy, deps[1].ID),
		codeOf(models.CodeStation, e.east.ID)
	must(t, e.db.Model(&models.Deputy{}).Where("id = ?", deps[1].ID).Update("status", models.DeputyRetired).Error)
	var scans []models.ScanCount
	for _, s := range []struct {
		code string
		at   time.Time
	}{{e.oldCode, lt(5, 1, 10, 0)}, {e.oldCode, lt(4, 1, 10, 0)}, {e.eastStationCode, lt(10, 1, 10, 0)}} {
		scans = append(scans, models.ScanCount{Code: s.code, Day: models.ScanDayOf(s.at), Count: 1, LastAt: s.at})
	}
	if _, err := models.AddScanCounts(e.ctx, e.db, "", scans, lt(10, 1, 10, 0)); err != nil {
		t.Fatal(err)
	}
	must(t, e.db.Create(&models.Code{Code: "NEWB2345", Kind: models.CodeBoard, TargetKind: models.CodeDeputy,
		TargetID: deps[2].ID, Label: "东门菜场公示栏", CreatedAt: lt(10, 20, 0, 0).UTC()}).Error)
	must(t, e.db.Create(&models.Code{Code: "GONE2345", Kind: models.CodeBoard, TargetKind: models.CodeDeputy,
		TargetID: deps[2].ID, Label: "已撤下的公示栏", Revoked: true, CreatedAt: lt(1, 1, 0, 0).UTC()}).Error)
	return e
}

func (e *figEnv) figures(ids []uint64) models.Figures {
	e.t.Helper()
	f, err := models.ComputeFigures(e.ctx, e.db, models.FigureQuery{From: "2026-10-01", To: "2026-10-31", StationIDs: ids,
		Location: opLoc, Calendar: e.cal, Now: e.now})
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

func counts(c []models.FigureCount) string {
	var b []string
	for _, x := range c {
		b = append(b, fmt.Sprintf("%s=%d", x.Label, x.N))
	}
	return strings.Join(b, " ")
}

// Ensure every figure of the seeded October equals what the seed says:
// the local month's edges, the breakdowns, the medians across the national
// holiday and a make-up working day, a rate under the minimum sample, the
// phone answers apart, reception per station and the boards.
func TestComputeFiguresSeededMonth(t *testing.T) {
	e := newFigEnv(t)
	f := e.figures(nil)
	if f.Total != 7 || f.Online != 5 || f.Offline != 2 || f.Overdue != 2 {
		t.Errorf("total %d online %d offline %d overdue %d, want 7 5 2 2", f.Total, f.Online, f.Offline, f.Overdue)
	}
	if got := counts(f.ByMonth); got != "2026年10月=7" {
		t.Errorf("by month %s", got)
	}
	if got := counts(f.ByCategory); got != "生活服务=4 交通出行=3" {
		t.Errorf("by category %s", got)
	}
	if got := counts(f.ByChannel); got != "小程序=4 公众号=1 来信=1 意见箱=0 电话=1 接待日现场=0 入户走访=0" {
		t.Errorf("by channel %s", got)
	}
	if got := counts(f.ByStatus); got != "待受理=3 已受理=1 已转办=0 已答复=1 已办结=2 已改派，待受理=0 二次办理中=0" {
		t.Errorf("by status %s", got)
	}
	if got := counts(f.ByStation); got != "东门社区代表联络站=4 西街社区代表联络站=2 人大常委会办公室=1" {
		t.Errorf("by station %s", got)
	}
	if f.Accept != (models.FigureMedian{Days: 1.5, N: 4, Pending: 3}) || f.Accept.Text() != "1.5个工作日" {
		t.Errorf("accept %+v %s, want 1.5 working days over 4, 3 pending", f.Accept, f.Accept.Text())
	}
	if f.Reply != (models.FigureMedian{Days: 2, N: 3, Pending: 4}) || f.Reply.Text() != "2个工作日" {
		t.Errorf("reply %+v %s, want 2 working days over 3, 4 pending", f.Reply, f.Reply.Text())
	}
	if r := f.ReplyOnline; r.N != 8 || r.Good != 6 || r.Enough || r.Text() != "样本不足（n=8）" {
		t.Errorf("reply online %+v %s", r, r.Text())
	}
	if r := f.ResultOnline; r.N != 12 || r.Good != 10 || !r.Enough || r.Text() != "83.3%（10/12）" ||
		counts(r.Counts) != "解决了=8 部分解决=2 没解决=2" {
		t.Errorf("result online %+v %s", r, r.Text())
	}
	if r := f.ReplyPhone; r.N != 3 || r.Good != 3 || r.Enough || r.Text() != "样本不足（n=3）" || counts(r.Counts) != "满意=3 基本满意=0 不满意=0" {
		t.Errorf("reply phone %+v", r)
	}
	if r := f.ResultPhone; r.N != 0 || r.Text() != "样本不足（n=0）" {
		t.Errorf("result phone %+v", r)
	}
	st := map[string]models.StationFigures{}
	for _, s := range f.Stations {
		st[s.Name] = s
	}
	if len(f.Stations) != len(e.st)+1 {
		t.Errorf("%d stations, want every station and the office", len(f.Stations))
	}
	if got := st[e.east.Name]; got.Opinions != 4 || got.Overdue != 0 || got.ReceptionDays != 1 || got.VotersReceived != 3 {
		t.Errorf("东门 %+v, want 4 opinions, none overdue, 1 day held, 3 voters", got)
	}
	if got := st[e.west.Name]; got.Opinions != 2 || got.Overdue != 2 || got.ReceptionDays != 0 || got.VotersReceived != 1 {
		t.Errorf("西街 %+v, want 2 opinions, 2 overdue, no day held, 1 voter", got)
	}
	if f.Stations[0].Name != e.east.Name {
		t.Errorf("first station %s, want the busiest", f.Stations[0].Name)
	}

	// Boards: the retired deputy's code is listed apart; the old code is
	// silent with its last scan; the east station's, the new board and the
	// revoked one are not silent.
	if len(f.RetiredBoards) != 1+demoRetired(t, e) || !slices.ContainsFunc(f.RetiredBoards, func(b models.BoardFigure) bool {
		return b.Code == e.retiredCode && b.DeputyName == e.keptDeputy.Name && b.StationName == e.east.Name
	}) {
		t.Errorf("retired boards %+v", f.RetiredBoards)
	}
	silent := map[string]models.BoardFigure{}
	for _, b := range f.SilentBoards {
		silent[b.Code] = b
	}
	old, ok := silent[e.oldCode]
	if !ok || old.LastScanAt == nil || !old.LastScanAt.Equal(lt(5, 1, 10, 0)) || old.Label != e.oldDep.Name+"代表的二维码" {
		t.Errorf("old code %+v (listed %v)", old, ok)
	}
	for _, c := range []string{e.eastStationCode, e.retiredCode, "NEWB2345", "GONE2345"} {
		if _, ok := silent[c]; ok {
			t.Errorf("%s listed as silent", c)
		}
	}
	var live int64
	must(t, e.db.Model(&models.Code{}).Joins("LEFT JOIN deputies ON codes.target_kind = 'deputy' AND deputies.id = codes.target_id").
		Where("codes.revoked = ? AND codes.kind IN ? AND (deputies.status IS NULL OR deputies.status = 'active')",
			false, []string{"deputy", "station", "board"}).Count(&live).Error)
	if want := int(live) - 2; len(f.SilentBoards) != want { // the east station's code and the new board
		t.Errorf("%d silent codes, want %d", len(f.SilentBoards), want)
	}
}

func demoRetired(t *testing.T, e *figEnv) int {
	var n int64
	must(t, e.db.Model(&models.Code{}).Joins("JOIN deputies ON deputies.id = codes.target_id").
		Where("codes.target_kind = 'deputy' AND codes.revoked = ? AND deputies.status = 'retired' AND deputies.id <> ?", false, e.keptDeputy.ID).
		Count(&n).Error)
	return int(n)
}

// Ensure a clerk's scope counts their station only: no other station's
// items, ratings, reception or boards, and no office queue; an empty scope
// counts nothing.
func TestComputeFiguresScope(t *testing.T) {
	e := newFigEnv(t)
	f := e.figures([]uint64{e.west.ID})
	if f.Total != 2 || f.Online != 1 || f.Offline != 1 || counts(f.ByStation) != "西街社区代表联络站=2" {
		t.Errorf("west: total %d online %d offline %d stations %s", f.Total, f.Online, f.Offline, counts(f.ByStation))
	}
	if len(f.Stations) != 1 || f.Stations[0].VotersReceived != 1 || f.Stations[0].Overdue != 2 {
		t.Errorf("west stations %+v", f.Stations)
	}
	if f.ReplyOnline.N != 1 || f.ResultOnline.N != 0 || f.ReplyPhone.N != 0 {
		t.Errorf("west ratings %+v %+v %+v", f.ReplyOnline, f.ResultOnline, f.ReplyPhone)
	}
	for _, b := range append(f.SilentBoards, f.RetiredBoards...) {
		if b.StationID != e.west.ID {
			t.Errorf("west sees board %+v", b)
		}
	}
	if len(f.RetiredBoards) != 0 || len(f.SilentBoards) == 0 {
		t.Errorf("west boards: %d silent, %d retired", len(f.SilentBoards), len(f.RetiredBoards))
	}
	f = e.figures([]uint64{e.east.ID})
	if f.Total != 4 || f.ReplyOnline.N != 7 || len(f.RetiredBoards) != 1 {
		t.Errorf("east: total %d, reply ratings %d, retired boards %d", f.Total, f.ReplyOnline.N, len(f.RetiredBoards))
	}
	f = e.figures([]uint64{})
	if f.Total != 0 || len(f.Stations) != 0 || len(f.SilentBoards) != 0 || f.ReplyOnline.N != 0 {
		t.Errorf("empty scope counted %+v", f)
	}
}

// Ensure the periods a viewer picks are the local month, last month, year,
// or valid custom dates, with Chinese errors otherwise.
func TestFigurePeriod(t *testing.T) {
	now := time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC) // 2027-01-01 01:00 local
	for _, c := range []struct{ p, from, to, wantFrom, wantTo string }{
		{"", "", "", "2027-01-01", "2027-01-31"},
		{models.PeriodLastMonth, "", "", "2026-12-01", "2026-12-31"},
		{models.PeriodThisYear, "", "", "2027-01-01", "2027-12-31"},
		{models.PeriodCustom, "2026-02-03", "2026-03-04", "2026-02-03", "2026-03-04"},
	} {
		f, to, err := models.FigurePeriod(c.p, c.from, c.to, now, opLoc)
		if err != nil || f != c.wantFrom || to != c.wantTo {
			t.Errorf("%q: %s..%s %v, want %s..%s", c.p, f, to, err, c.wantFrom, c.wantTo)
		}
	}
	for _, c := range [][3]string{{"custom", "2026-03-04", "2026-02-03"}, {"custom", "2026-02-30", "2026-03-01"},
		{"custom", "2020-01-01", "2026-01-01"}, {"week", "", ""}} {
		if _, _, err := models.FigurePeriod(c[0], c[1], c[2], now, opLoc); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
	if _, err := models.ComputeFigures(t.Context(), nil, models.FigureQuery{From: "2026-10-02", To: "2026-10-01"}); err == nil {
		t.Error("a reversed period was counted")
	}
}
