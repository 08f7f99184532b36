package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// The demo county's year of opinions and its public results (办理结果公开,
// docs/ARCHITECTURE.md#public-results), so that the inbox, the dashboard
// and the mini-program's results page are not empty: each demo station
// received opinions offline over the last DemoRecordMonths months (more at
// the county seat, a handful at a village), and its staff (the station's
// clerk, or the office's admin where the demo has none) handled them
// through the real workflow, dated back: accepted, replied, called back
// and closed as "solved", except the recent ones, still in hand, and a few
// older ones the callers never reached. demoPublished of the closed ones
// are published with summaries written the way the form asks (no name,
// phone or house number).

// demoOpinionCounts is how many ordinary items each demo station received
// in the year (each of demoPublished adds one): the first two pass
// DefaultResultsMinSample, so the public page shows both rates and
// counts-only stations. Few enough that serve --demo on MySQL still starts
// in seconds (each item takes the workflow's four transactions).
var demoOpinionCounts = map[string]int{
	"城关镇人大代表之家": 20, "东门社区代表联络站": 20, "西街社区代表联络站": 3, "东溪街道基层立法联系点": 2,
	"滨江社区代表联络站": 3, "新华社区代表联络站": 2, "青溪经济开发区代表联络站": 1, "桃源镇代表联络站": 2,
	"桃花村代表联络站": 1, "白沙镇代表联络站": 2, "沙湾村代表联络站": 1, "石门镇代表联络站": 1,
	"龙潭村代表联络站": 1, "茶山村代表联络站": 1,
}

// demoOpinionTexts are what voters raised, by category code.
var demoOpinionTexts = map[string][]string{
	DemoCategoryShenghuo: {"小区二次供水水压不稳，高层住户早晚用水经常断流。", "社区养老服务站开放时间太短，希望周末也能开放。", "老旧小区燃气管道老化，希望安排检修。"},
	"chengxiang":         {"小区门口道路坑洼不平，下雨天积水严重。", "村里危旧房改造进度慢，希望加快。", "老旧小区外墙瓷砖脱落，存在安全隐患。"},
	"jiaotong":           {"公交线路班次太少，早高峰等车时间长。", "学校门口放学时段车辆拥堵，建议增设临时停车位。", "路口红绿灯时间太短，老人过马路来不及。"},
	"jiaoyi":             {"希望社区卫生服务站增加儿童疫苗接种时段。", "学校周边流动摊贩多，食品安全让家长担心。", "医保异地报销手续复杂，希望简化。"},
	"shengtai":           {"河道里漂浮垃圾较多，夏天有异味。", "垃圾分类投放点清运不及时，周边有异味。", "工地夜间施工噪声扰民，影响休息。"},
	"shehui":             {"小区楼道堆放杂物，存在消防隐患。", "村里邻里因宅基地边界发生纠纷，希望帮助调解。", "不清楚网格员是谁，办事不知道找谁。"},
	"lifa":               {"建议在养老服务条例中明确居家养老服务补贴标准。", "建议物业管理条例对电梯维修资金的使用作出规定。"},
	"qita":               {"希望在村文化礼堂增加图书和报刊。"},
}

// demoGeneralCategories are the categories of the demo's ordinary items
// (立法意见 only at the legislative point).
var demoGeneralCategories = []string{DemoCategoryShenghuo, "chengxiang", "jiaotong", "jiaoyi", "shengtai", "shehui", "qita"}

// demoReplies are the replies of the ordinary items.
var demoReplies = []string{
	"您反映的问题已交相关部门核实处理，目前已处理完毕。感谢您对人大代表工作的支持。",
	"经联络站与有关单位现场查看，问题已协调解决，后续将持续跟踪。",
	"已转交镇（街道）相关部门办理，处理情况已电话告知您，欢迎继续监督。",
}

// demoPublished are the demo's public results: a closed item of the
// station filed DaysAgo days ago, and its published summary.
var demoPublished = []struct {
	Station, Category, Content, Summary, Result string
	DaysAgo                                     int
}{
	{"城关镇人大代表之家", "chengxiang", "人民路与解放街交叉口附近人行道地砖松动，下雨天踩上去溅水，老人走路容易摔倒，希望尽快修一修。",
		"人民路与解放街交叉口附近人行道地砖松动，雨天积水溅人，老人通行不便。",
		"代表之家转县住建局办理。住建局一周内更换松动地砖约60平方米，疏通两处雨水口；代表回访时群众表示满意。", 300},
	{"东门社区代表联络站", DemoCategoryShenghuo, "东门社区老年食堂中午只供应一种套餐，行动不便的老人希望能送餐上门。",
		"东门社区老年食堂品种少，行动不便的老人吃饭难。",
		"社区与老年食堂协商，增加一荤一素可选套餐，并组织志愿者为12户高龄独居老人每天送餐上门。", 240},
	{"西街社区代表联络站", "jiaotong", "西街菜市场门口早高峰电动车乱停，堵住了公交站台，上下车很不安全。",
		"西街菜市场门口早高峰电动车乱停，占用公交站台。",
		"联络站邀请交警中队、市场管理方现场协商，在市场东侧划设非机动车停放区80个车位，早高峰安排专人引导，站台恢复畅通。", 180},
	{"东溪街道基层立法联系点", "lifa", "对物业管理条例草案的意见：建议明确业主大会使用维修资金的表决程序，防止少数人说了算。",
		"对物业管理条例草案提出：明确维修资金使用的表决程序。",
		"联系点汇总后报送县人大常委会法制工作委员会，建议被草案修改稿采纳：维修资金的使用须经专有部分面积和业主人数“双过半”同意。", 150},
	{"滨江社区代表联络站", "shengtai", "滨江路沿线几家烧烤店晚上油烟很大，楼上住户不敢开窗。",
		"滨江路沿线烧烤店夜间油烟扰民。",
		"转县生态环境分局办理。执法队检查5家店铺，督促其中3家安装油烟净化设备、2家调整排烟口位置，复查油烟排放达标。", 120},
	{"桃花村代表联络站", "chengxiang", "桃花村通往镇上的机耕路有一段塌方，农用车过不去，快到采茶季了很着急。",
		"桃花村通往镇上的机耕路一段塌方，农用车无法通行，影响采茶季运输。",
		"镇人大将此事列入民生实事项目，镇政府组织抢修，修复塌方路段约120米并加装护栏，赶在采茶季前恢复通行。", 90},
	{"白沙镇代表联络站", "jiaoyi", "白沙镇卫生院周末不做B超，孕妇检查要跑到县城，很不方便。",
		"白沙镇卫生院周末不开展B超检查，群众需到县城检查。",
		"转县卫健局办理。卫生院调整排班，周六上午开放B超检查，并与县医院建立远程会诊。", 60},
	{"石门镇代表联络站", "shehui", "石门街夜里路灯坏了好几盏，晚上回家一片黑，担心安全。",
		"石门街多盏路灯损坏，夜间出行存在安全隐患。",
		"镇政府组织维修更换路灯14盏，并将该路段纳入每月巡查；代表回访时群众表示满意。", 40},
}

// DemoPublishedCount is how many public results the demo publishes.
var DemoPublishedCount = len(demoPublished)

// DemoResultStats says what LoadDemoResults created; zero on a second run.
type DemoResultStats struct {
	Opinions, Closed, Published int
}

// auditDemoResults marks the demo's opinions as loaded.
const auditDemoResults = "demo.results"

// LoadDemoResults gives the demo county its year of opinions and public
// results, dated back from now in loc. Call it after LoadDemo. It is
// deterministic (seeded by the station and now's date) and runs once: a
// database where it ran (its audit row) is left alone. One transaction;
// the workflow's notifications are not written (nobody is told about a
// demo year).
func LoadDemoResults(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location) (DemoResultStats, error) {
	loc = orLoc(loc)
	var st DemoResultStats
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		st = DemoResultStats{}
		var done int64
		if err := tx.Model(&AuditLog{}).Where("action = ?", auditDemoResults).Count(&done).Error; err != nil {
			return translate(err)
		}
		if done > 0 {
			return nil
		}
		g, err := newDemoRecordGen(tx, now, loc)
		if err != nil {
			return err
		}
		cal, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		world, err := LoadRouteWorld(ctx, tx)
		if err != nil {
			return err
		}
		r := &demoResultRun{ctx: ctx, tx: tx, g: g, cal: cal, world: world, st: &st}
		if err := r.ordinary(); err != nil {
			return err
		}
		if err := r.published(); err != nil {
			return err
		}
		return Audit(ctx, tx, now, SystemActor, auditDemoResults, "demo", 0, "", "",
			fmt.Sprintf("演示数据（%s）意见建议：%d条，办结%d条，公开办理结果%d条", DemoCountyName, st.Opinions, st.Closed, st.Published))
	})
	if err != nil {
		return DemoResultStats{}, fmt.Errorf("load demo results: %w", err)
	}
	return st, nil
}

// demoResultRun is one LoadDemoResults.
type demoResultRun struct {
	ctx   context.Context
	tx    *gorm.DB
	g     *demoRecordGen
	cal   *Calendar
	world RouteWorld
	st    *DemoResultStats
}

// staffOf is who handles a station's items in the demo: its clerk, or the
// office's admin.
func (r *demoResultRun) staffOf(stationID uint64) uint64 {
	if id := r.g.clerk[stationID]; id != 0 {
		return id
	}
	return r.g.admin
}

// ordinary files and handles each station's ordinary items.
func (r *demoResultRun) ordinary() error {
	ids := make([]uint64, 0, len(r.g.station))
	for id := range r.g.station {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := r.g.station[id]
		rng := r.g.rng("results", s.Name, r.g.today.Format(DateLayout))
		cats := demoGeneralCategories
		if s.Kind == KindLegislative {
			cats = []string{"lifa", "lifa", DemoCategoryShenghuo, "shehui"}
		}
		for i := range demoOpinionCounts[s.Name] {
			cat := cats[rng.IntN(len(cats))]
			texts := demoOpinionTexts[cat]
			ago := 3 + rng.IntN(DemoRecordMonths*30-5)
			// Most items older than a month closed; a few the callers
			// never reached (replied only), a few still in hand.
			stage := 3
			switch x := rng.IntN(100); {
			case x < 8:
				stage = 2
			case x < 12:
				stage = 1
			}
			_, err := r.handle(s, cat, texts[(i+rng.IntN(len(texts)))%len(texts)], demoReplies[rng.IntN(len(demoReplies))],
				ago, stage, rng.IntN(2), 2+rng.IntN(10), 2+rng.IntN(5))
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// published files, closes and publishes the demoPublished items.
func (r *demoResultRun) published() error {
	byName := map[string]Station{}
	for _, s := range r.g.station {
		byName[s.Name] = s
	}
	for _, p := range demoPublished {
		s, ok := byName[p.Station]
		if !ok {
			continue
		}
		op, err := r.handle(s, p.Category, p.Content, p.Result, p.DaysAgo, 3, 1, 8, 3)
		if err != nil {
			return err
		}
		if op.Status != OpinionClosed {
			continue
		}
		// Published the day after it closed.
		at := op.ClosedAt.Add(26 * time.Hour)
		if at.After(r.g.now) {
			at = r.g.now
		}
		if _, err := PublishOpinion(r.ctx, r.tx, r.staffOf(s.ID), op.ID, PublishInput{Summary: p.Summary, Result: p.Result},
			at, r.g.loc, r.cal); err != nil {
			return fmt.Errorf("publish %s: %w", p.Station, err)
		}
		r.st.Published++
	}
	return nil
}

// handle files an item received at station s ago days back and takes it
// through the workflow up to stage (0 filed, 1 accepted, 2 replied, 3
// closed on a call-back), after acceptDays, replyDays and callDays working
// days, each step only if it falls before now.
func (r *demoResultRun) handle(s Station, cat, content, reply string, ago, stage, acceptDays, replyDays, callDays int) (Opinion, error) {
	g, staff := r.g, r.staffOf(s.ID)
	day := g.daysAgo(ago)
	filed := g.at(day, 9, 30)
	channel := OfflineSources[ago%len(OfflineSources)]
	op, _, err := FileOfflineOpinion(r.ctx, r.tx, nil, staff, OfflineInput{Channel: channel, StationID: s.ID,
		CategoryCode: cat, Content: content, ReceivedOn: day.Format(DateLayout)}, r.world, filed, g.loc, r.cal)
	if err != nil {
		return Opinion{}, fmt.Errorf("demo opinion at %s: %w", s.Name, err)
	}
	r.st.Opinions++
	steps := []struct {
		days         int
		hour, minute int
		run          func(at time.Time) (Opinion, []OpinionEvent, error)
	}{
		{acceptDays, 10, 0, func(at time.Time) (Opinion, []OpinionEvent, error) {
			return AcceptOpinion(r.ctx, r.tx, staff, op.ID, "", at)
		}},
		{replyDays, 16, 0, func(at time.Time) (Opinion, []OpinionEvent, error) {
			return ReplyOpinion(r.ctx, r.tx, staff, op.ID, ReplyInput{Text: reply}, at)
		}},
		{callDays, 10, 30, func(at time.Time) (Opinion, []OpinionEvent, error) {
			score := ScoreSatisfied
			if ago%7 == 0 {
				score = ScoreBasically
			}
			return RecordCallback(r.ctx, r.tx, staff, op.ID, CallbackInput{ReplyScore: score, ResultScore: score}, at, g.loc, r.cal)
		}},
	}
	last := filed
	for _, step := range steps[:stage] {
		d := r.cal.AddWorkingDays(last, step.days, g.loc)
		at := time.Date(d.Year(), d.Month(), d.Day(), step.hour, step.minute, 0, 0, g.loc).UTC()
		if !at.Before(g.now) {
			break
		}
		no := op.TrackingNo
		if op, _, err = step.run(at); err != nil {
			return Opinion{}, fmt.Errorf("demo opinion %s: %w", no, err)
		}
		last = at
	}
	if op.Status == OpinionClosed {
		r.st.Closed++
	}
	return op, nil
}
