package official_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"deputylink/models"
)

// Ensure a voter who answers the place question with their complaint is
// not silently routed to a community the text happens to mention: a fuzzy
// match is asked about ("您说的是高峰村吗？回复1是，回复0不是。"), "0" then
// means "no" (the place is asked again, nothing is cancelled), "1" takes it,
// and an exact community name or alias is still taken at once.
func TestChatFuzzyPlaceIsConfirmed(t *testing.T) {
	e := newChatEnv(t, false)
	const voter = "oVoterFuzzy01"
	const complaint = "高峰岭上的路灯坏了一个多月，晚上走路看不见"
	e.push(oaEvent(voter, oaNextCT(), "SCAN", e.code)).text(t, voter)
	e.say(t, voter, "我要反映")
	oaWant(t, e.say(t, voter, "1"), "回复1确认")

	r := e.say(t, voter, complaint)
	oaWant(t, r, "您说的是高峰村吗？回复1是，回复0不是。")
	if strings.Contains(r, "地点：高峰村") || strings.Contains(r, "请描述") {
		t.Fatalf("rerouted without asking: %s", r)
	}
	r = e.say(t, voter, "0")
	if strings.Contains(r, "已取消") || strings.Contains(r, "退出") && !strings.Contains(r, "村或社区") {
		t.Fatalf("\"0\" at the confirmation ended the chat: %s", r)
	}
	oaWant(t, r, "村或社区名称")
	oaWant(t, e.say(t, voter, "东门"), "地点：东门社区（由东门社区代表联络站办理）", "请描述")
	oaWant(t, e.say(t, voter, chatContent), "地点：东门社区")
	oaWant(t, e.say(t, voter, "1"), "提交成功", "东门社区代表联络站")

	// Confirmed with "1": the community is taken.
	e.say(t, voter, "我要反映")
	e.say(t, voter, "1")
	e.say(t, voter, "2") // not "1": do not keep the scanned code
	oaWant(t, e.say(t, voter, complaint), "您说的是高峰村吗？")
	oaWant(t, e.say(t, voter, "1"), "地点：高峰村", "请描述")
	e.say(t, voter, chatContent)
	oaWant(t, e.say(t, voter, "1"), "提交成功")
	ops := e.opinions(t)
	var gaofeng models.Community
	must(t, e.db.Where("name = ?", "高峰村").First(&gaofeng).Error)
	if len(ops) != 2 || ops[0].CommunityID == nil || ops[0].StationID != e.east.ID ||
		ops[1].CommunityID == nil || *ops[1].CommunityID != gaofeng.ID {
		t.Fatalf("opinions %+v", ops)
	}
}

// Ensure "帮助" at every step of the opinion chat explains the step, says
// how to leave and asks the step's question again, leaving the step as it
// was; and "取消" and "退出" end the chat at every step (also where "0"
// means "no") saying nothing was submitted.
func TestChatHelpAndCancelAtEveryStep(t *testing.T) {
	e := newChatEnv(t, false)
	steps := []struct {
		name string
		path []string // from "我要反映"
		ask  string   // in the repeated question
		next string   // a valid answer and what it leads to
		want string
	}{
		{"category", nil, "1. 生活服务", "1", "类别：生活服务"},
		{"field", []string{"立法意见"}, "法规草案名称", "无", "村或社区名称"},
		{"place", []string{"1"}, "村或社区名称", "东门社区", "请描述"},
		{"pick", []string{"1", "东"}, "请回复数字选择", "1", "请描述"},
		{"confirm place", []string{"1", "高峰岭上的路灯坏了"}, "您说的是高峰村吗？", "1", "地点：高峰村"},
		{"content", []string{"1", "东门社区"}, "请描述", chatContent, "回复1提交"},
		{"confirm", []string{"1", "东门社区", chatContent}, "回复1提交", "1", "提交成功"},
	}
	for i, st := range steps {
		for j, leave := range []string{"", "取消", "退出"} {
			voter := fmt.Sprintf("oVoterHelp%d_%d", i, j)
			e.say(t, voter, "我要反映")
			for _, p := range st.path {
				e.say(t, voter, p)
			}
			if leave != "" {
				r := e.say(t, voter, leave)
				oaWant(t, r, "没有提交")
				if e.chatTTL(t, voter) != -2*time.Nanosecond {
					t.Errorf("%s: %q left the chat running", st.name, leave)
				}
				continue
			}
			r := e.say(t, voter, "帮助")
			oaWant(t, r, "取消", st.ask)
			if strings.HasPrefix(r, "您可以") || strings.Contains(r, "内容有点少") || strings.Contains(r, "没有找到") {
				t.Errorf("%s: 帮助 not answered as help: %s", st.name, r)
			}
			if n := strings.Count(r, "\n\n"); n < 1 {
				t.Errorf("%s: help does not repeat the question: %s", st.name, r)
			}
			oaWant(t, e.say(t, voter, st.next), st.want)
		}
	}
	if n := len(e.opinions(t)); n != 1 {
		t.Errorf("%d opinions, want the one confirmed", n)
	}
}

// Ensure the times in the bot's replies are local and written the Chinese
// way: the card's next reception day ("12月10日（星期四）", no year, no ISO
// date) and the filing date in "进度", in the configured time zone (filed
// at 20:00 UTC is the next day in Beijing).
func TestBotTimesLocalChinese(t *testing.T) {
	e := newChatEnv(t, false)
	const voter = "oVoterTimes01"
	oaAddReceptionDay(t, e.oaEnv, e.east.ID, "2026-12-10")
	card := e.push(oaEvent(voter, oaNextCT(), "SCAN", e.code)).text(t, voter)
	oaWant(t, card, "下次接待日：12月10日（星期四）")
	if strings.Contains(card, "2026年") || strings.Contains(card, "2026-") {
		t.Errorf("next reception day with its year: %s", card)
	}

	must(t, models.SetVoterFollowing(t.Context(), e.db, voter, true, oaNow))
	v, err := models.FindVoterByOAOpenID(t.Context(), e.db, voter)
	must(t, err)
	cal, err := models.LoadCalendar(t.Context(), e.db)
	must(t, err)
	late := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC) // 11月25日 04:00 in Beijing
	_, _, err = models.FileOpinion(t.Context(), e.db, models.FileInput{VoterID: v.ID, Category: "jiaotong",
		Content: "东门路口的红绿灯时间太短，老人过马路来不及。"}, models.RouteWorld{}, late, opLoc, cal)
	must(t, err)
	r := e.say(t, voter, "进度")
	oaWant(t, r, "11月25日")
	if strings.Contains(r, "11月24日") || strings.Contains(r, "2026-") {
		t.Errorf("filing date not local: %s", r)
	}
}
