package records

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// The monthly 履职通报 (docs/ARCHITECTURE.md#monthly-report): a deputy's own
// figures for one month and for the year up to its end, each beside the
// median of their deputy group(s) and of the county's active deputies of
// the same level, never a rank or a position. It is computed from the
// record when it is read (the same counts as DeputyRecord, tally.go), so an
// entry approved later shows in it; the notice that announces it
// (models.NotifyMonthlyReports) carries no figures.
//
// The peers of a median are the active deputies whose term had begun by
// the end of the month: a deputy elected later, or one who left office,
// would pull the middle towards nothing. The deputy counts in their own
// group's and county's median. A median is the middle value, or the mean
// of the two middle ones (models.Median).

// Keys of the report's lines; the activity types' lines are "act:<type>".
const (
	LineReception  = "reception"   // reception days signed in at the desk (接待选民 entries)
	LineVoters     = "voters"      // voters received on those days
	LineOpinions   = "opinions"    // opinions filed through the deputy's codes
	LineClosed     = "closed"      // … of which closed (办结)
	LineReplyGood  = "reply_good"  // replies rated 满意 or 基本满意
	LineReplyBad   = "reply_bad"   // replies rated 不满意
	LineResultGood = "result_good" // results rated 解决了 or 部分解决
	LineResultBad  = "result_bad"  // results rated 没解决
)

// Sections of the report, in order.
const (
	SectionReception = "接待选民"
	SectionOpinions  = "选民扫码反映的意见"
	SectionActivity  = "其他履职活动"
)

// ActivityLine is the key of an activity type's line.
func ActivityLine(t models.ActivityType) string { return "act:" + string(t) }

// ReportLine is one figure of a period: the deputy's own count and the
// medians beside it.
type ReportLine struct {
	Key, Section, Label string
	// Unit is what is counted: "次", "人次", "件".
	Unit string
	Own  int
	// Groups are the medians of the deputy's groups, in the order of
	// MonthReport.Groups; County the county's median.
	Groups []float64
	County float64
}

// Quiet reports whether the line is zero for the deputy and both medians:
// the page folds such activity lines into one sentence.
func (l ReportLine) Quiet() bool {
	if l.Own != 0 || l.County != 0 {
		return false
	}
	for _, g := range l.Groups {
		if g != 0 {
			return false
		}
	}
	return true
}

// ReportPeriod is the report's month, or the year up to the month's end.
type ReportPeriod struct {
	// From and To are local dates, both included.
	From, To string
	// Label is "11月" or "1月至11月" (the page adds the year).
	Label string
	Lines []ReportLine
}

// Line is the period's line of key (the zero line when there is none).
func (p ReportPeriod) Line(key string) ReportLine {
	for _, l := range p.Lines {
		if l.Key == key {
			return l
		}
	}
	return ReportLine{}
}

// ReportGroup is a deputy group a report compares with.
type ReportGroup struct {
	ID   uint64
	Name string
	// Members is how many of its members the median counts.
	Members int
}

// MonthReport is a deputy's 履职通报 for one month.
type MonthReport struct {
	Deputy      models.Deputy
	StationName string
	// Month is "2026-11"; MonthLabel "2026年11月".
	Month, MonthLabel string
	// Groups are the deputy's groups; empty when they belong to none.
	Groups []ReportGroup
	// CountyLabel names the county's peers ("全县县级人大代表"), CountyMembers
	// counts them.
	CountyLabel   string
	CountyMembers int
	// ThisMonth and YearToDate are the figures.
	ThisMonth, YearToDate ReportPeriod
}

// Errors of the report.
var (
	// ErrReportMonth is a month that is not "2006-01", not over yet, or
	// before the records kept (the year before last).
	ErrReportMonth = models.Coded(models.ErrNotFound, "report_month", "没有这个月的履职通报：通报在每月结束后生成，可查看近两年的通报")
)

// ParseReportMonth reads "2026-11" as the first day of that month in loc
// (nil: UTC+8). A month that has not ended by now, or one before January
// of the year before last, is ErrReportMonth.
func ParseReportMonth(s string, now time.Time, loc *time.Location) (time.Time, error) {
	loc = models.OrLoc(loc)
	if len(s) != 7 {
		return time.Time{}, ErrReportMonth
	}
	m, err := time.ParseInLocation("2006-01", s, loc)
	if err != nil {
		return time.Time{}, ErrReportMonth
	}
	l := now.In(loc)
	this := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	if !m.Before(this) || m.Year() < l.Year()-2 {
		return time.Time{}, ErrReportMonth
	}
	return m, nil
}

// DeputyReportMonth is ParseReportMonth for deputy d: a month that ended
// before their term began is ErrReportMonth too (ReportMonths does not
// list it).
func DeputyReportMonth(d models.Deputy, s string, now time.Time, loc *time.Location) (time.Time, error) {
	m, err := ParseReportMonth(s, now, loc)
	if err != nil {
		return m, err
	}
	if d.TermStart != "" && m.AddDate(0, 1, -1).Format(models.DateLayout) < d.TermStart {
		return time.Time{}, ErrReportMonth
	}
	return m, nil
}

// MonthLabel is "2026年11月" for the month that starts at first.
func MonthLabel(first time.Time) string {
	return strconv.Itoa(first.Year()) + "年" + strconv.Itoa(int(first.Month())) + "月"
}

// ReportMonthOf is a month as it appears in a report's link: "2026-11".
func ReportMonthOf(first time.Time) string { return first.Format("2006-01") }

// ReportMonthLink is one month of a deputy's list of reports.
type ReportMonthLink struct {
	Month, Label string
}

// ReportMonths lists the months a deputy has a 通报 for, newest first:
// the last n ended months (default 12), none before their term began nor
// before ParseReportMonth's limit.
func ReportMonths(d models.Deputy, now time.Time, loc *time.Location, n int) []ReportMonthLink {
	loc = models.OrLoc(loc)
	if n <= 0 {
		n = 12
	}
	l := now.In(loc)
	first := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	limit := time.Date(l.Year()-2, 1, 1, 0, 0, 0, 0, loc)
	if t, err := time.ParseInLocation(models.DateLayout, d.TermStart, loc); err == nil {
		if s := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc); s.After(limit) {
			limit = s
		}
	}
	var out []ReportMonthLink
	for m := first.AddDate(0, -1, 0); len(out) < n && !m.Before(limit); m = m.AddDate(0, -1, 0) {
		out = append(out, ReportMonthLink{Month: ReportMonthOf(m), Label: MonthLabel(m)})
	}
	return out
}

// reportLineDef is how a line is read off a deputy's tallies.
type reportLineDef struct {
	key, section, label, unit string
	value                     func(a *activityTally, o *opinionTally) int
}

// reportLines are the report's lines in order: receptions, the opinions
// through the deputy's codes and how they ended, then the other types of
// activity.
func reportLines() []reportLineDef {
	defs := []reportLineDef{
		{LineReception, SectionReception, "参加接待日（签到）", "次", func(a *activityTally, _ *opinionTally) int { return a.ByType[models.ActReception] }},
		{LineVoters, SectionReception, "接待选民", "人次", func(a *activityTally, _ *opinionTally) int { return a.Voters }},
		{LineOpinions, SectionOpinions, "选民反映意见", "件", func(_ *activityTally, o *opinionTally) int { return o.Opinions }},
		{LineClosed, SectionOpinions, "其中已办结", "件", func(_ *activityTally, o *opinionTally) int { return o.ByStatus[models.OpinionClosed] }},
		{LineReplyGood, SectionOpinions, "答复评价满意、基本满意", "次", func(_ *activityTally, o *opinionTally) int { return o.good(models.StageReply) }},
		{LineReplyBad, SectionOpinions, "答复评价不满意", "次", func(_ *activityTally, o *opinionTally) int {
			return o.Ratings[models.StageReply][models.ScoreUnsatisfied]
		}},
		{LineResultGood, SectionOpinions, "办理结果评价解决、部分解决", "次", func(_ *activityTally, o *opinionTally) int { return o.good(models.StageResult) }},
		{LineResultBad, SectionOpinions, "办理结果评价没解决", "次", func(_ *activityTally, o *opinionTally) int {
			return o.Ratings[models.StageResult][models.ScoreUnsatisfied]
		}},
	}
	for _, t := range models.ActivityTypes {
		if t == models.ActReception {
			continue // the first line
		}
		defs = append(defs, reportLineDef{ActivityLine(t), SectionActivity, t.Label(), "次",
			func(a *activityTally, _ *opinionTally) int { return a.ByType[t] }})
	}
	return defs
}

// MonthlyReport is deputy deputyID's 通报 for the month starting at month
// (a local first of the month, ParseReportMonth) in loc (see the top of
// this file). The caller decides who may see it: the deputy their own,
// staff a deputy in their scope (DeputyInScope).
func MonthlyReport(ctx context.Context, db *gorm.DB, deputyID uint64, month time.Time, loc *time.Location) (MonthReport, error) {
	loc = models.OrLoc(loc)
	tx := db.WithContext(ctx)
	var r MonthReport
	if err := tx.First(&r.Deputy, deputyID).Error; err != nil {
		return r, models.NotFoundAs(err, models.ErrDeputyNotFound)
	}
	first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, loc)
	next := first.AddDate(0, 1, 0)
	jan := time.Date(first.Year(), 1, 1, 0, 0, 0, 0, loc)
	last := next.AddDate(0, 0, -1).Format(models.DateLayout)
	r.Month, r.MonthLabel = ReportMonthOf(first), MonthLabel(first)
	r.CountyLabel = r.Deputy.Level.Label()
	var st models.Station
	if err := tx.Select("id", "name").Limit(1).Find(&st, r.Deputy.StationID).Error; err != nil {
		return r, models.Translate(err)
	}
	r.StationName = st.Name

	// The peers: the county's active deputies of the level and the
	// members of the deputy's groups, whose term had begun by the month's end.
	active := func(q *gorm.DB) *gorm.DB {
		return q.Where("deputies.status = ? AND (deputies.term_start = '' OR deputies.term_start <= ?)", models.DeputyActive, last)
	}
	var county []uint64
	if err := active(tx.Model(&models.Deputy{})).Where("deputies.level = ?", r.Deputy.Level).
		Order("deputies.id").Pluck("deputies.id", &county).Error; err != nil {
		return r, models.Translate(err)
	}
	r.CountyMembers = len(county)
	groups, err := models.GroupsOf(ctx, db, deputyID)
	if err != nil {
		return r, err
	}
	members := make([][]uint64, len(groups))
	if len(groups) > 0 {
		gids := make([]uint64, len(groups))
		for i, g := range groups {
			gids[i] = g.ID
		}
		var rows []struct{ GroupID, DeputyID uint64 }
		if err := active(tx.Table("deputy_group_members AS m").Joins("JOIN deputies ON deputies.id = m.deputy_id")).
			Select("m.deputy_group_id AS group_id, m.deputy_id AS deputy_id").Where("m.deputy_group_id IN ?", gids).
			Order("m.deputy_id").Scan(&rows).Error; err != nil {
			return r, models.Translate(err)
		}
		for i, g := range groups {
			for _, row := range rows {
				if row.GroupID == g.ID {
					members[i] = append(members[i], row.DeputyID)
				}
			}
			r.Groups = append(r.Groups, ReportGroup{ID: g.ID, Name: g.Name, Members: len(members[i])})
		}
	}
	ids := append([]uint64{deputyID}, county...)
	for _, m := range members {
		ids = append(ids, m...)
	}
	ids = models.UniqueIDs(ids)

	// One scan per table counts the year to date and, apart, its last month.
	yearActs, monthActs, err := activityTallies(tx, ids, jan.Format(models.DateLayout), first.Format(models.DateLayout), last)
	if err != nil {
		return r, err
	}
	yearOps, monthOps, err := opinionTallies(tx, ids, jan.UTC(), first.UTC(), next.UTC())
	if err != nil {
		return r, err
	}
	period := func(from time.Time, label string, acts map[uint64]*activityTally, ops map[uint64]*opinionTally) ReportPeriod {
		p := ReportPeriod{From: from.Format(models.DateLayout), To: last, Label: label}
		value := func(def reportLineDef, id uint64) int {
			a, o := acts[id], ops[id]
			if a == nil {
				a = &activityTally{}
			}
			if o == nil {
				o = &opinionTally{}
			}
			return def.value(a, o)
		}
		median := func(def reportLineDef, peers []uint64) float64 {
			vals := make([]int, len(peers))
			for i, id := range peers {
				vals[i] = value(def, id)
			}
			return models.Median(vals)
		}
		for _, def := range reportLines() {
			l := ReportLine{Key: def.key, Section: def.section, Label: def.label, Unit: def.unit,
				Own: value(def, deputyID), County: median(def, county)}
			for _, m := range members {
				l.Groups = append(l.Groups, median(def, m))
			}
			p.Lines = append(p.Lines, l)
		}
		return p
	}
	r.ThisMonth = period(first, fmt.Sprintf("%d月", first.Month()), monthActs, monthOps)
	label := fmt.Sprintf("1月至%d月", first.Month())
	if first.Month() == time.January {
		label = "1月"
	}
	r.YearToDate = period(jan, label, yearActs, yearOps)
	return r, nil
}
