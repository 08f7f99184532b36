package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"
)

// The figures (docs/ARCHITECTURE.md#figures): what the office reads at its
// desk and, later, what the public results page shows. ComputeFigures is
// the one function that counts them; every count is a GROUP BY in SQL, so
// a county-year (tens of thousands of items) costs a few index scans, and
// Go only adds up the groups and names them.
//
// What is counted, for a period of local dates:
//   - opinions filed (created) in the period, by month, category, station,
//     channel and status; offline channels are the ones staff entered;
//   - the median working days to accept (accept clock start → accepted)
//     and to reply (reply clock start → the current round's reply), on the
//     working-day calendar: the clocks the deadlines run on. Items not yet
//     accepted or replied are left out, and counted, so the page says so;
//   - the voters' own ratings given in the period, by stage and score, and
//     apart from them the answers taken on phone call-backs (offline items
//     and voters who did not rate); a rate is shown only from
//     FigureQuery.MinSample answers up, with its counts always;
//   - per station: opinions, items overdue now, items answered (with a
//     reply in their current round) and closed (办结), the median working
//     days to reply, reception days held (closed), voters received
//     (checked-in bookings and walk-ins); the public results
//     (ResultStatsOf) show the answered, closed and median of the last
//     12 months from here;
//   - printed codes (boards, deputy and station codes) older than
//     SilentBoardDays with no scan in that time, and live codes that still
//     point at a retired deputy (these two ignore the period).

// DefaultMinSample is the fewest answers behind a satisfaction rate.
const DefaultMinSample = 10

// SilentBoardDays is how long a printed code may go unscanned before the
// dashboard lists it.
const SilentBoardDays = 90

// maxFigureDays bounds a custom period (about three years).
const maxFigureDays = 3*366 + 1

// FigureQuery says what to count.
type FigureQuery struct {
	// From and To are local dates ("2006-01-02"), both included.
	From, To string
	// StationIDs is the viewer's scope: nil counts every station and the
	// office's queue; a non-nil list counts those stations only (an empty
	// one counts nothing).
	StationIDs []uint64
	// Location is the local time zone (nil: UTC+8); Calendar the
	// working-day calendar (nil: weekends only).
	Location *time.Location
	Calendar *Calendar
	// Now is the time "overdue now" and the silent boards are judged at.
	Now time.Time
	// MinSample is the fewest answers a rate is shown for (0: DefaultMinSample).
	MinSample int
}

// FigureCount is one bar or slice: a key (a category code, a status, a
// month "2006-01", a station id …), its Chinese label and the count.
type FigureCount struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	N     int    `json:"n"`
}

// FigureMedian is a median in working days and what is behind it.
type FigureMedian struct {
	// Days is the median (a half when the two middle items differ).
	Days float64 `json:"days"`
	// N is the items counted; Pending the items of the period left out
	// because they are not accepted (replied) yet.
	N       int `json:"n"`
	Pending int `json:"pending"`
}

// Text is "1.5个工作日", or "暂无" without items.
func (m FigureMedian) Text() string {
	if m.N == 0 {
		return "暂无"
	}
	return strconv.FormatFloat(m.Days, 'f', -1, 64) + "个工作日"
}

// FigureRate is the satisfaction of one stage from one kind of answer.
type FigureRate struct {
	// Stage is StageReply or StageResult; Counts the three scores in the
	// order satisfied, basically, unsatisfied, labelled in the stage's words.
	Stage  string        `json:"stage"`
	Counts []FigureCount `json:"counts"`
	// N is all answers, Good the satisfied and basically satisfied ones
	// (for the result: solved and partly solved).
	N    int `json:"n"`
	Good int `json:"good"`
	// Enough is N >= the minimum sample; Percent is Good/N in percent,
	// one decimal, and meaningful only when Enough.
	Enough  bool    `json:"enough"`
	Percent float64 `json:"percent"`
	Min     int     `json:"min_sample"`
}

// Text is "93.3%（14/15）", or "样本不足（n=7）" under the minimum sample.
func (r FigureRate) Text() string {
	if !r.Enough {
		return fmt.Sprintf("样本不足（n=%d）", r.N)
	}
	return fmt.Sprintf("%s%%（%d/%d）", strconv.FormatFloat(r.Percent, 'f', 1, 64), r.Good, r.N)
}

// StationFigures is one station's activity in the period.
type StationFigures struct {
	StationID uint64 `json:"station_id"`
	Name      string `json:"name"`
	District  string `json:"district"`
	Opinions  int    `json:"opinions"`
	// Overdue is the station's items of the period past a running
	// deadline now.
	Overdue int `json:"overdue"`
	// Answered is the station's items of the period with a reply in their
	// current round (Reply.N: replied, or closed after a reply); Solved
	// those closed (办结: a satisfied result, or closed by the office).
	Answered int `json:"answered"`
	Solved   int `json:"solved"`
	// Reply is the median working days to reply of the station's items.
	Reply          FigureMedian `json:"reply"`
	ReceptionDays  int          `json:"reception_days"`
	VotersReceived int          `json:"voters_received"`
}

// BoardFigure is a printed code the office should look at.
type BoardFigure struct {
	Code string   `json:"code"`
	Kind CodeKind `json:"kind"`
	// Label is what the code is: the board's place, "某某代表的二维码", or
	// the station's name.
	Label       string     `json:"label"`
	DeputyID    uint64     `json:"deputy_id,omitempty"`
	DeputyName  string     `json:"deputy_name,omitempty"`
	StationID   uint64     `json:"station_id"`
	StationName string     `json:"station_name"`
	CreatedAt   time.Time  `json:"created_at"`
	LastScanAt  *time.Time `json:"last_scan_at,omitempty"`
	ScanCount   int64      `json:"scan_count"`
}

// Figures is what ComputeFigures counted.
type Figures struct {
	From, To string
	// Total is every opinion of the period; Online those voters filed,
	// Offline those staff entered (letters, phone calls, receptions …).
	Total, Online, Offline int
	// Overdue is the period's items past a running deadline now.
	Overdue int
	// ByMonth has every month of the period, empty ones too; the others
	// list what occurred, largest first (ByChannel and ByStatus in their
	// fixed order, with zeros).
	ByMonth, ByCategory, ByStation, ByChannel, ByStatus []FigureCount
	Accept, Reply                                       FigureMedian
	// ReplyOnline and ResultOnline are the voters' own ratings;
	// ReplyPhone and ResultPhone the answers given on phone call-backs.
	ReplyOnline, ResultOnline, ReplyPhone, ResultPhone FigureRate
	// Stations is every station of the scope (and the office's queue when
	// it has items), most opinions first.
	Stations []StationFigures
	// SilentBoards are live printed codes older than SilentBoardDays
	// without a scan since; RetiredBoards live codes of retired deputies.
	SilentBoards, RetiredBoards []BoardFigure
	MinSample                   int
}

// Figure errors.
var (
	ErrFigurePeriod = Invalid("period", "请选择有效的统计时段")
	ErrFigureDates  = Invalid("from", "日期格式不正确（例如2026-03-10），且开始日期不能晚于结束日期")
	ErrFigureSpan   = Invalid("from", "统计时段不能超过三年")
)

// Figure periods a viewer picks.
const (
	PeriodThisMonth = "this_month"
	PeriodLastMonth = "last_month"
	PeriodThisYear  = "this_year"
	PeriodCustom    = "custom"
)

// PeriodLabel is the Chinese name of a figure period.
func PeriodLabel(p string) string {
	switch p {
	case PeriodThisMonth:
		return "本月"
	case PeriodLastMonth:
		return "上月"
	case PeriodThisYear:
		return "今年"
	case PeriodCustom:
		return "自定义"
	}
	return p
}

// FigurePeriod turns a period choice into local dates (both included): the
// month, last month or year of now in loc, or from and to as given (custom,
// at most about three years). "" is this month.
func FigurePeriod(period, from, to string, now time.Time, loc *time.Location) (string, string, error) {
	loc = orLoc(loc)
	l := now.In(loc)
	first := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	switch period {
	case "", PeriodThisMonth:
		return first.Format(DateLayout), first.AddDate(0, 1, -1).Format(DateLayout), nil
	case PeriodLastMonth:
		p := first.AddDate(0, -1, 0)
		return p.Format(DateLayout), first.AddDate(0, 0, -1).Format(DateLayout), nil
	case PeriodThisYear:
		y := time.Date(l.Year(), 1, 1, 0, 0, 0, 0, loc)
		return y.Format(DateLayout), y.AddDate(1, 0, -1).Format(DateLayout), nil
	case PeriodCustom:
		f, ok1 := parseDate(from, loc)
		t, ok2 := parseDate(to, loc)
		if !ok1 || !ok2 || t.Before(f) {
			return "", "", ErrFigureDates
		}
		if t.Sub(f) > maxFigureDays*24*time.Hour {
			return "", "", ErrFigureSpan
		}
		return f.Format(DateLayout), t.Format(DateLayout), nil
	}
	return "", "", ErrFigurePeriod
}

// ComputeFigures counts the figures of q (see the top of this file).
func ComputeFigures(ctx context.Context, db *gorm.DB, q FigureQuery) (Figures, error) {
	loc := orLoc(q.Location)
	from, ok1 := parseDate(q.From, loc)
	to, ok2 := parseDate(q.To, loc)
	if !ok1 || !ok2 || to.Before(from) {
		return Figures{}, ErrFigureDates
	}
	if to.Sub(from) > maxFigureDays*24*time.Hour {
		return Figures{}, ErrFigureSpan
	}
	if q.MinSample <= 0 {
		q.MinSample = DefaultMinSample
	}
	f := &figureRun{ctx: ctx, db: db.WithContext(ctx), q: q, loc: loc, from: from.UTC(), to: to.AddDate(0, 0, 1).UTC(),
		now: q.Now.UTC(), out: Figures{From: from.Format(DateLayout), To: to.Format(DateLayout), MinSample: q.MinSample}}
	if f.now.IsZero() {
		f.now = time.Now().UTC()
	}
	// The queries run side by side, each on a connection of its own
	// (SQLite's one connection takes them in turn); each writes only its
	// own fields. Go then puts the answers together.
	steps := []func() error{f.names, f.fetchOpinions, f.median(true), f.median(false), f.ratings, f.fetchReception, f.fetchBoards}
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = step()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Figures{}, err
	}
	f.sumOpinions()
	f.sumReception()
	f.sumBoards()
	return f.out, nil
}

// figureRun holds one ComputeFigures call.
type figureRun struct {
	ctx          context.Context
	db           *gorm.DB
	q            FigureQuery
	loc          *time.Location
	from, to     time.Time // UTC, to excluded
	now          time.Time
	out          Figures
	stations     map[uint64]Station
	stationOrder []uint64
	categories   []Category
	// What the queries answered, for the sums.
	byStation []stationStatusRow
	byKind    []kindRow
	days      [3][]stationCount // reception days held, bookings checked in, walk-ins
	silent    []boardRow
	retired   []boardRow
	lastScan  map[string]time.Time
	// stationReply is the reply median per station (median(false)).
	stationReply map[uint64]FigureMedian
}

type stationStatusRow struct {
	StationID  uint64
	Status     OpinionStatus
	N, Overdue int
}

type kindRow struct {
	CategoryID uint64
	Source     string
	M, N       int
}

type stationCount struct {
	StationID uint64
	N         int
}

type boardRow struct {
	Code       string
	Kind       CodeKind
	TargetKind CodeKind
	TargetID   uint64
	Label      string
	ScanCount  int64
	CreatedAt  time.Time
	DeputyName *string
	StationID  uint64
}

// scoped limits a query on a table with a station_id column to the scope.
func (f *figureRun) scoped(q *gorm.DB, col string) *gorm.DB {
	if f.q.StationIDs == nil {
		return q
	}
	if len(f.q.StationIDs) == 0 {
		return q.Where("1 = 0")
	}
	return q.Where(col+" IN ?", f.q.StationIDs)
}

// inPeriod limits a query to rows whose col falls in the period.
func (f *figureRun) inPeriod(q *gorm.DB, col string) *gorm.DB {
	return q.Where(col+" >= ? AND "+col+" < ?", f.from, f.to)
}

// names loads the scope's stations and the categories.
func (f *figureRun) names() error {
	var sts []Station
	q := f.scoped(f.db.Model(&Station{}), "id").Select("id", "name", "district", "kind")
	if err := q.Order("id").Find(&sts).Error; err != nil {
		return translate(err)
	}
	f.stations = make(map[uint64]Station, len(sts))
	for _, s := range sts {
		f.stations[s.ID] = s
		f.stationOrder = append(f.stationOrder, s.ID)
	}
	var err error
	f.categories, err = ListCategories(f.ctx, f.db)
	return err
}

func (f *figureRun) stationName(id uint64) string {
	if id == officeStation {
		return OfficeName
	}
	if s, ok := f.stations[id]; ok {
		return s.Name
	}
	return "联络站#" + strconv.FormatUint(id, 10)
}

// fetchOpinions counts the period's items in two GROUP BYs over the
// covering index idx_opinion_figures (migrate_figures.go): by station and
// status, with the overdue ones, and by category, channel and local month.
func (f *figureRun) fetchOpinions() error {
	q := f.db.Model(&Opinion{}).Select("station_id, status, COUNT(*) AS n, "+
		"SUM(CASE WHEN (status IN ? AND accept_due_at < ?) OR (status IN ? AND reply_due_at < ?) THEN 1 ELSE 0 END) AS overdue",
		awaitingAccept, f.now, awaitingReply, f.now)
	if err := f.grouped(q, "station_id, status").Scan(&f.byStation).Error; err != nil {
		return translate(err)
	}
	q = f.db.Model(&Opinion{}).Select("category_id, source, " + f.monthSQL("created_at") + " AS m, COUNT(*) AS n")
	if err := f.grouped(q, "category_id, source, m").Scan(&f.byKind).Error; err != nil {
		return translate(err)
	}
	return nil
}

// sumOpinions adds the groups up per dimension; the items not yet accepted
// or replied are those the medians did not count.
func (f *figureRun) sumOpinions() {
	o := &f.out
	status := map[OpinionStatus]int{}
	per := map[uint64]*StationFigures{}
	for _, id := range f.stationOrder {
		s := f.stations[id]
		per[id] = &StationFigures{StationID: id, Name: s.Name, District: s.District}
	}
	for _, r := range f.byStation {
		o.Total += r.N
		o.Overdue += r.Overdue
		status[r.Status] += r.N
		sf := per[r.StationID]
		if sf == nil {
			sf = &StationFigures{StationID: r.StationID, Name: f.stationName(r.StationID)}
			per[r.StationID] = sf
		}
		sf.Opinions += r.N
		sf.Overdue += r.Overdue
		if r.Status == OpinionClosed {
			sf.Solved += r.N
		}
	}
	for id, m := range f.stationReply {
		if sf := per[id]; sf != nil {
			sf.Reply = m
			sf.Answered = m.N
		}
	}
	for _, sf := range per {
		sf.Reply.Pending = sf.Opinions - sf.Reply.N
	}
	cats, sources, months := map[uint64]int{}, map[string]int{}, map[int]int{}
	o.Accept.Pending, o.Reply.Pending = o.Total-o.Accept.N, o.Total-o.Reply.N
	for _, r := range f.byKind {
		cats[r.CategoryID] += r.N
		sources[r.Source] += r.N
		months[r.M] += r.N
	}
	other := o.Total
	for _, c := range f.categories {
		if n := cats[c.ID]; n > 0 {
			o.ByCategory = append(o.ByCategory, FigureCount{Key: c.Code, Label: c.Name, N: n})
			other -= n
		}
	}
	if other > 0 { // a category since removed
		o.ByCategory = append(o.ByCategory, FigureCount{Key: "", Label: "其他类别", N: other})
	}
	sortCounts(o.ByCategory)
	other = o.Total
	for _, src := range AllSources {
		n := sources[src]
		o.ByChannel = append(o.ByChannel, FigureCount{Key: src, Label: SourceLabel(src), N: n})
		other -= n
		if IsOfflineSource(src) {
			o.Offline += n
		}
	}
	if other > 0 {
		o.ByChannel = append(o.ByChannel, FigureCount{Key: "", Label: SourceLabel(""), N: other})
	}
	o.Online = o.Total - o.Offline
	for _, st := range OpinionStatuses {
		o.ByStatus = append(o.ByStatus, FigureCount{Key: string(st), Label: st.Label(), N: status[st]})
	}
	first := f.from.In(f.loc)
	for m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, f.loc); m.Before(f.to); m = m.AddDate(0, 1, 0) {
		o.ByMonth = append(o.ByMonth, FigureCount{Key: m.Format("2006-01"),
			Label: strconv.Itoa(m.Year()) + "年" + strconv.Itoa(int(m.Month())) + "月", N: months[m.Year()*100+int(m.Month())]})
	}
	for _, sf := range per {
		o.Stations = append(o.Stations, *sf)
	}
	f.sortStations()
	for _, sf := range o.Stations {
		if sf.Opinions > 0 {
			o.ByStation = append(o.ByStation, FigureCount{Key: strconv.FormatUint(sf.StationID, 10), Label: sf.Name, N: sf.Opinions})
		}
	}
}

// grouped is q on the period's items of the scope, grouped by cols, in no
// particular order (MySQL would otherwise sort by the group).
func (f *figureRun) grouped(q *gorm.DB, cols string) *gorm.DB {
	return f.inPeriod(f.scoped(q, "station_id"), "created_at").Group(cols).Order("NULL")
}

// sortStations orders the stations most opinions first, then by id.
func (f *figureRun) sortStations() {
	sort.SliceStable(f.out.Stations, func(i, j int) bool {
		a, b := f.out.Stations[i], f.out.Stations[j]
		if a.Opinions != b.Opinions {
			return a.Opinions > b.Opinions
		}
		return a.StationID < b.StationID
	})
}

// sortCounts orders counts largest first, ties by label.
func sortCounts(c []FigureCount) {
	sort.SliceStable(c, func(i, j int) bool {
		if c[i].N != c[j].N {
			return c[i].N > c[j].N
		}
		return c[i].Key < c[j].Key
	})
}

// dayNumberSQL is the SQL of a whole number for col's local date, one
// more each day (dayFromNumber reads it back). The zone's offset is taken at
// the start of the period: the county's zone, UTC+8, has no daylight saving.
func (f *figureRun) dayNumberSQL(col string) string {
	_, off := f.from.In(f.loc).Zone()
	if DialectOf(f.db) == MySQL {
		return fmt.Sprintf("TO_DAYS(%s + INTERVAL %d SECOND)", col, off)
	}
	// The Julian day starts at noon: + 0.5 makes a day start at midnight.
	return fmt.Sprintf("CAST(julianday(%s) + %.6f AS INTEGER)", col, float64(off)/86400+0.5)
}

// monthSQL is the SQL of col's local month as a number, 202610 for
// October 2026 (offset as for dayNumberSQL).
func (f *figureRun) monthSQL(col string) string {
	_, off := f.from.In(f.loc).Zone()
	if DialectOf(f.db) == MySQL {
		return fmt.Sprintf("EXTRACT(YEAR_MONTH FROM %s + INTERVAL %d SECOND)", col, off)
	}
	return fmt.Sprintf("CAST(strftime('%%Y%%m', %s, '%+d seconds') AS INTEGER)", col, off)
}

// dayFromNumber is the local date dayNumberSQL numbered n.
func (f *figureRun) dayFromNumber(n int64) time.Time {
	epoch := int64(2440588) // the Julian day number of 1970-01-01
	if DialectOf(f.db) == MySQL {
		epoch = 719528 // TO_DAYS('1970-01-01')
	}
	return time.Date(1970, 1, 1, 0, 0, 0, 0, f.loc).AddDate(0, 0, int(n-epoch))
}

// median finds the median working days to accept (or to reply): the
// period's items grouped by station, local start day and local end day in
// SQL, and each group's working days read off a running count of working
// days. The reply median is kept per station too (stationReply).
func (f *figureRun) median(accept bool) func() error {
	start, end, out := "reply_start_at", "replied_at", &f.out.Reply
	if accept {
		start, end, out = "accept_start_at", "accepted_at", &f.out.Accept
	}
	return func() error {
		var rows []struct {
			StationID uint64
			S, E      int64
			N         int
		}
		s, e := f.dayNumberSQL(start), f.dayNumberSQL(end)
		q := f.db.Model(&Opinion{}).Select("station_id, " + s + " AS s, " + e + " AS e, COUNT(*) AS n").Where(end + " IS NOT NULL")
		if err := f.grouped(q, "station_id, s, e").Scan(&rows).Error; err != nil {
			return translate(err)
		}
		if len(rows) == 0 {
			return nil
		}
		lo, hi := rows[0].S, rows[0].E
		for _, r := range rows {
			lo, hi = min(lo, r.S, r.E), max(hi, r.S, r.E)
		}
		// worked[i]: working days from day lo+1 to day lo+i.
		worked := make([]int, hi-lo+1)
		d := f.dayFromNumber(lo)
		for i := 1; i < len(worked); i++ {
			d = d.AddDate(0, 0, 1)
			worked[i] = worked[i-1]
			if f.q.Calendar.IsWorkingDay(d) {
				worked[i]++
			}
		}
		days := make([]weighted, 0, len(rows))
		per := map[uint64][]weighted{}
		for _, r := range rows {
			w := weighted{v: float64(max(0, worked[r.E-lo]-worked[r.S-lo])), n: r.N}
			days = append(days, w)
			per[r.StationID] = append(per[r.StationID], w)
			out.N += r.N
		}
		out.Days = weightedMedian(days)
		if !accept {
			f.stationReply = make(map[uint64]FigureMedian, len(per))
			for id, ws := range per {
				m := FigureMedian{Days: weightedMedian(ws)}
				for _, w := range ws {
					m.N += w.n
				}
				f.stationReply[id] = m
			}
		}
		return nil
	}
}

type weighted struct {
	v float64
	n int
}

// weightedMedian is the median of values each repeated n times: the middle
// one, or the mean of the two middle ones.
func weightedMedian(w []weighted) float64 {
	total := 0
	for _, x := range w {
		total += x.n
	}
	if total == 0 {
		return 0
	}
	slices.SortFunc(w, func(a, b weighted) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	at := func(k int) float64 { // the k-th value (0-based)
		for _, x := range w {
			if k < x.n {
				return x.v
			}
			k -= x.n
		}
		return w[len(w)-1].v
	}
	if total%2 == 1 {
		return at(total / 2)
	}
	return math.Round((at(total/2-1)+at(total/2))/2*10) / 10
}

// ratings counts the answers given in the period, by stage and score: the
// voters' ratings and, apart, the phone call-backs.
func (f *figureRun) ratings() error {
	for _, src := range []struct {
		model         any
		reply, result *FigureRate
	}{{&OpinionRating{}, &f.out.ReplyOnline, &f.out.ResultOnline}, {&OpinionCallback{}, &f.out.ReplyPhone, &f.out.ResultPhone}} {
		var rows []struct {
			Stage, Score string
			N            int
		}
		q := f.db.Model(src.model).Select("stage, score, COUNT(*) AS n")
		q = f.inPeriod(f.scoped(q, "station_id"), "created_at").Group("stage, score")
		if err := q.Scan(&rows).Error; err != nil {
			return translate(err)
		}
		for stage, out := range map[string]*FigureRate{StageReply: src.reply, StageResult: src.result} {
			n := map[string]int{}
			for _, r := range rows {
				if r.Stage == stage {
					n[r.Score] += r.N
				}
			}
			*out = f.rate(stage, n)
		}
	}
	return nil
}

func (f *figureRun) rate(stage string, n map[string]int) FigureRate {
	r := FigureRate{Stage: stage, Min: f.q.MinSample}
	for _, s := range []string{ScoreSatisfied, ScoreBasically, ScoreUnsatisfied} {
		r.Counts = append(r.Counts, FigureCount{Key: s, Label: StageScoreLabel(stage, s), N: n[s]})
		r.N += n[s]
	}
	r.Good = n[ScoreSatisfied] + n[ScoreBasically]
	r.Enough = r.N >= f.q.MinSample
	if r.N > 0 {
		r.Percent = math.Round(float64(r.Good)*1000/float64(r.N)) / 10
	}
	return r
}

// fetchReception counts, per station, the reception days of the period
// that were held (closed) and the voters received on the period's days:
// checked-in bookings and walk-ins.
func (f *figureRun) fetchReception() error {
	from, to := f.out.From, f.out.To
	q := f.db.Model(&ReceptionDay{}).Select("station_id, COUNT(*) AS n").
		Where("status = ? AND date >= ? AND date <= ?", DayClosed, from, to)
	if err := f.scoped(q, "station_id").Group("station_id").Scan(&f.days[0]).Error; err != nil {
		return translate(err)
	}
	q = f.db.Model(&Booking{}).Select("station_id, COUNT(*) AS n").
		Where("date >= ? AND date <= ? AND status = ?", from, to, BookingCheckedIn)
	if err := f.scoped(q, "station_id").Group("station_id").Scan(&f.days[1]).Error; err != nil {
		return translate(err)
	}
	q = f.db.Table("walk_ins").Select("reception_days.station_id AS station_id, COUNT(*) AS n").
		Joins("JOIN reception_days ON reception_days.id = walk_ins.day_id").
		Where("reception_days.date >= ? AND reception_days.date <= ?", from, to)
	if err := f.scoped(q, "reception_days.station_id").Group("reception_days.station_id").Scan(&f.days[2]).Error; err != nil {
		return translate(err)
	}
	return nil
}

// sumReception puts the reception counts on the stations' rows.
func (f *figureRun) sumReception() {
	idx := map[uint64]int{}
	for i, s := range f.out.Stations {
		idx[s.StationID] = i
	}
	for k, rows := range f.days {
		for _, r := range rows {
			i, ok := idx[r.StationID]
			if !ok {
				f.out.Stations = append(f.out.Stations, StationFigures{StationID: r.StationID, Name: f.stationName(r.StationID)})
				i = len(f.out.Stations) - 1
				idx[r.StationID] = i
			}
			if k == 0 {
				f.out.Stations[i].ReceptionDays += r.N
			} else {
				f.out.Stations[i].VotersReceived += r.N
			}
		}
	}
}

// fetchBoards finds the live printed codes of the scope that went
// unscanned for SilentBoardDays, and those pointing at a retired deputy.
func (f *figureRun) fetchBoards() error {
	cutoff := f.now.AddDate(0, 0, -SilentBoardDays)
	base := func() *gorm.DB {
		q := f.db.Table("codes").
			Select("codes.code, codes.kind, codes.target_kind, codes.target_id, codes.label, codes.scan_count, codes.created_at, "+
				"deputies.name AS deputy_name, "+
				"CASE WHEN codes.target_kind = ? THEN codes.target_id ELSE deputies.station_id END AS station_id", CodeStation).
			Joins("LEFT JOIN deputies ON codes.target_kind = ? AND deputies.id = codes.target_id", CodeDeputy).
			Where("codes.revoked = ? AND codes.kind IN ?", false, []CodeKind{CodeDeputy, CodeStation, CodeBoard})
		if ids := f.q.StationIDs; ids != nil {
			if len(ids) == 0 {
				return q.Where("1 = 0")
			}
			q = q.Where("(codes.target_kind = ? AND codes.target_id IN ?) OR (codes.target_kind = ? AND deputies.station_id IN ?)",
				CodeStation, ids, CodeDeputy, ids)
		}
		return q.Order("codes.kind, codes.target_id, codes.code")
	}
	err := base().Where("codes.created_at < ? AND (deputies.status IS NULL OR deputies.status = ?)", cutoff, DeputyActive).
		Where("NOT EXISTS (SELECT 1 FROM scan_days WHERE scan_days.code = codes.code AND scan_days.last_at >= ?)", cutoff).
		Scan(&f.silent).Error
	if err != nil {
		return translate(err)
	}
	if err := base().Where("deputies.status = ?", DeputyRetired).Scan(&f.retired).Error; err != nil {
		return translate(err)
	}
	// The last scan of the silent codes: scan_days is keyed by (code, day).
	f.lastScan = map[string]time.Time{}
	if len(f.silent) > 0 {
		codes := make([]string, len(f.silent))
		for i, r := range f.silent {
			codes[i] = r.Code
		}
		var ls []struct {
			Code string
			At   aggTime
		}
		for chunk := range slices.Chunk(codes, 500) {
			if err := f.db.Model(&ScanDay{}).Select("code, MAX(last_at) AS at").Where("code IN ?", chunk).
				Group("code").Scan(&ls).Error; err != nil {
				return translate(err)
			}
			for _, l := range ls {
				if !l.At.T.IsZero() {
					f.lastScan[l.Code] = l.At.T
				}
			}
		}
	}
	return nil
}

// sumBoards names the codes fetchBoards found.
func (f *figureRun) sumBoards() {
	conv := func(rows []boardRow) []BoardFigure {
		out := make([]BoardFigure, 0, len(rows))
		for _, r := range rows {
			b := BoardFigure{Code: r.Code, Kind: r.Kind, StationID: r.StationID, StationName: f.stationName(r.StationID),
				CreatedAt: r.CreatedAt, ScanCount: r.ScanCount, Label: r.Label}
			if r.TargetKind == CodeDeputy {
				b.DeputyID = r.TargetID
				if r.DeputyName != nil {
					b.DeputyName = *r.DeputyName
				}
			}
			if b.Label == "" {
				if b.DeputyName != "" {
					b.Label = b.DeputyName + "代表的二维码"
				} else {
					b.Label = b.StationName + "的二维码"
				}
			}
			if t, ok := f.lastScan[r.Code]; ok {
				b.LastScanAt = &t
			}
			out = append(out, b)
		}
		return out
	}
	f.out.SilentBoards, f.out.RetiredBoards = conv(f.silent), conv(f.retired)
}

// aggTime reads a time an aggregate (MAX) returned: MySQL gives a DATETIME,
// SQLite the stored text, which has no declared type to convert it by.
type aggTime struct{ T time.Time }

// Value implements driver.Valuer (gorm wants both halves).
func (a aggTime) Value() (driver.Value, error) { return a.T, nil }

// Scan implements sql.Scanner.
func (a *aggTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		a.T = time.Time{}
	case time.Time:
		a.T = x.UTC()
	case []byte:
		return a.Scan(string(x))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
			if t, err := time.Parse(layout, x); err == nil {
				a.T = t.UTC()
				return nil
			}
		}
		return fmt.Errorf("figures: unreadable time %q", x)
	default:
		return fmt.Errorf("figures: unreadable time %T", v)
	}
	return nil
}
