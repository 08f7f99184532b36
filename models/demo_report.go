package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The demo's opinions through deputies' codes (docs/ARCHITECTURE.md#monthly-report):
// last month, voters scanned the codes of the county deputies of 城关镇's
// group and of two others and filed opinions in the mini-program, which
// the stations handled through the real workflow (accepted, replied) and
// the voters rated, so the monthly 履职通报 of last month, and the
// deputies' records, show opinions, how they ended and the voters'
// ratings beside the medians. Deterministic (seeded by the deputy's name
// and the date) and made once: a second load finds the demo voters.

// demoReportDeputies are the deputies voters reached through their codes.
var demoReportDeputies = []string{"张海明", "王桂英", "李文涛", "赵春燕", "刘德胜", "杨晓红", "黄建平"}

// demoReportVoter is the openid of the n-th demo voter who filed through a code.
func demoReportVoter(n int) string { return fmt.Sprintf("demo-voter-report-%02d", n) }

// demoReportTexts are what those voters raised, by category.
var demoReportTexts = []struct{ category, text string }{
	{DemoCategoryShenghuo, "小区二次供水水压不稳，高层住户早晚用水经常断流，希望代表帮忙反映。"},
	{"chengxiang", "菜市场后面的小路坑洼不平，下雨天积水，老人出门不方便。"},
	{"jiaotong", "学校门口放学时段车辆拥堵，建议增设临时停车位和护学岗。"},
	{DemoCategoryShenghuo, "社区养老服务站开放时间太短，希望周末也能开放。"},
	{"chengxiang", "老旧小区外墙瓷砖脱落，存在安全隐患，希望尽快排查。"},
	{"jiaotong", "路口红绿灯时间太短，老人过马路来不及，建议延长。"},
}

// demoReportReplies are the stations' replies.
var demoReportReplies = []string{
	"已联系相关部门现场查看，问题已处理完毕，感谢您的监督。",
	"经与街道和有关单位协调，已列入本月整改计划，处理情况将及时告知您。",
}

// reportOpinions files and handles the demo's opinions through deputies'
// codes in the month before now (see the top of this file); st.Opinions
// counts them.
func (g *demoRecordGen) reportOpinions(tx *gorm.DB, st *DemoRecordStats) error {
	ctx := tx.Statement.Context
	var n int64
	if err := tx.Model(&Voter{}).Where("mp_openid = ?", demoReportVoter(1)).Count(&n).Error; err != nil {
		return translate(err)
	}
	if n > 0 {
		return nil
	}
	cal, err := LoadCalendar(ctx, tx)
	if err != nil {
		return err
	}
	first := time.Date(g.today.Year(), g.today.Month()-1, 1, 0, 0, 0, 0, g.loc)
	voter := 0
	for _, name := range demoReportDeputies {
		d, ok := g.deputy[name]
		if !ok || d.Status != DeputyActive {
			continue
		}
		var code string
		if err := tx.Model(&Code{}).Where("kind = ? AND target_id = ? AND revoked = ?", CodeDeputy, d.ID, false).
			Order("created_at, code").Limit(1).Pluck("code", &code).Error; err != nil {
			return translate(err)
		}
		staff := g.clerk[d.StationID]
		if staff == 0 {
			staff = g.admin
		}
		if code == "" || staff == 0 {
			continue
		}
		r := g.rng("report-opinions", name)
		for k := range 1 + r.IntN(3) {
			voter++
			v, err := UpsertMPVoter(ctx, tx, demoReportVoter(voter), "")
			if err != nil {
				return err
			}
			filed := time.Date(first.Year(), first.Month(), 2+r.IntN(17), 9+r.IntN(10), r.IntN(60), 0, 0, g.loc)
			t := demoReportTexts[(voter+k)%len(demoReportTexts)]
			op, _, err := FileOpinion(ctx, tx, FileInput{VoterID: v.ID, Category: t.category, Content: t.text, Code: code,
				IdempotencyKey: "demo-report-" + demoReportVoter(voter)}, RouteWorld{}, filed, g.loc, cal)
			if err != nil {
				return fmt.Errorf("demo opinion through %s's code: %w", name, err)
			}
			st.Opinions++
			if _, _, err := AcceptOpinion(ctx, tx, staff, op.ID, "", filed.Add(3*time.Hour)); err != nil {
				return err
			}
			// One in five is still in hand; the others are replied and rated.
			if r.IntN(5) == 0 {
				continue
			}
			if _, _, err := ReplyOpinion(ctx, tx, staff, op.ID, ReplyInput{Text: demoReportReplies[r.IntN(len(demoReportReplies))]},
				filed.Add(50*time.Hour)); err != nil {
				return err
			}
			reply := []string{ScoreSatisfied, ScoreSatisfied, ScoreSatisfied, ScoreBasically, ScoreBasically, ScoreUnsatisfied}[r.IntN(6)]
			if _, _, _, err := RateOpinion(ctx, tx, v.ID, op.ID, StageReply, reply, "", filed.Add(72*time.Hour), g.loc, cal); err != nil {
				return err
			}
			if r.IntN(4) == 0 {
				continue // the voter has not answered "解决了吗？" yet
			}
			result := []string{ScoreSatisfied, ScoreSatisfied, ScoreBasically}[r.IntN(3)]
			if _, _, _, err := RateOpinion(ctx, tx, v.ID, op.ID, StageResult, result, "", filed.Add(120*time.Hour), g.loc, cal); err != nil {
				return err
			}
		}
	}
	return nil
}
