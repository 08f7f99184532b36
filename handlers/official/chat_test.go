package official_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/handlers"
	"deputylink/handlers/official"
	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"
)

// The opinion templates of these tests, as the mini-program API's tests
// configure them.
const (
	opTplStaff  = "tplOpinionStaff"
	opTplResult = "tplOpinionResult"
	opTplVoter  = "tplOpinionVoter"
	opPublicURL = "https://rd.example.gov.cn"
)

var opEnvVars = map[string]string{
	config.EnvTplOpinionStaff:  opTplStaff + "|title=thing1,no=character_string2,summary=thing3,station=thing4,due=time5",
	config.EnvTplOpinionResult: opTplResult + "|title=thing1,no=character_string2,status=phrase3,station=thing4,time=time5",
	config.EnvTplOpinionVoter:  opTplVoter + "|title=thing1,no=character_string2,status=thing3,time=time4",
	config.EnvPublicURL:        opPublicURL + "/",
}

var opLoc = time.FixedZone("CST", 8*3600)

// chatEnv is the push endpoint over the demo county, with the opinion
// notifications configured.
type chatEnv struct {
	*oaEnv
	east  models.Station
	code  string // a serving deputy's code at east
	clerk models.Staff
}

func newChatEnv(t *testing.T, aes bool) *chatEnv {
	t.Helper()
	db := modelstest.NewDB(t)
	rd := wechattest.NewRedis(t)
	notify, err := config.LoadOpinionNotify(func(k string) string { return opEnvVars[k] })
	must(t, err)
	d := handlers.Deps{
		DB: db, Redis: rd.Client, RedisPrefix: rd.Prefix, BodyLimit: 1 << 20,
		Now: func() time.Time { return oaNow }, Location: opLoc,
		OA:     oaConfig(aes),
		Routes: &models.RouteWorldCache{TTL: time.Minute}, OpinionNotify: notify,
	}
	if _, err := models.LoadDemo(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	e := &chatEnv{oaEnv: &oaEnv{t: t, db: db, rd: rd, router: handlers.NewRouter(d), now: oaNow, aes: aes}}
	must(t, db.Where("name = ?", "东门社区代表联络站").First(&e.east).Error)
	var dep models.Deputy
	must(t, db.Where("station_id = ? AND status = ?", e.east.ID, models.DeputyActive).Order("id").First(&dep).Error)
	var code models.Code
	must(t, db.Where("kind = ? AND target_id = ? AND revoked = ?", models.CodeDeputy, dep.ID, false).First(&code).Error)
	e.code = code.Code
	must(t, db.Where("name = ?", "章佳怡").First(&e.clerk).Error)
	return e
}

// say sends a text and returns the reply's content.
func (e *chatEnv) say(t *testing.T, openid, text string) string {
	t.Helper()
	return e.push(oaText(openid, oaNextMsgID(), text)).text(t, openid)
}

func (e *chatEnv) chatKey(openid string) string { return shared.ChatKey(e.rd.Prefix, openid) }

func (e *chatEnv) chatTTL(t *testing.T, openid string) time.Duration {
	t.Helper()
	return e.rd.Client.TTL(context.Background(), e.chatKey(openid)).Val()
}

func (e *chatEnv) opinions(t *testing.T) []models.Opinion {
	t.Helper()
	var ops []models.Opinion
	must(t, e.db.Order("id").Find(&ops).Error)
	return ops
}

const chatContent = "东门路12号门口的路灯坏了一个多月，晚上出行很不安全，希望尽快修好。"

// Ensure the whole chat with a scanned code files one opinion routed to the
// code's station, through the same path as the mini-program: the bound
// clerk gets a notification row queued, and a retried "1" files nothing
// more.
func TestChatFlowScannedCode(t *testing.T) {
	for _, aes := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "aes"}[aes]
		t.Run(name, func(t *testing.T) {
			e := newChatEnv(t, aes)
			must(t, e.db.Model(&models.Staff{}).Where("id = ?", e.clerk.ID).Update("oa_openid", "oClerkChat").Error)
			const voter = "oVoterChat01"
			e.push(oaEvent(voter, oaNextCT(), "SCAN", e.code)).text(t, voter)

			r := e.say(t, voter, "我要反映")
			oaWant(t, r, "1. 生活服务", "8. 其他", "回复0取消")
			if ttl := e.chatTTL(t, voter); ttl <= 0 || ttl > 10*time.Minute {
				t.Errorf("chat TTL %v", ttl)
			}
			r = e.say(t, voter, "1")
			oaWant(t, r, "类别：生活服务", "将转给东门社区代表联络站办理，回复1确认，或回复社区名称更换")
			r = e.say(t, voter, "1")
			oaWant(t, r, "请描述")
			r = e.say(t, voter, chatContent)
			oaWant(t, r, "类别：生活服务", "办理单位：东门社区代表联络站", "内容："+chatContent, "回复1提交，回复0取消。")
			if n := len(e.opinions(t)); n != 0 {
				t.Fatalf("%d opinions before the confirmation", n)
			}

			// The confirmation, delivered twice by WeChat.
			id := oaNextMsgID()
			first := e.push(oaText(voter, id, "1")).text(t, voter)
			oaWant(t, first, "提交成功", "受理编号：YJ", "已转给东门社区代表联络站办理")
			again := e.push(oaText(voter, id, "1")).text(t, voter)
			if again != first {
				t.Errorf("retry answered %q, want %q", again, first)
			}
			ops := e.opinions(t)
			if len(ops) != 1 {
				t.Fatalf("%d opinions", len(ops))
			}
			op := ops[0]
			if op.Source != models.SourceChat || op.StationID != e.east.ID || op.Code != e.code ||
				op.Content != chatContent || op.IdempotencyKey == nil || !strings.HasPrefix(*op.IdempotencyKey, "chat:") {
				t.Errorf("opinion %+v", op)
			}
			if !strings.Contains(first, op.TrackingNo) {
				t.Errorf("reply lacks tracking number %s: %s", op.TrackingNo, first)
			}
			v, err := models.FindVoterByOAOpenID(t.Context(), e.db, voter)
			must(t, err)
			if op.VoterID != v.ID {
				t.Errorf("filed for voter %d, want %d", op.VoterID, v.ID)
			}
			var notes []models.Notification
			must(t, e.db.Where("to_user = ?", "oClerkChat").Find(&notes).Error)
			if len(notes) != 1 || notes[0].TemplateID != opTplStaff {
				t.Errorf("clerk notifications %+v", notes)
			}
			if e.chatTTL(t, voter) != -2*time.Nanosecond {
				t.Errorf("chat state left behind")
			}
			// The conversation is over: "1" is an ordinary text again.
			oaWant(t, e.say(t, voter, "1"), "您可以")
		})
	}
}

// Ensure a community name is matched fuzzily ("东门" → 东门社区), an
// ambiguous one offers a numbered choice, and an unknown one is asked again.
func TestChatFlowCommunityName(t *testing.T) {
	e := newChatEnv(t, false)
	const voter = "oVoterChat02"
	e.say(t, voter, "我有个建议")
	oaWant(t, e.say(t, voter, "3"), "类别：交通出行", "请回复您所在的村或社区名称")
	oaWant(t, e.say(t, voter, "火星基地"), "没有找到“火星基地”")
	oaWant(t, e.say(t, voter, "东门"), "地点：东门社区（由东门社区代表联络站办理）", "请描述")
	oaWant(t, e.say(t, voter, chatContent), "地点：东门社区", "办理单位：东门社区代表联络站")
	oaWant(t, e.say(t, voter, "1"), "提交成功", "东门社区代表联络站")
	ops := e.opinions(t)
	var dongmen models.Community
	must(t, e.db.Where("name = ?", "东门社区").First(&dongmen).Error)
	if len(ops) != 1 || ops[0].CommunityID == nil || *ops[0].CommunityID != dongmen.ID ||
		ops[0].StationID != e.east.ID || ops[0].RouteRule != models.RuleCommunity || ops[0].Code != "" {
		t.Fatalf("opinions %+v", ops)
	}

	// Several matches: a numbered choice.
	e.say(t, voter, "意见")
	e.say(t, voter, "1")
	r := e.say(t, voter, "东")
	if !strings.Contains(r, "请回复数字选择") || !strings.Contains(r, "1. ") {
		t.Fatalf("no choice offered: %s", r)
	}
	oaWant(t, e.say(t, voter, "1"), "地点：", "请描述")
}

// Ensure "0" and "取消" cancel and file nothing; too-short content is
// asked for again. The state and its marker are saved together and ended
// together (one MULTI, one DEL: the openid is their hash tag on a Redis
// Cluster).
func TestChatCancelAndShortContent(t *testing.T) {
	e := newChatEnv(t, false)
	const voter = "oVoterChat03"
	ctx := t.Context()
	marker := shared.ChatMarkerKey(e.rd.Prefix, voter)
	e.say(t, voter, "我要反映")
	if n := e.rd.Client.Exists(ctx, e.chatKey(voter)).Val() + e.rd.Client.Exists(ctx, marker).Val(); n != 2 {
		t.Errorf("after the start: %d of the chat's two keys", n)
	}
	oaWant(t, e.say(t, voter, "九"), "请回复类别前面的数字")
	oaWant(t, e.say(t, voter, "0"), "您的意见没有提交")
	if e.chatTTL(t, voter) != -2*time.Nanosecond || e.rd.Client.Exists(ctx, marker).Val() != 0 {
		t.Errorf("state or marker left after cancel at the category step")
	}

	e.say(t, voter, "我要反映")
	e.say(t, voter, "1")
	e.say(t, voter, "东门社区")
	oaWant(t, e.say(t, voter, "路灯坏了"), "内容有点少，请至少写10个字")
	oaWant(t, e.say(t, voter, chatContent), "回复1提交，回复0取消。")
	oaWant(t, e.say(t, voter, "好的"), "还没有提交。确认无误请回复1提交")
	oaWant(t, e.say(t, voter, "取消"), "您的意见没有提交")
	if n := len(e.opinions(t)); n != 0 {
		t.Errorf("%d opinions after cancel", n)
	}
	if e.chatTTL(t, voter) != -2*time.Nanosecond {
		t.Errorf("state left after cancel")
	}
	oaWant(t, e.say(t, voter, "1"), "您好！", "您可以")
}

// Ensure a conversation silent for over 10 minutes is gone: the next text
// is answered as usual, with a word that the conversation expired, and a
// new one can start.
func TestChatTimeout(t *testing.T) {
	e := newChatEnv(t, false)
	const voter = "oVoterChat04"
	e.say(t, voter, "我要反映")
	e.say(t, voter, "1")
	if e.rd.Mini != nil {
		e.rd.Mini.FastForward(11 * time.Minute)
	} else {
		must(t, e.rd.Client.Del(t.Context(), e.chatKey(voter)).Err())
	}
	r := e.say(t, voter, "东门社区")
	oaWant(t, r, "超过10分钟没有回复，已自动结束", "您可以")
	if strings.Contains(r, "请描述") {
		t.Errorf("expired conversation went on: %s", r)
	}
	// Said once only.
	if r := e.say(t, voter, "你好"); strings.Contains(r, "自动结束") {
		t.Errorf("expiry repeated: %s", r)
	}
	oaWant(t, e.say(t, voter, "我要反映"), "1. 生活服务")
	oaWant(t, e.say(t, voter, "2"), "类别：城乡建设")
}

// Ensure "进度" lists the voter's latest items with their status, including
// those of the mini-program voter linked by the same unionid.
func TestChatProgress(t *testing.T) {
	e := newChatEnv(t, false)
	const voter = "oVoterChat05"
	oaWant(t, e.say(t, voter, "进度"), "您还没有反映过意见建议")
	file := func(content string) {
		e.say(t, voter, "我要反映")
		e.say(t, voter, "1")
		e.say(t, voter, "东门")
		e.say(t, voter, content)
		oaWant(t, e.say(t, voter, "1"), "提交成功")
	}
	file(chatContent)
	file("城东村村口的垃圾桶已经满了好几天，没有人来清运，气味很大。")

	// A mini-program voter row with the same unionid, not merged.
	v, err := models.FindVoterByOAOpenID(t.Context(), e.db, voter)
	must(t, err)
	union, mpOpenID := "uChatUnion05", "oMPChat05"
	must(t, e.db.Model(&v).Update("unionid", union).Error)
	mp := models.Voter{MPOpenID: &mpOpenID, UnionID: &union, CreatedAt: oaNow, UpdatedAt: oaNow}
	must(t, e.db.Create(&mp).Error)
	cal, err := models.LoadCalendar(t.Context(), e.db)
	must(t, err)
	mpOp, _, err := models.FileOpinion(t.Context(), e.db, models.FileInput{VoterID: mp.ID, Category: "jiaotong",
		Content: "东门路口的红绿灯时间太短，老人过马路来不及。"}, models.RouteWorld{}, oaNow, opLoc, cal)
	must(t, err)

	ops := e.opinions(t)
	r := e.say(t, voter, "进度")
	oaWant(t, r, "您最近反映的意见建议", "待受理", ops[0].TrackingNo, ops[1].TrackingNo, mpOp.TrackingNo, "交通出行")
	if strings.Index(r, mpOp.TrackingNo) > strings.Index(r, ops[0].TrackingNo) {
		t.Errorf("not newest first: %s", r)
	}
}

// Ensure the menu's MENU_FILE starts the chat.
func TestChatMenuClick(t *testing.T) {
	e := newChatEnv(t, false)
	const voter = "oVoterChat06"
	r := e.push(oaEvent(voter, oaNextCT(), "CLICK", official.MenuFile)).text(t, voter)
	oaWant(t, r, "请回复数字选择类别", "1. 生活服务")
	oaWant(t, e.say(t, voter, "1"), "类别：生活服务")
}

// Ensure a location shared at the "where?" step answers it (routing to the
// nearest station) instead of getting the nearby-stations reply, and that
// outside a chat it still gets the nearby-stations reply.
func TestChatLocationAnswersWhere(t *testing.T) {
	e := newChatEnv(t, false)
	const voter = "oVoterChat09"
	e.say(t, voter, "我要反映")
	oaWant(t, e.say(t, voter, "1"), "请回复您所在的村或社区名称")
	r := e.push(oaLocation(voter, oaNextMsgID(), e.east.Lat, e.east.Lng)).text(t, voter)
	oaWant(t, r, "地点：", "东门社区代表联络站", "请描述")
	oaWant(t, e.say(t, voter, chatContent), "办理单位：东门社区代表联络站")
	oaWant(t, e.say(t, voter, "1"), "提交成功")
	ops := e.opinions(t)
	if len(ops) != 1 || ops[0].StationID != e.east.ID || ops[0].Lat == nil {
		t.Fatalf("opinions %+v", ops)
	}
	// No chat under way: a location lists nearby stations.
	r = e.push(oaLocation(voter, oaNextMsgID(), e.east.Lat, e.east.Lng)).text(t, voter)
	if strings.Contains(r, "请描述") || !strings.Contains(r, "东门社区代表联络站") {
		t.Fatalf("location outside a chat: %s", r)
	}
}

// Ensure the chat applies the category's fields by the models rule the
// mini-program's form uses: a legislative opinion is asked for the draft
// law's name, an answer the rule refuses is asked for again with the
// reason, "无" skips the optional field, and the filed content carries the
// name as the form's filing does.
func TestChatCategoryFields(t *testing.T) {
	e := newChatEnv(t, false)
	const voter = "oVoterChat09"
	const body = "建议条例对遛狗必须牵绳作出更明确的规定，并设置处罚标准。"
	const law = "《某市养犬管理条例（草案）》"
	e.say(t, voter, "我要反映")
	oaWant(t, e.say(t, voter, "立法意见"), "类别：立法意见", "请回复法规草案名称", "不清楚的话请回复“无”", "回复0取消")
	oaWant(t, e.say(t, voter, strings.Repeat("法", 61)), "法规草案名称不能超过60个字", "请回复法规草案名称")
	oaWant(t, e.say(t, voter, law), "类别：立法意见", "请回复您所在的村或社区名称")
	oaWant(t, e.say(t, voter, "东门社区"), "请描述")
	oaWant(t, e.say(t, voter, body), "类别：立法意见", "法规草案名称："+law, "内容："+body)
	oaWant(t, e.say(t, voter, "1"), "提交成功")

	e.say(t, voter, "我要反映")
	oaWant(t, e.say(t, voter, "立法意见"), "请回复法规草案名称")
	oaWant(t, e.say(t, voter, "无"), "请回复您所在的村或社区名称")
	e.say(t, voter, "东门社区")
	if r := e.say(t, voter, body); strings.Contains(r, "法规草案名称") {
		t.Errorf("skipped field in the summary: %s", r)
	}
	oaWant(t, e.say(t, voter, "1"), "提交成功")

	ops := e.opinions(t)
	if len(ops) != 2 || ops[0].Content != "【法规草案名称】"+law+"\n"+body || ops[1].Content != body {
		t.Fatalf("opinions %+v", ops)
	}
	if ops[0].Source != models.SourceChat {
		t.Errorf("source %s", ops[0].Source)
	}
}
