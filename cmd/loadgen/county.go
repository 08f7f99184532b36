package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// The county-year at scale 1 (docs/BENCHMARKS.md, "Console pages on a
// county-year"), the size of a real Hubei county: 12
// deputy homes, 63 liaison stations and one legislative point; 400 deputies
// of four levels; a year of 50,000 opinions and 20,000 bookings.
const (
	countyHomes       = 12
	countyStations    = 63
	countyLegislative = 1
	countyDeputies    = 400
	countyOpinions    = 50000
	countyBookings    = 20000
	countyVoters      = 30000
)

// countyOpts says what generateCounty makes.
type countyOpts struct {
	// Scale multiplies deputies, voters, opinions and bookings (not the 76
	// stations); 0.01 is a test's county.
	Scale float64
	Seed  uint64
	// Now ends the year; the reception days run one month past it.
	Now time.Time
	Loc *time.Location
	// Password is the console password of bench_admin and bench_clerk.
	Password string
	Log      io.Writer
}

// countyReport counts what generateCounty wrote.
type countyReport struct {
	Stations, Communities, Deputies, Voters, Opinions, Timeline, Ratings, Audit int
	Days, Slots, Bookings, Staff                                                int
	// ClerkStation is bench_clerk's station, the busiest.
	ClerkStation uint64
	Took         time.Duration
}

func (r countyReport) String() string {
	return fmt.Sprintf("stations %d, communities %d, deputies %d, staff %d, voters %d, opinions %d (timeline %d, ratings %d, audit %d), reception days %d (slots %d), bookings %d in %s",
		r.Stations, r.Communities, r.Deputies, r.Staff, r.Voters, r.Opinions, r.Timeline, r.Ratings, r.Audit, r.Days, r.Slots, r.Bookings, r.Took.Round(time.Millisecond))
}

// errNotEmpty refuses to generate into a database that holds data.
var errNotEmpty = errors.New("the database already has stations: generate the county into an empty database (create a scratch one)")

// countyCmd fills an empty database with a county-year.
func countyCmd(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	dbURL := fs.String("mysql", "", "an empty database on this machine, mysql://root@127.0.0.1:3306/DB (migrated here)")
	scale := fs.Float64("scale", 1, "multiplies deputies, voters, opinions and bookings")
	seed := fs.Uint64("seed", 14, "random seed: the same seed makes the same county")
	password := fs.String("password", "bench-password-1", "console password of bench_admin and bench_clerk")
	if err := fs.Parse(args); err != nil || *dbURL == "" || *scale <= 0 || *scale > 4 {
		return errUsage
	}
	u, err := url.Parse(*dbURL)
	if err != nil || u.Scheme != "mysql" || loopback(hostWithPort(u.Host, "3306")) != nil {
		return fmt.Errorf("--mysql must be a mysql:// URL on this machine")
	}
	db, err := models.Open(ctx, *dbURL, models.OpenOptions{})
	if err != nil {
		return err
	}
	defer models.Close(db)
	if _, err := models.Migrate(ctx, db); err != nil {
		return err
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return err
	}
	rep, err := generateCounty(ctx, db, countyOpts{Scale: *scale, Seed: *seed, Now: time.Now(), Loc: loc, Password: *password, Log: stdout})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "county-year:", rep)
	fmt.Fprintf(stdout, "console logins: bench_admin and bench_clerk (station %d), password %q\n", rep.ClerkStation, *password)
	return nil
}

// gen is one run of the generator.
type gen struct {
	ctx context.Context
	db  *gorm.DB
	o   countyOpts
	r   *rand.Rand
	rep countyReport
	cal *models.Calendar

	stations []models.Station
	weights  []float64 // opinions per station, relative
	comms    map[uint64][]models.Community
	deputies map[uint64][]uint64 // active deputies by primary station
	clerks   map[uint64]uint64   // a clerk of each station
	admin    uint64
	cats     []models.Category
	depts    []models.Department
	voters   []uint64
}

func (g *gen) logf(format string, a ...any) {
	if g.o.Log != nil {
		fmt.Fprintf(g.o.Log, format+"\n", a...)
	}
}

func (g *gen) scaled(n int) int { return max(1, int(float64(n)*g.o.Scale+0.5)) }

// insert writes rows in batches of 500 (MySQL's placeholder limit allows
// ~1,400 rows of the widest table).
func insert[T any](g *gen, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	return g.db.WithContext(g.ctx).CreateInBatches(rows, 500).Error
}

// generateCounty fills an empty database (migrated) with the demo county
// grown to a county-year: the data of every console page at the scale the
// office works at. It refuses a database that has stations.
func generateCounty(ctx context.Context, db *gorm.DB, o countyOpts) (countyReport, error) {
	start := time.Now()
	var n int64
	if err := db.WithContext(ctx).Model(&models.Station{}).Count(&n).Error; err != nil {
		return countyReport{}, err
	}
	if n > 0 {
		return countyReport{}, errNotEmpty
	}
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	g := &gen{ctx: ctx, db: db, o: o, r: rand.New(rand.NewPCG(o.Seed, 2026)),
		comms: map[uint64][]models.Community{}, deputies: map[uint64][]uint64{}, clerks: map[uint64]uint64{}}
	if _, err := models.LoadDemo(ctx, db); err != nil {
		return countyReport{}, err
	}
	if _, err := models.EnsureHolidays(ctx, db); err != nil {
		return countyReport{}, err
	}
	var err error
	if g.cal, err = models.LoadCalendar(ctx, db); err != nil {
		return countyReport{}, err
	}
	for _, step := range []struct {
		name string
		f    func() error
	}{
		{"stations", g.places}, {"deputies", g.people}, {"staff", g.staff}, {"voters", g.makeVoters},
		{"opinions", g.opinions}, {"reception", g.reception},
	} {
		t0 := time.Now()
		if err := step.f(); err != nil {
			return g.rep, fmt.Errorf("%s: %w", step.name, err)
		}
		g.logf("  %s: %s", step.name, time.Since(t0).Round(time.Millisecond))
	}
	g.rep.Took = time.Since(start)
	return g.rep, nil
}

var countyTownships = []string{"城关镇", "东溪街道", "桃源镇", "白沙镇", "石桥镇", "龙潭乡", "梅岭镇", "清河镇", "双庙乡", "黄土岭镇", "柳林镇", "凤凰街道"}

var countyPlaces = []string{"幸福", "和平", "团结", "光明", "新民", "向阳", "青山", "红星", "胜利", "前进", "建设", "长青", "民主", "永安",
	"太平", "兴隆", "丰收", "金桥", "银杏", "五里", "七星", "八角", "大湾", "小河", "杨柳", "松林", "竹园", "桂花", "荷塘", "枫树"}

// places grows the demo stations to 12 homes, 63 stations and one
// legislative point, each with two or three communities.
func (g *gen) places() error {
	ctx := g.ctx
	var have []models.Station
	if err := g.db.WithContext(ctx).Order("id").Find(&have).Error; err != nil {
		return err
	}
	count := map[models.StationKind]int{}
	for _, s := range have {
		count[s.Kind]++
	}
	var add []models.Station
	seq := 0
	for _, want := range []struct {
		kind models.StationKind
		n    int
	}{{models.KindHome, countyHomes}, {models.KindStation, countyStations}, {models.KindLegislative, countyLegislative}} {
		for count[want.kind] < want.n {
			count[want.kind]++
			seq++
			town := countyTownships[seq%len(countyTownships)]
			place := countyPlaces[seq%len(countyPlaces)] + fmt.Sprint(seq/len(countyPlaces)+1)
			name := town + place + "村代表联络站"
			if want.kind == models.KindHome {
				name = town + place + "片区人大代表之家"
			}
			add = append(add, models.Station{Kind: want.kind, Name: name, District: town,
				Address: "青溪县" + town + place + "村村民委员会", Lat: 30.2 + g.r.Float64()*0.3, Lng: 120 + g.r.Float64()*0.4,
				OpenHours: "周一至周五 9:00-17:00", Phone: fmt.Sprintf("0571-638%05d", seq)})
		}
	}
	if err := insert(g, add); err != nil {
		return err
	}
	var comms []models.Community
	for i, s := range add {
		for k := range 2 + i%2 {
			comms = append(comms, models.Community{Name: fmt.Sprintf("%s第%d组", strings.TrimSuffix(strings.TrimSuffix(s.Name, "代表联络站"), "人大代表之家"), k+1),
				StationID: s.ID, District: s.District, Aliases: ""})
		}
	}
	if err := insert(g, comms); err != nil {
		return err
	}
	if err := g.db.WithContext(ctx).Order("id").Find(&g.stations).Error; err != nil {
		return err
	}
	var all []models.Community
	if err := g.db.WithContext(ctx).Find(&all).Error; err != nil {
		return err
	}
	for _, c := range all {
		g.comms[c.StationID] = append(g.comms[c.StationID], c)
	}
	// The busiest station (the demo's 东门社区, bench_clerk's) takes about
	// 5% of the county's items, homes three times a station's share.
	g.weights = make([]float64, len(g.stations))
	for i, s := range g.stations {
		w := 0.5 + g.r.Float64()
		switch {
		case i == 1:
			w = 5
		case s.Kind == models.KindHome:
			w *= 3
		case s.Kind == models.KindLegislative:
			w *= 2
		}
		g.weights[i] = w
	}
	g.rep.Stations, g.rep.Communities = len(g.stations), len(all)
	return nil
}

var countySurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
var countyGiven = []string{"建国", "秀英", "志强", "丽华", "国平", "红梅", "海涛", "春燕", "明亮", "桂兰", "卫东", "晓燕", "德胜", "玉兰", "文斌", "静", "磊", "芳", "军", "敏"}

// people grows the deputies to 400 (times the scale) of four levels, most
// at the county and township congresses, each with a code.
func (g *gen) people() error {
	var n int64
	if err := g.db.WithContext(g.ctx).Model(&models.Deputy{}).Count(&n).Error; err != nil {
		return err
	}
	var add []models.Deputy
	for i := int(n); i < g.scaled(countyDeputies); i++ {
		lvl := models.LevelTownship
		switch p := g.r.Float64(); {
		case p < 0.02:
			lvl = models.LevelProvincial
		case p < 0.09:
			lvl = models.LevelCity
		case p < 0.47:
			lvl = models.LevelCounty
		}
		st := g.stations[g.r.IntN(len(g.stations))]
		status := models.DeputyActive
		if g.r.IntN(40) == 0 {
			status = models.DeputyRetired
		}
		add = append(add, models.Deputy{Name: string(countySurnames[g.r.IntN(len(countySurnames))]) + countyGiven[g.r.IntN(len(countyGiven))],
			Level: lvl, Group: st.District + "代表小组", StationID: st.ID, Status: status, Term: "第十八届",
			Duties: st.District + "居民", TermStart: "2021-12-20", TermEnd: "2026-12-19"})
	}
	if err := insert(g, add); err != nil {
		return err
	}
	var codes []models.Code
	for _, d := range add {
		codes = append(codes, models.Code{Code: g.code(), Kind: models.CodeDeputy, TargetKind: models.CodeDeputy, TargetID: d.ID,
			ScanCount: int64(g.r.IntN(300)), CreatedAt: g.o.Now.UTC()})
	}
	if err := insert(g, codes); err != nil {
		return err
	}
	var all []models.Deputy
	if err := g.db.WithContext(g.ctx).Where("status = ?", models.DeputyActive).Find(&all).Error; err != nil {
		return err
	}
	for _, d := range all {
		g.deputies[d.StationID] = append(g.deputies[d.StationID], d.ID)
	}
	g.rep.Deputies = int(n) + len(add)
	return nil
}

// code is a random code of the codes' alphabet (no collision in practice:
// 31^8 codes).
func (g *gen) code() string {
	b := make([]byte, models.CodeLen)
	for i := range b {
		b[i] = models.CodeAlphabet[g.r.IntN(len(models.CodeAlphabet))]
	}
	return string(b)
}

// staff makes a clerk for every station that has none, and the two
// console logins the measurement signs in as.
func (g *gen) staff() error {
	ctx, now := g.ctx, g.o.Now
	var have []models.Staff
	if err := g.db.WithContext(ctx).Preload("Stations").Find(&have).Error; err != nil {
		return err
	}
	for _, s := range have {
		for _, st := range s.Stations {
			if _, ok := g.clerks[st.ID]; !ok {
				g.clerks[st.ID] = s.ID
			}
		}
	}
	for _, st := range g.stations {
		if _, ok := g.clerks[st.ID]; ok {
			continue
		}
		s := models.Staff{Name: string(countySurnames[g.r.IntN(len(countySurnames))]) + countyGiven[g.r.IntN(len(countyGiven))],
			Role: models.RoleClerk, Active: true, Stations: []models.Station{{ID: st.ID}}}
		if err := g.db.WithContext(ctx).Omit("Stations.*").Create(&s).Error; err != nil {
			return err
		}
		g.clerks[st.ID] = s.ID
	}
	busiest := g.stations[1].ID
	a, err := models.CreateConsoleUser(ctx, g.db, "bench_admin", g.o.Password, "县人大办测试", models.RoleAdmin, nil, now)
	if err != nil {
		return err
	}
	c, err := models.CreateConsoleUser(ctx, g.db, "bench_clerk", g.o.Password, "联络员测试", models.RoleClerk, []uint64{busiest}, now)
	if err != nil {
		return err
	}
	g.admin, g.clerks[busiest], g.rep.ClerkStation = a.ID, c.ID, busiest
	var n int64
	err = g.db.WithContext(ctx).Model(&models.Staff{}).Count(&n).Error
	g.rep.Staff = int(n)
	return err
}

func (g *gen) makeVoters() error {
	n := g.scaled(countyVoters)
	rows := make([]models.Voter, 0, n)
	for i := range n {
		mp := fmt.Sprintf("oCounty%08d", i)
		v := models.Voter{MPOpenID: &mp, PhoneMasked: fmt.Sprintf("13%d****%04d", 5+i%5, i%10000)}
		if i%3 == 0 {
			oa := fmt.Sprintf("oaCounty%08d", i)
			v.OAOpenID, v.Following = &oa, true
		}
		rows = append(rows, v)
	}
	if err := insert(g, rows); err != nil {
		return err
	}
	for _, v := range rows {
		g.voters = append(g.voters, v.ID)
	}
	g.rep.Voters = n
	return nil
}

var countyIssues = []string{
	"%s路口的路灯坏了一个多月，晚上出行很不安全，希望尽快修复。",
	"%s小区雨污管网老化，一下雨就返水，请有关部门安排改造。",
	"%s附近的公交班次太少，早高峰等车要四十分钟，建议加密班次。",
	"%s菜市场周边占道经营严重，电动车和行人挤在一起，存在安全隐患。",
	"%s的老年食堂只开午餐，希望增加晚餐供应，方便独居老人。",
	"%s幼儿园入园名额紧张，建议在片区内新增普惠性幼儿园。",
	"%s河道有人倾倒建筑垃圾，气味很大，请环保部门查处。",
	"%s的村道年久失修，坑洼很多，农用车经过时经常陷车。",
	"%s卫生院缺少儿科医生，孩子看病要跑到县城，建议定期坐诊。",
	"%s一带夜间烧烤油烟和噪声扰民，多次反映没有解决。",
	"建议在%s设置电动自行车集中充电桩，消除楼道充电隐患。",
	"对《青溪县物业管理条例（草案）》的意见：%s业主委员会成立难，建议明确街道指导责任。",
}

var countyReplies = []string{
	"经协调，相关部门已完成维修，请您继续监督。",
	"已纳入年度改造计划，预计下季度开工，届时将在社区公示。",
	"交通运输局已调整早高峰班次，增加两趟区间车。",
	"市场监管所已开展专项整治，划定临时摊位并安排专人巡查。",
	"您的意见已转交有关部门研究，答复如上，感谢您的关心和支持。",
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// weighted picks an index by weight.
func weighted(r *rand.Rand, w []float64, total float64) int {
	x := r.Float64() * total
	for i, v := range w {
		if x -= v; x < 0 {
			return i
		}
	}
	return len(w) - 1
}

var countySources = []struct {
	s string
	w float64
}{{models.SourceMiniProgram, 55}, {models.SourceChat, 10}, {models.SourceLetter, 4}, {models.SourceMailbox, 4},
	{models.SourcePhone, 10}, {models.SourceReception, 12}, {models.SourceVisit, 5}}

// opinions files a year of items, oldest first, each carried as far along
// the workflow as its age makes likely, with its public timeline, audit
// trail, transfers and ratings.
func (g *gen) opinions() error {
	ctx, loc, now := g.ctx, g.o.Loc, g.o.Now.UTC()
	if err := g.db.WithContext(ctx).Order("sort_order").Find(&g.cats).Error; err != nil {
		return err
	}
	if err := g.db.WithContext(ctx).Order("id").Find(&g.depts).Error; err != nil {
		return err
	}
	var wsum float64
	for _, w := range g.weights {
		wsum += w
	}
	srcW := make([]float64, len(countySources))
	for i, s := range countySources {
		srcW[i] = s.w
	}
	catW := []float64{30, 20, 14, 12, 10, 9, 3, 2}
	n := g.scaled(countyOpinions)
	year := 365 * 24 * time.Hour
	begin := now.Add(-year)
	step := year / time.Duration(n)
	seqByDay := map[string]int{}
	const batch = 2000
	for lo := 0; lo < n; lo += batch {
		var ops []models.Opinion
		type extra struct {
			handler uint64
			dept    uint64
			stName  string
		}
		var ex []extra
		for i := lo; i < min(n, lo+batch); i++ {
			created := begin.Add(time.Duration(i)*step + time.Duration(g.r.Int64N(int64(step))))
			si := weighted(g.r, g.weights, wsum)
			st := g.stations[si]
			stationID := st.ID
			if g.r.IntN(100) == 0 {
				stationID = 0 // the congress office's queue
			}
			cat := g.cats[min(len(g.cats)-1, weighted(g.r, catW, 100))]
			if st.Kind == models.KindLegislative && g.r.IntN(2) == 0 {
				for _, c := range g.cats {
					if c.Code == "lifa" {
						cat = c
					}
				}
			}
			src := countySources[weighted(g.r, srcW, 100)].s
			day := created.In(loc).Format("20060102")
			seqByDay[day]++
			place := st.District
			if cs := g.comms[st.ID]; len(cs) > 0 {
				place = pick(g.r, cs).Name
			}
			op := models.Opinion{
				TrackingNo: fmt.Sprintf("YJ%s-%04d", day, seqByDay[day]), Source: src, CategoryID: cat.ID,
				Content: fmt.Sprintf(pick(g.r, countyIssues), place), Anonymous: g.r.IntN(5) == 0, StationID: stationID,
				RouteRule: "code", RouteReason: "扫描了" + st.Name + "的二维码", Status: models.OpinionSubmitted, Round: 1,
				AcceptDays: cat.AcceptDays, ReplyDays: cat.ReplyDays, AcceptStartAt: created, ReplyStartAt: created,
				AcceptDueAt: g.cal.WorkingDeadline(created, cat.AcceptDays, loc), ReplyDueAt: g.cal.WorkingDeadline(created, cat.ReplyDays, loc),
				Version: 1, CreatedAt: created, UpdatedAt: created,
			}
			if stationID == 0 {
				op.RouteRule, op.RouteReason = "office", "无法确定所属联络站，由县人大常委会办公室分办"
			}
			if models.IsOfflineSource(src) {
				clerk := g.clerks[st.ID]
				op.EnteredByStaffID, op.ReceivedOn, op.RouteRule = &clerk, created.In(loc).Format(models.DateLayout), models.RuleStaffEntry
				op.RouteReason = "工作人员登记，由" + st.Name + "办理"
				op.ContactName = string(countySurnames[g.r.IntN(len(countySurnames))]) + "先生"
			} else {
				op.VoterID = g.voters[g.r.IntN(len(g.voters))]
			}
			e := extra{stName: st.Name}
			if stationID != 0 {
				e.handler = g.clerks[st.ID]
			} else {
				e.handler = g.admin
				e.stName = "县人大常委会办公室"
			}
			g.advance(&op, &e.dept, now)
			if op.Status != models.OpinionSubmitted {
				h := e.handler
				op.HandlerStaffID = &h
			}
			ops = append(ops, op)
			ex = append(ex, e)
		}
		if err := insert(g, ops); err != nil {
			return err
		}
		var tl []models.OpinionTimelineEntry
		var audit []models.AuditLog
		var rates []models.OpinionRating
		var od []models.OpinionDepartment
		for k, op := range ops {
			e := ex[k]
			tl = append(tl, models.OpinionTimelineEntry{OpinionID: op.ID, At: op.CreatedAt, Kind: "submitted", Round: 1, Text: "意见已提交，由" + e.stName + "办理"})
			audit = append(audit, models.AuditLog{At: op.CreatedAt, ActorKind: "voter", ActorID: op.VoterID, Action: "opinion.file",
				EntityKind: "opinion", EntityID: op.ID, ToState: "submitted"})
			act := func(at time.Time, kind, action, from, text, detail string) {
				tl = append(tl, models.OpinionTimelineEntry{OpinionID: op.ID, At: at, Kind: kind, Round: 1, Text: text, Detail: detail})
				audit = append(audit, models.AuditLog{At: at, ActorKind: "staff", ActorID: e.handler, Action: action,
					EntityKind: "opinion", EntityID: op.ID, FromState: from, ToState: kind})
			}
			if op.AcceptedAt != nil {
				act(*op.AcceptedAt, "accepted", "opinion.accept", "submitted", e.stName+"已受理您的意见", "")
			}
			if op.DepartmentID != nil {
				at := op.AcceptedAt.Add(time.Hour)
				name := g.depts[0].Name
				for _, d := range g.depts {
					if d.ID == *op.DepartmentID {
						name = d.Name
					}
				}
				act(at, "transferred", "opinion.transfer", "accepted", "已转交"+name+"办理", "")
				od = append(od, models.OpinionDepartment{OpinionID: op.ID, DepartmentID: *op.DepartmentID, Role: "lead", CreatedAt: at})
			}
			if op.RepliedAt != nil {
				act(*op.RepliedAt, "replied", "opinion.reply", "accepted", e.stName+"已答复", op.ReplyText)
				if op.VoterID != 0 && g.r.IntN(10) < 6 {
					rates = append(rates, models.OpinionRating{OpinionID: op.ID, Round: 1, Stage: models.StageReply, VoterID: op.VoterID,
						StationID: op.StationID, Score: g.score(), CreatedAt: op.RepliedAt.Add(20 * time.Hour)})
				}
			}
			if op.ClosedAt != nil {
				act(*op.ClosedAt, "closed", "opinion.close", "replied", "意见已办结", "")
				if op.VoterID != 0 && g.r.IntN(2) == 0 {
					rates = append(rates, models.OpinionRating{OpinionID: op.ID, Round: 1, Stage: models.StageResult, VoterID: op.VoterID,
						StationID: op.StationID, Score: g.score(), CreatedAt: *op.ClosedAt})
				}
			}
		}
		for _, err := range []error{insert(g, tl), insert(g, audit), insert(g, rates), insert(g, od)} {
			if err != nil {
				return err
			}
		}
		g.rep.Opinions += len(ops)
		g.rep.Timeline += len(tl)
		g.rep.Audit += len(audit)
		g.rep.Ratings += len(rates)
	}
	var counters []models.OpinionCounter
	for day, seq := range seqByDay {
		counters = append(counters, models.OpinionCounter{Day: day, Seq: seq})
	}
	sort.Slice(counters, func(i, j int) bool { return counters[i].Day < counters[j].Day })
	return insert(g, counters)
}

func (g *gen) score() string {
	switch p := g.r.IntN(100); {
	case p < 72:
		return models.ScoreSatisfied
	case p < 92:
		return models.ScoreBasically
	}
	return models.ScoreUnsatisfied
}

// advance carries op along the workflow as far as its age makes likely:
// old items are mostly closed, this fortnight's mostly waiting.
func (g *gen) advance(op *models.Opinion, dept *uint64, now time.Time) {
	age := now.Sub(op.CreatedAt)
	p := g.r.IntN(100)
	stage := 0 // 0 submitted, 1 accepted, 2 transferred, 3 replied, 4 closed
	switch {
	case age > 45*24*time.Hour:
		stage = []int{4, 4, 4, 4, 4, 4, 4, 4, 3, 2}[p/10]
		if p < 2 {
			stage = 1
		}
	case age > 15*24*time.Hour:
		stage = []int{4, 4, 4, 3, 3, 3, 3, 2, 1, 1}[p/10]
	default:
		stage = []int{0, 0, 0, 1, 1, 1, 2, 2, 3, 4}[p/10]
	}
	at := op.CreatedAt
	later := func(maxHours int) time.Time {
		at = at.Add(time.Duration(1+g.r.IntN(maxHours)) * time.Hour)
		if at.After(now) {
			at = now.Add(-time.Minute)
		}
		return at
	}
	if stage >= 1 {
		t := later(60)
		op.AcceptedAt, op.Status = &t, models.OpinionAccepted
	}
	if stage == 2 || (stage >= 3 && g.r.IntN(4) == 0) {
		d := g.depts[g.r.IntN(len(g.depts))].ID
		*dept, op.DepartmentID, op.Status = d, &d, models.OpinionTransferred
		later(2)
	}
	if stage >= 3 {
		t := later(24 * 14)
		op.RepliedAt, op.Status, op.ReplyText = &t, models.OpinionReplied, pick(g.r, countyReplies)
	}
	if stage >= 4 {
		t := later(24 * 7)
		op.ClosedAt, op.Status = &t, models.OpinionClosed
	}
	op.UpdatedAt = at
	op.Version = 1 + stage
}

// reception makes every station's monthly reception day for the year and
// the month ahead, six slots of four bookable seats, rosters, walk-ins and
// bookings: past days are closed with check-ins and no-shows, coming days
// have confirmed bookings.
func (g *gen) reception() error {
	loc, now := g.o.Loc, g.o.Now.UTC()
	var days []models.ReceptionDay
	local := now.In(loc)
	for _, st := range g.stations {
		for m := -12; m <= 1; m++ {
			first := time.Date(local.Year(), local.Month()+time.Month(m), 10, 0, 0, 0, 0, loc)
			d := g.cal.NextWorkingDay(first)
			startsAt := time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, loc).UTC()
			day := models.ReceptionDay{StationID: st.ID, Date: d.Format(models.DateLayout), Period: first.Format("2006-01"),
				Status: models.DayOpen, StartsAt: startsAt, EndsAt: startsAt.Add(3 * time.Hour),
				BookingOpensAt:  time.Date(d.Year(), d.Month(), d.Day()-14, 0, 0, 0, 0, loc).UTC(),
				BookingClosesAt: time.Date(d.Year(), d.Month(), d.Day()-1, 18, 0, 0, 0, loc).UTC(),
				Waitlist:        true, WaitlistMax: 10, CreatedAt: now, UpdatedAt: now}
			if day.EndsAt.Before(now) {
				closed := day.EndsAt.Add(time.Hour)
				day.Status, day.ClosedAt = models.DayClosed, &closed
			}
			days = append(days, day)
		}
	}
	if err := insert(g, days); err != nil {
		return err
	}
	var slots []models.Slot
	for _, d := range days {
		for k := range 6 {
			s := d.StartsAt.Add(time.Duration(k) * 30 * time.Minute)
			slots = append(slots, models.Slot{DayID: d.ID, Seq: k + 1, StationID: d.StationID, StartAt: s, EndAt: s.Add(30 * time.Minute),
				Capacity: 4, WalkInSeats: 2})
		}
	}
	// Seats taken: a shuffled list of (slot, seat), the first N booked.
	type seat struct{ slot int }
	var seats []seat
	for i := range slots {
		for range slots[i].Capacity {
			seats = append(seats, seat{i})
		}
	}
	g.r.Shuffle(len(seats), func(i, j int) { seats[i], seats[j] = seats[j], seats[i] })
	nb := min(len(seats), g.scaled(countyBookings), len(g.voters))
	dayOf := map[uint64]models.ReceptionDay{}
	for _, d := range days {
		dayOf[d.ID] = d
	}
	type pending struct {
		b    models.Booking
		slot int
	}
	var books []pending
	perDay := map[uint64]int{}
	for i := range nb {
		si := seats[i].slot
		d := dayOf[slots[si].DayID]
		perDay[d.ID]++
		b := models.Booking{VoterID: g.voters[i], DayID: d.ID, StationID: d.StationID, Date: d.Date,
			Topic:       pick(g.r, []string{"小区加装电梯", "道路维修", "子女入学", "医保报销", "宅基地审批", "噪声扰民", ""}),
			CheckinCode: fmt.Sprintf("%04d", (perDay[d.ID]*7919)%10000), CreatedAt: d.BookingOpensAt.Add(time.Duration(g.r.IntN(300)) * time.Hour)}
		b.UpdatedAt = b.CreatedAt
		p := g.r.IntN(100)
		switch {
		case d.Status == models.DayClosed && p < 80:
			t := slots[si].StartAt.Add(time.Duration(g.r.IntN(20)) * time.Minute)
			b.Status, b.CheckedInAt = models.BookingCheckedIn, &t
		case d.Status == models.DayClosed && p < 92:
			b.Status = models.BookingNoShow
		case p >= 93:
			t := b.CreatedAt.Add(24 * time.Hour)
			b.Status, b.CancelReason, b.CancelledAt = models.BookingCancelled, models.CancelByVoter, &t
		default:
			b.Status = models.BookingConfirmed
		}
		if b.Status == models.BookingConfirmed || b.Status == models.BookingCheckedIn {
			key := fmt.Sprintf("%d:%s", b.VoterID, b.Date)
			b.ActiveKey = &key
		}
		if b.Status != models.BookingCancelled {
			slots[si].Confirmed++
		}
		books = append(books, pending{b, si})
	}
	for i := range slots {
		if d := dayOf[slots[i].DayID]; d.Status == models.DayClosed {
			slots[i].WalkIns = g.r.IntN(3)
		}
	}
	if err := insert(g, slots); err != nil {
		return err
	}
	rows := make([]models.Booking, len(books))
	for i, p := range books {
		p.b.SlotID = slots[p.slot].ID
		rows[i] = p.b
	}
	if err := insert(g, rows); err != nil {
		return err
	}
	var walkins []models.WalkIn
	var roster []models.RosterEntry
	for _, s := range slots {
		for range s.WalkIns {
			walkins = append(walkins, models.WalkIn{DayID: s.DayID, SlotID: s.ID, StationID: s.StationID,
				Name: string(countySurnames[g.r.IntN(len(countySurnames))]) + "女士", Topic: "咨询", CreatedAt: s.StartAt.Add(10 * time.Minute)})
		}
	}
	for _, d := range days {
		deps := g.deputies[d.StationID]
		for k := 0; k < len(deps) && k < 3; k++ {
			e := models.RosterEntry{DayID: d.ID, DeputyID: deps[(k+int(d.ID))%len(deps)], CreatedAt: d.BookingOpensAt}
			if d.Status == models.DayClosed {
				t := d.StartsAt.Add(-10 * time.Minute)
				e.SignedInAt, e.SignInVia = &t, "staff"
			}
			roster = append(roster, e)
		}
	}
	for _, err := range []error{insert(g, walkins), insert(g, dedupeRoster(roster))} {
		if err != nil {
			return err
		}
	}
	g.rep.Days, g.rep.Slots, g.rep.Bookings = len(days), len(slots), len(rows)
	return nil
}

// dedupeRoster drops a deputy listed twice on one day (few deputies at a station).
func dedupeRoster(in []models.RosterEntry) []models.RosterEntry {
	seen := map[[2]uint64]bool{}
	var out []models.RosterEntry
	for _, e := range in {
		k := [2]uint64{e.DayID, e.DeputyID}
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
