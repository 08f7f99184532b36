package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"deputylink/models"
	"deputylink/models/records"

	"github.com/xuri/excelize/v2"
)

// addActs adds n activities of a type for a deputy on date with status.
func (e *mdEnv) addActs(deputy string, typ models.ActivityType, status models.ActivityStatus, date string, n int) {
	e.t.Helper()
	d := e.deputy(deputy)
	for i := 0; i < n; i++ {
		a := models.Activity{DeputyID: d.ID, Type: typ, Date: date, Title: typ.Label(), Description: "测试",
			Source: models.SourceStaff, Status: status}
		if err := e.db.Create(&a).Error; err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *mdEnv) setTerm(deputy, start, end string) {
	e.t.Helper()
	if err := e.db.Model(&models.Deputy{}).Where("name = ?", deputy).
		Updates(map[string]any{"term_start": start, "term_end": end}).Error; err != nil {
		e.t.Fatal(err)
	}
}

func sheetOf(t *testing.T, sheets []records.Sheet, name string) records.Sheet {
	t.Helper()
	for _, s := range sheets {
		if s.Deputy.Name == name {
			return s
		}
	}
	t.Fatalf("no sheet of %s", name)
	return records.Sheet{}
}

func lineOf(s records.Sheet, typ models.ActivityType) records.SheetLine {
	for _, l := range s.Lines {
		if l.Type == typ {
			return l
		}
	}
	return records.SheetLine{}
}

func (e *mdEnv) evalAudits(id uint64) []string {
	e.t.Helper()
	rows, err := models.AuditTrail(context.Background(), e.db, "evaluation", id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Action)
	}
	return out
}

// seedCountyYear gives four county deputies a year of approved entries
// (and some that must not count) and opens the county's 2026 evaluation.
func (e *mdEnv) seedCountyYear() models.Evaluation {
	e.t.Helper()
	// 张海明: 12 meetings (capped at 20), 3 receptions, 1 proposal; entries
	// pending, rejected or of another year do not count.
	e.addActs("张海明", models.ActMeeting, models.ActivityApproved, "2026-03-02", 12)
	e.addActs("张海明", models.ActReception, models.ActivityApproved, "2026-05-10", 3)
	e.addActs("张海明", models.ActProposal, models.ActivityApproved, "2026-12-31", 1)
	e.addActs("张海明", models.ActMeeting, models.ActivityPending, "2026-06-01", 2)
	e.addActs("张海明", models.ActVisit, models.ActivityRejected, "2026-06-01", 1)
	e.addActs("张海明", models.ActStudy, models.ActivityApproved, "2025-12-31", 1)
	// 王桂英 joined on 1 July: 6 months in office.
	e.setTerm("王桂英", "2026-07-01", "")
	e.addActs("王桂英", models.ActReception, models.ActivityApproved, "2026-08-01", 5)
	e.addActs("王桂英", models.ActContact, models.ActivityApproved, "2026-09-01", 5)
	e.addActs("王桂英", models.ActInspection, models.ActivityApproved, "2026-10-01", 4)
	// 李文涛 joined on 1 October: 3 months, under the minimum of 6.
	e.setTerm("李文涛", "2026-10-01", "")
	e.addActs("李文涛", models.ActInspection, models.ActivityApproved, "2026-10-08", 10)
	// 赵春燕 and 刘德胜 tie.
	e.addActs("赵春燕", models.ActProposal, models.ActivityApproved, "2026-04-01", 1)
	e.addActs("刘德胜", models.ActProposal, models.ActivityApproved, "2026-04-02", 1)
	ev, err := records.CreateEvaluation(context.Background(), e.db, e.admin, 2026, models.LevelCounty, mdT0)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

// Ensure the sheet's arithmetic: count × points capped at the type's most,
// only approved entries of the year; new weights change the points; a
// deputy who joined mid-year is normalised to twelve months; one under
// the minimum months is 样本不足 without a rank; equal scores share a rank.
func TestEvaluationArithmetic(t *testing.T) {
	t.Parallel()
	e := newMDEnv(t)
	ctx := context.Background()
	ev := e.seedCountyYear()

	sheets, err := records.EvaluationSheets(ctx, e.db, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	zhang := sheetOf(t, sheets, "张海明")
	if m := lineOf(zhang, models.ActMeeting); m.Count != 12 || m.Score != 20 || !m.Capped {
		t.Fatalf("meetings: %+v", m)
	}
	if r := lineOf(zhang, models.ActReception); r.Count != 3 || r.Score != 9 {
		t.Fatalf("receptions: %+v", r)
	}
	if lineOf(zhang, models.ActVisit).Count != 0 || lineOf(zhang, models.ActStudy).Count != 0 {
		t.Fatal("a rejected entry or one of another year counted")
	}
	if zhang.Total != 32 || zhang.MaxTotal != 115 || zhang.Months != 12 || zhang.Normalised != 32 ||
		zhang.Band != records.BandFair || zhang.Activities != 16 {
		t.Fatalf("张海明: total %v/%v months %d normalised %v band %s acts %d", zhang.Total, zhang.MaxTotal,
			zhang.Months, zhang.Normalised, zhang.Band, zhang.Activities)
	}
	if zhang.VoterRating() != records.VoterRatingPending {
		t.Fatalf("voter rating %q", zhang.VoterRating())
	}
	for _, s := range sheets {
		if s.Deputy.Level != models.LevelCounty {
			t.Fatalf("%s (%s) on the county's evaluation", s.Deputy.Name, s.Deputy.Level)
		}
	}

	// New weights: a meeting is worth 1 point, at most 10.
	ws := []models.EvaluationWeight{{Type: models.ActMeeting, Points: 1, MaxPoints: 10}}
	if err := records.SetWeights(ctx, e.db, e.admin, ev.ID, ws, 6, mdT0); err != nil {
		t.Fatal(err)
	}
	bad := []models.EvaluationWeight{{Type: models.ActMeeting, Points: -1, MaxPoints: 10}}
	if err := records.SetWeights(ctx, e.db, e.admin, ev.ID, bad, 6, mdT0); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("negative points: %v", err)
	}
	if err := records.SetWeights(ctx, e.db, e.admin, ev.ID, nil, 13, mdT0); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("13 months: %v", err)
	}
	sheets, err = records.EvaluationSheets(ctx, e.db, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	zhang = sheetOf(t, sheets, "张海明")
	if zhang.Total != 22 || zhang.MaxTotal != 105 || zhang.Band != records.BandLow {
		t.Fatalf("张海明 after the new weights: %v/%v %s", zhang.Total, zhang.MaxTotal, zhang.Band)
	}
	wang := sheetOf(t, sheets, "王桂英")
	if wang.Months != 6 || wang.Total != 37 || wang.Normalised != 74 || wang.Band != records.BandGood {
		t.Fatalf("王桂英 (joined in July): months %d total %v normalised %v band %s", wang.Months, wang.Total, wang.Normalised, wang.Band)
	}
	li := sheetOf(t, sheets, "李文涛")
	if li.Months != 3 || li.Band != records.BandSample || li.Rank != 0 || li.Total != 15 {
		t.Fatalf("李文涛 (3 months): months %d band %s rank %d total %v", li.Months, li.Band, li.Rank, li.Total)
	}
	zhao, liu := sheetOf(t, sheets, "赵春燕"), sheetOf(t, sheets, "刘德胜")
	if wang.Rank != 1 || zhang.Rank != 2 || zhao.Rank != 3 || liu.Rank != 3 {
		t.Fatalf("ranks: 王桂英 %d 张海明 %d 赵春燕 %d 刘德胜 %d", wang.Rank, zhang.Rank, zhao.Rank, liu.Rank)
	}
	for _, s := range sheets {
		if s.Total == 0 && s.Band != records.BandSample && s.Rank != 5 {
			t.Fatalf("%s with no points ranks %d, want 5 (after the tie of two at 3)", s.Deputy.Name, s.Rank)
		}
	}
	one, err := records.EvaluationSheet(ctx, e.db, ev.ID, wang.Deputy.ID)
	if err != nil || one.Total != wang.Total || one.Months != 6 {
		t.Fatalf("one sheet: %+v %v", one.Total, err)
	}
	if _, err := records.EvaluationSheet(ctx, e.db, ev.ID, e.deputy("潘红梅").ID); !errors.Is(err, records.ErrNotInEvaluation) {
		t.Fatalf("a township deputy on the county's sheet: %v", err)
	}
	un, err := records.EvaluationUnscored(ctx, e.db, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	shen := sheetOf(t, un, "沈国良")
	if shen.Scored || shen.Band != records.BandNone || shen.Band.Label() != "不参与考评" {
		t.Fatalf("a provincial deputy: %+v", shen.Band)
	}
	if got := e.evalAudits(ev.ID); !slices.Equal(got, []string{records.AuditEvaluationCreate, records.AuditEvaluationWeights}) {
		t.Fatalf("audits %v", got)
	}
}

// Ensure months in office count the days of the year in office.
func TestMonthsInOffice(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		start, end string
		want       int
	}{
		{"", "", 12}, {"2021-10-01", "", 12}, {"2026-07-01", "", 6}, {"2026-10-01", "", 3},
		{"", "2026-03-31", 3}, {"2026-12-31", "", 1}, {"2027-01-01", "", 0}, {"", "2025-12-31", 0},
		{"2026-04-01", "2026-09-30", 6},
	} {
		if got := records.MonthsInOffice(c.start, c.end, 2026); got != c.want {
			t.Errorf("%q–%q: %d months, want %d", c.start, c.end, got, c.want)
		}
	}
	if records.BandOf(57.5, 115, 12, 6) != records.BandGood || records.BandOf(57.4, 115, 12, 6) != records.BandFair ||
		records.BandOf(28.75, 115, 12, 6) != records.BandFair || records.BandOf(28.7, 115, 12, 6) != records.BandLow ||
		records.BandOf(115, 115, 5, 6) != records.BandSample {
		t.Fatal("band thresholds")
	}
	s := []records.Sheet{{Scored: true, Normalised: 3}, {Scored: true, Normalised: 9}, {Scored: true, Normalised: 3},
		{Scored: true, Normalised: 50, Band: records.BandSample}, {Scored: true, Normalised: 1}}
	records.RankSheets(s)
	if got := []int{s[0].Rank, s[1].Rank, s[2].Rank, s[3].Rank, s[4].Rank}; !slices.Equal(got, []int{2, 1, 2, 0, 4}) {
		t.Fatalf("ranks %v", got)
	}
}

// Ensure closing locks the year's entries of the evaluation's deputies,
// refuses changes, and only the county office reopens it, with a reason.
func TestEvaluationCloseLocks(t *testing.T) {
	t.Parallel()
	e := newMDEnv(t)
	ctx := context.Background()
	ev := e.seedCountyYear()
	zhang, pan := e.deputy("张海明"), e.deputy("潘红梅")
	locked := func(id uint64, date string) bool {
		t.Helper()
		ok, err := records.EvaluationLocked(ctx, e.db, id, date)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if locked(zhang.ID, "2026-03-02") {
		t.Fatal("locked while open")
	}
	if _, err := records.SubmitSelfAssessment(ctx, e.db, zhang.ID, ev.ID, "全年参加会议12次，接待选民3次。", "称职", mdT0); err != nil {
		t.Fatal(err)
	}
	closed, err := records.CloseEvaluation(ctx, e.db, e.admin, ev.ID, mdT0)
	if err != nil || closed.Status != models.EvaluationClosed || closed.ClosedAt == nil {
		t.Fatalf("close: %+v %v", closed, err)
	}
	if !locked(zhang.ID, "2026-03-02") || !locked(zhang.ID, "2026-12-31") {
		t.Fatal("the year's entries are not locked after closing")
	}
	if locked(zhang.ID, "2025-12-31") || locked(zhang.ID, "2027-01-01") || locked(pan.ID, "2026-03-02") ||
		locked(e.deputy("沈国良").ID, "2026-03-02") {
		t.Fatal("another year, a township deputy or a provincial deputy is locked")
	}
	if _, err := records.CloseEvaluation(ctx, e.db, e.admin, ev.ID, mdT0); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("closing twice: %v", err)
	}
	ws := []models.EvaluationWeight{{Type: models.ActMeeting, Points: 1, MaxPoints: 10}}
	if err := records.SetWeights(ctx, e.db, e.admin, ev.ID, ws, 6, mdT0); !errors.Is(err, records.ErrEvaluationClosed) {
		t.Fatalf("weights of a closed evaluation: %v", err)
	}
	if _, err := records.SubmitSelfAssessment(ctx, e.db, zhang.ID, ev.ID, "改一下", "优秀", mdT0); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("self-assessment after closing: %v", err)
	}
	if _, err := records.ReopenEvaluation(ctx, e.db, e.cg, ev.ID, "更正", mdT0); !errors.Is(err, models.ErrForbidden) {
		t.Fatalf("a township reopens: %v", err)
	}
	if _, err := records.ReopenEvaluation(ctx, e.db, e.admin, ev.ID, " ", mdT0); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("reopen without a reason: %v", err)
	}
	if _, err := records.ReopenEvaluation(ctx, e.db, e.admin, ev.ID, "补录一次视察", mdT0); err != nil {
		t.Fatal(err)
	}
	if locked(zhang.ID, "2026-03-02") {
		t.Fatal("still locked after reopening")
	}
	want := []string{records.AuditEvaluationCreate, records.AuditSelfAssessment, records.AuditEvaluationClose, records.AuditEvaluationReopen}
	if got := e.evalAudits(ev.ID); !slices.Equal(got, want) {
		t.Fatalf("audits %v, want %v", got, want)
	}
	s, err := records.EvaluationSheet(ctx, e.db, ev.ID, zhang.ID)
	if err != nil || s.Self == nil || s.Self.Grade != "称职" || s.Self.Text != "全年参加会议12次，接待选民3次。" {
		t.Fatalf("self-assessment on the sheet: %+v %v", s.Self, err)
	}
}

// Ensure the organisers: the county office organises the county's
// evaluation, a township its own township deputies'; a township neither
// creates the county's nor sees another township's.
func TestEvaluationScope(t *testing.T) {
	t.Parallel()
	e := newMDEnv(t)
	ctx := context.Background()
	if _, err := records.CreateEvaluation(ctx, e.db, e.cg, 2026, models.LevelCounty, mdT0); !errors.Is(err, models.ErrForbidden) {
		t.Fatalf("a township creates the county's: %v", err)
	}
	if _, err := records.CreateEvaluation(ctx, e.db, e.admin, 2026, models.LevelTownship, mdT0); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("the county office creates a township's: %v", err)
	}
	if _, err := records.CreateEvaluation(ctx, e.db, e.admin, 2026, models.LevelProvincial, mdT0); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("a provincial evaluation: %v", err)
	}
	if _, err := records.CreateEvaluation(ctx, e.db, e.admin, 2030, models.LevelCounty, mdT0); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("a year far ahead: %v", err)
	}
	county, err := records.CreateEvaluation(ctx, e.db, e.admin, 2026, models.LevelCounty, mdT0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := records.CreateEvaluation(ctx, e.db, e.admin, 2026, models.LevelCounty, mdT0); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("twice: %v", err)
	}
	town, err := records.CreateEvaluation(ctx, e.db, e.cg, 2026, models.LevelTownship, mdT0)
	if err != nil || town.Township != "城关镇" || town.Title() != "2026年度城关镇人大代表履职考评" {
		t.Fatalf("township evaluation: %+v %v", town, err)
	}
	other := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 903}, Township: "桃源镇"}
	list, err := records.ListEvaluations(ctx, e.db, other)
	if err != nil || len(list) != 0 {
		t.Fatalf("another township's list: %v %v", list, err)
	}
	for _, id := range []uint64{county.ID, town.ID} {
		if _, err := records.GetEvaluation(ctx, e.db, other, id); !errors.Is(err, records.ErrEvaluationNotFound) {
			t.Fatalf("another township reads %d: %v", id, err)
		}
		if err := records.SetWeights(ctx, e.db, other, id, nil, 5, mdT0); !errors.Is(err, records.ErrEvaluationNotFound) {
			t.Fatalf("another township sets weights of %d: %v", id, err)
		}
		if _, err := records.CloseEvaluation(ctx, e.db, other, id, mdT0); !errors.Is(err, records.ErrEvaluationNotFound) {
			t.Fatalf("another township closes %d: %v", id, err)
		}
	}
	if _, err := records.GetEvaluation(ctx, e.db, e.cg, county.ID); !errors.Is(err, records.ErrEvaluationNotFound) {
		t.Fatalf("a township reads the county's: %v", err)
	}
	if l, _ := records.ListEvaluations(ctx, e.db, e.cg); len(l) != 1 || l[0].ID != town.ID {
		t.Fatalf("城关镇 sees %v", l)
	}
	if l, _ := records.ListEvaluations(ctx, e.db, e.admin); len(l) != 2 {
		t.Fatalf("the county office sees %v", l)
	}
	sheets, err := records.EvaluationSheets(ctx, e.db, town.ID)
	if err != nil || len(sheets) == 0 {
		t.Fatalf("township sheets: %d %v", len(sheets), err)
	}
	for _, s := range sheets {
		if s.Deputy.Level != models.LevelTownship || s.Township != "城关镇" {
			t.Fatalf("%s (%s, %s) on 城关镇's evaluation", s.Deputy.Name, s.Deputy.Level, s.Township)
		}
	}
	pan := sheetOf(t, sheets, "潘红梅")
	if _, err := records.EnterSelfAssessment(ctx, e.db, other, town.ID, pan.Deputy.ID, "自评", "称职", mdT0); !errors.Is(err, records.ErrEvaluationNotFound) {
		t.Fatalf("another township enters a self-assessment: %v", err)
	}
	if _, err := records.EnterSelfAssessment(ctx, e.db, e.cg, town.ID, pan.Deputy.ID, "自评", "很好", mdT0); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("a grade not on the list: %v", err)
	}
	if _, err := records.EnterSelfAssessment(ctx, e.db, e.cg, town.ID, e.deputy("张海明").ID, "自评", "称职", mdT0); !errors.Is(err, records.ErrNotInEvaluation) {
		t.Fatalf("a county deputy in the township's: %v", err)
	}
	if _, err := records.EnterSelfAssessment(ctx, e.db, e.cg, town.ID, pan.Deputy.ID, "按时参加代表小组活动。", "优秀", mdT0); err != nil {
		t.Fatal(err)
	}
	if _, err := records.CloseEvaluation(ctx, e.db, e.cg, town.ID, mdT0); err != nil {
		t.Fatal(err)
	}
	if ok, err := records.EvaluationLocked(ctx, e.db, pan.Deputy.ID, "2026-05-01"); err != nil || !ok {
		t.Fatalf("潘红梅's entries after 城关镇 closed: %v %v", ok, err)
	}
	if ok, _ := records.EvaluationLocked(ctx, e.db, e.deputy("张海明").ID, "2026-05-01"); ok {
		t.Fatal("a county deputy locked by a township's evaluation")
	}
}

// Ensure "一人一档": one worksheet per deputy named after them, Chinese
// headers, values equal to the sheet; and the summary's rows.
func TestEvaluationExcel(t *testing.T) {
	t.Parallel()
	e := newMDEnv(t)
	ctx := context.Background()
	ev := e.seedCountyYear()
	sheets, err := records.EvaluationSheets(ctx, e.db, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := records.WriteEvaluationSheets(&buf, ev, sheets); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	names := f.GetSheetList()
	if len(names) != len(sheets) {
		t.Fatalf("%d worksheets for %d deputies", len(names), len(sheets))
	}
	zhang := sheetOf(t, sheets, "张海明")
	rows, err := f.GetRows("张海明")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rows[0][0], "一人一档") || rows[6][0] != "本年在任月数" || rows[6][1] != "12" {
		t.Fatalf("head of the sheet: %v", rows[:7])
	}
	if !slices.Equal(rows[8], records.EvaluationSheetHeaders) {
		t.Fatalf("headers %v", rows[8])
	}
	for i, l := range zhang.Lines {
		r := rows[9+i]
		want := []string{l.Label, fmt.Sprint(l.Count), records.PointsText(l.Points), records.PointsText(l.MaxPoints), records.PointsText(l.Score)}
		if !slices.Equal(r, want) {
			t.Fatalf("line %d: %v, want %v", i, r, want)
		}
	}
	total := rows[9+len(zhang.Lines)]
	if total[0] != "合计" || total[4] != records.PointsText(zhang.Total) {
		t.Fatalf("total %v, want %v", total, zhang.Total)
	}
	var band string
	for _, r := range rows {
		if len(r) > 1 && r[0] == "评价" {
			band = r[1]
		}
	}
	if band != zhang.Band.Label() {
		t.Fatalf("band %q, want %q", band, zhang.Band.Label())
	}

	buf.Reset()
	if err := records.WriteEvaluationSummary(&buf, ev, sheets); err != nil {
		t.Fatal(err)
	}
	f, err = excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err = f.GetRows("考评汇总")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[1], records.EvaluationSummaryHeaders()) || len(rows) != len(sheets)+2 {
		t.Fatalf("summary: %v, %d rows", rows[1], len(rows))
	}
	for _, r := range rows[2:] {
		if r[0] == "王桂英" {
			if r[5] != "6" || r[len(r)-4] != "74" || r[len(r)-3] != "较好" {
				t.Fatalf("王桂英's row %v", r)
			}
			return
		}
	}
	t.Fatal("no row of 王桂英")
}
