package official_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/official"
	"deputylink/models"
)

// oaAddReceptionDay schedules a reception day at the station.
func oaAddReceptionDay(t *testing.T, e *oaEnv, stationID uint64, date string) {
	t.Helper()
	d, err := time.Parse(models.DateLayout, date)
	must(t, err)
	starts := d.Add(time.Hour) // 09:00 in Shanghai
	must(t, e.db.Create(&models.ReceptionDay{
		StationID: stationID, Date: date, Period: date[:7], Status: models.DayOpen,
		StartsAt: starts, EndsAt: starts.Add(150 * time.Minute),
		BookingOpensAt: starts.AddDate(0, 0, -14), BookingClosesAt: starts.Add(-time.Hour),
		RuleHash: "test", RuleSnapshot: "{}",
	}).Error)
}

func (e *oaEnv) stationCode(t *testing.T, id uint64) string {
	t.Helper()
	codes, err := models.PrimaryCodes(context.Background(), e.db, models.CodeStation, []uint64{id})
	must(t, err)
	return codes[id]
}

func (e *oaEnv) lastCode(openid string) string {
	v, _ := e.rd.Client.Get(context.Background(), e.rd.Prefix+"wx:lastcode:"+openid).Result()
	return v
}

// Ensure a scanned deputy code answers with the deputy's card: name, level,
// group, station, next reception day and both mini-program links; the scan
// is queued, counted once drained, and remembered as the last code.
func TestBotDeputyCard(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		oaAddReceptionDay(t, e, e.f.near.ID, "2026-11-10") // past
		oaAddReceptionDay(t, e, e.f.near.ID, "2026-12-10")
		r := e.push(oaEvent("oVoterCard01", oaNextCT(), "SCAN", strings.ToLower(e.f.activeCode)))
		card := r.text(t, "oVoterCard01")
		oaWant(t, card, "张秀兰", "县人大代表", "城关镇代表小组", "东门社区代表联络站", "东门路1号",
			"下次接待日：12月10日（星期四）",
			mpPath(official.MPPageBook+"?deputy="+strconv.FormatUint(e.f.active.ID, 10)),
			mpPath(official.MPPageFile+"?code="+e.f.activeCode), ">预约接待</a>")
		if n := e.scanCount(e.f.activeCode); n != 0 {
			t.Errorf("counted before the job ran: %d", n)
		}
		if n := e.drain(); n != 1 {
			t.Fatalf("drained %d", n)
		}
		if n := e.scanCount(e.f.activeCode); n != 1 {
			t.Errorf("scan count %d", n)
		}
		d := e.scanDay(t, e.f.activeCode)
		if d.Day != models.ScanDayOf(oaNow) || d.Count != 1 || !d.LastAt.Equal(oaNow.Truncate(time.Second)) {
			t.Errorf("scan day %+v", d)
		}
		if got := e.lastCode("oVoterCard01"); got != e.f.activeCode {
			t.Errorf("last code %q", got)
		}
		if ttl := e.rd.Client.TTL(context.Background(), e.rd.Prefix+"wx:lastcode:oVoterCard01").Val(); ttl < 23*time.Hour {
			t.Errorf("last code TTL %v", ttl)
		}
	})
}

// Ensure following through a station's QR code answers with the station's
// card and records the voter as a follower.
func TestBotStationCardOnSubscribe(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		code := e.stationCode(t, e.f.near.ID)
		r := e.push(oaEvent("oVoterSub01", oaNextCT(), "subscribe", "qrscene_"+code))
		card := r.text(t, "oVoterSub01")
		oaWant(t, card, "感谢关注", "【代表联络站】东门社区代表联络站", "地址：东门路1号", "开放时间：周一至周五",
			"在站代表：张秀兰（县人大代表）", "下次接待日：近期暂无安排",
			mpPath(official.MPPageBook+"?station="+strconv.FormatUint(e.f.near.ID, 10)),
			mpPath(official.MPPageFile+"?code="+code))
		if strings.Contains(card, "李建国") {
			t.Errorf("retired deputy listed on duty")
		}
		v, err := models.FindVoterByOAOpenID(t.Context(), e.db, "oVoterSub01")
		must(t, err)
		if !v.Following {
			t.Errorf("voter not following")
		}
		e.drain()
		if n := e.scanCount(code); n != 1 {
			t.Errorf("station scan count %d", n)
		}
		if d := e.scanDay(t, code); d.Count != 1 {
			t.Errorf("scan day %+v", d)
		}
	})
}

// Ensure a board shows its deputy but is counted against the board, and a
// retired deputy's code shows the station with a notice.
func TestBotBoardAndRetiredDeputy(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		r := e.push(oaEvent("oVoterBoard01", oaNextCT(), "SCAN", e.f.boardCode))
		oaWant(t, r.text(t, "oVoterBoard01"), "【人大代表】张秀兰", mpPath(official.MPPageFile+"?code="+e.f.boardCode))

		r = e.push(oaEvent("oVoterBoard01", oaNextCT(), "SCAN", e.f.retiredCode))
		card := r.text(t, "oVoterBoard01")
		oaWant(t, card, "李建国代表已不再担任代表职务", "【代表联络站】东门社区代表联络站", "张秀兰（县人大代表）")

		if n := e.drain(); n != 2 {
			t.Errorf("drained %d", n)
		}
		for code, want := range map[string]int64{e.f.boardCode: 1, e.f.activeCode: 0, e.f.retiredCode: 1} {
			if n := e.scanCount(code); n != want {
				t.Errorf("code %s counted %d, want %d", code, n, want)
			}
		}
	})
}

// Ensure revoked, unknown and malformed codes get a friendly message with
// the help menu, and are not counted.
func TestBotUnknownCodes(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		for _, key := range []string{e.f.revCode, "ZZZZZZZZ", "hello", "qrscene_", ""} {
			r := e.push(oaEvent("oVoterUnknown01", oaNextCT(), "SCAN", key))
			oaWant(t, r.text(t, "oVoterUnknown01"), "无法识别或已停用", "回复“预约”")
		}
		r := e.push(oaEvent("oVoterUnknown02", oaNextCT(), "subscribe", "qrscene_"+e.f.revCode))
		oaWant(t, r.text(t, "oVoterUnknown02"), "感谢关注", "无法识别或已停用")
		if n := e.drain(); n != 0 {
			t.Errorf("drained %d", n)
		}
		if got := e.lastCode("oVoterUnknown01"); got != "" {
			t.Errorf("last code %q", got)
		}
	})
}

// Ensure a staff invite binds the scanner and confirms by name and
// station; a second scan, another person's scan or an expired invite are
// refused in plain Chinese.
func TestBotStaffInvite(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		ctx := t.Context()
		inv, err := models.CreateStaffInvite(ctx, e.db, models.Staff{Name: "王小明", Role: models.RoleClerk}, e.f.near.ID, 10*time.Minute, oaNow)
		must(t, err)
		r := e.push(oaEvent("oStaffInvite01", oaNextCT(), "SCAN", inv.Code))
		oaWant(t, r.text(t, "oStaffInvite01"), "绑定成功", "王小明", "东门社区代表联络站", "联络员")
		var st models.Staff
		must(t, e.db.Where("name = ?", "王小明").First(&st).Error)
		if st.OAOpenID == nil || *st.OAOpenID != "oStaffInvite01" {
			t.Errorf("staff openid %v", st.OAOpenID)
		}

		// The same person scanning again is simply confirmed again.
		r = e.push(oaEvent("oStaffInvite01", oaNextCT(), "SCAN", inv.Code))
		oaWant(t, r.text(t, "oStaffInvite01"), "绑定成功", "王小明")

		r = e.push(oaEvent("oStaffInvite02", oaNextCT(), "subscribe", "qrscene_"+inv.Code))
		oaWant(t, r.text(t, "oStaffInvite02"), "绑定没有成功", "已被使用")

		old, err := models.CreateStaffInvite(ctx, e.db, models.Staff{Name: "赵丽", Role: models.RoleHead}, e.f.near.ID, time.Minute, oaNow.Add(-time.Hour))
		must(t, err)
		r = e.push(oaEvent("oStaffInvite03", oaNextCT(), "SCAN", old.Code))
		oaWant(t, r.text(t, "oStaffInvite03"), "绑定没有成功", "已过期")

		if n := e.drain(); n != 0 {
			t.Errorf("invites counted as scans: %d", n)
		}
	})
}

// Ensure a plain follow is welcomed with the help menu and an unfollow marks
// the voter as not following.
func TestBotSubscribeUnsubscribe(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		r := e.push(oaEvent("oVoterFollow01", oaNextCT(), "subscribe", ""))
		oaWant(t, r.text(t, "oVoterFollow01"), "欢迎关注", "回复“预约”")
		v, err := models.FindVoterByOAOpenID(t.Context(), e.db, "oVoterFollow01")
		must(t, err)
		if !v.Following {
			t.Fatal("not following after subscribe")
		}
		if r := e.push(oaEvent("oVoterFollow01", oaNextCT(), "unsubscribe", "")); !r.success() {
			t.Errorf("unsubscribe answered %d %q", r.status, r.raw)
		}
		v, err = models.FindVoterByOAOpenID(t.Context(), e.db, "oVoterFollow01")
		must(t, err)
		if v.Following {
			t.Error("still following after unsubscribe")
		}
		if n := e.count(&models.Voter{}); n != 1 {
			t.Errorf("%d voters", n)
		}
	})
}

// Ensure the menu's click keys answer with the right links, and the
// stations key uses the last shared location.
func TestBotMenuClicks(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		const who = "oVoterMenu01"
		click := func(key string) string {
			t.Helper()
			return e.push(oaEvent(who, oaNextCT(), "CLICK", key)).text(t, who)
		}
		oaWant(t, click(official.MenuBook), mpPath(official.MPPageBook))
		oaWant(t, click(official.MenuFile), mpPath(official.MPPageFile))
		oaWant(t, click(official.MenuMy), mpPath("pages/my/index"), "我的事项")
		oaWant(t, click(official.MenuStations), "“位置”")
		oaWant(t, click("MENU_NONSENSE"), "回复“预约”")

		// After a scan, filing is routed by the scanned code.
		e.push(oaEvent(who, oaNextCT(), "SCAN", e.f.activeCode))
		oaWant(t, click(official.MenuFile), mpPath(official.MPPageFile+"?code="+e.f.activeCode))
		// After sharing a location, the stations key lists the nearest.
		e.push(oaLocation(who, oaNextMsgID(), e.f.far.Lat, e.f.far.Lng))
		s := click(official.MenuStations)
		oaWant(t, s, "1. 西湖基层立法联系点", "2. 东门社区代表联络站", "重新发送位置")
		// A reported location (LOCATION event) is remembered silently.
		ev := fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>oVoterMenu02</FromUserName><CreateTime>%d</CreateTime>"+
			"<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>%f</Latitude><Longitude>%f</Longitude><Precision>30</Precision></xml>",
			testOAName, oaNextCT(), e.f.near.Lat, e.f.near.Lng)
		if r := e.push(ev); !r.success() {
			t.Errorf("LOCATION event answered %q", r.raw)
		}
		s = e.push(oaEvent("oVoterMenu02", oaNextCT(), "CLICK", official.MenuStations)).text(t, "oVoterMenu02")
		oaWant(t, s, "1. 东门社区代表联络站")
	})
}

// Ensure a shared location lists the three nearest stations, nearest first,
// with distances.
func TestBotLocationListsThreeNearest(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		for i, name := range []string{"北关社区代表联络站", "南湖代表之家"} {
			st := models.Station{Kind: models.KindStation, Name: name, Address: "路" + strconv.Itoa(i), District: "城关镇",
				Lat: 30.2700 + 0.05*float64(i+1), Lng: 120.1500, OpenHours: "周五"}
			must(t, e.db.Create(&st).Error)
		}
		// Standing 300 m north of the near station.
		r := e.push(oaLocation("oVoterLoc01", oaNextMsgID(), 30.2727, 120.1500))
		s := r.text(t, "oVoterLoc01")
		oaWant(t, s, "离您最近的代表联络站", "1. 东门社区代表联络站（代表联络站）", "距离约300米｜东门路1号",
			"2. 北关社区代表联络站", "3. 南湖代表之家", "公里", mpPath(official.MPPageBook))
		if strings.Contains(s, "西湖") {
			t.Errorf("a fourth station listed:\n%s", s)
		}
		r = e.push(oaLocation("oVoterLoc01", oaNextMsgID(), 999, 120))
		oaWant(t, r.text(t, "oVoterLoc01"), "没能读出")
	})
}

// Ensure text keywords get their answers and anything else the help menu.
func TestBotTextKeywords(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		const who = "oVoterText01"
		say := func(s string) string {
			t.Helper()
			return e.push(oaText(who, oaNextMsgID(), s)).text(t, who)
		}
		oaWant(t, say("我想预约代表"), "接待日", mpPath(official.MPPageBook))
		for _, s := range []string{"有个意见", "提建议", "我要反映问题"} {
			oaWant(t, say(s), "意见建议", mpPath(official.MPPageFile))
		}
		oaWant(t, say("附近有联络站吗"), "“位置”")
		for _, s := range []string{"帮助", "你好", "<xml><a>1</a></xml>"} {
			oaWant(t, say(s), "回复“预约”", "回复“意见”", "回复“附近”")
		}
		img := fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
			"<MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl><MediaId>m</MediaId><MsgId>%s</MsgId></xml>",
			testOAName, who, oaNow.Unix(), oaNextMsgID())
		oaWant(t, e.push(img).text(t, who), "回复“预约”")
	})
}

// Ensure TEMPLATESENDJOBFINISH stores WeChat's delivery status on the
// notification with that msgid.
func TestBotTemplateSendJobFinish(t *testing.T) {
	oaForModes(t, func(t *testing.T, e *oaEnv) {
		n := models.Notification{Channel: models.ChannelTemplate, ToUser: "oStaff01", TemplateID: "tpl", Fields: "{}",
			DedupeKey: "test:1", Status: models.NotifySent, NextAttemptAt: oaNow, MsgID: 4242}
		must(t, e.db.Create(&n).Error)
		if r := e.push(oaTemplateFinish("oStaff01", oaNextCT(), 4242, "failed:user block")); !r.success() {
			t.Errorf("answered %d %q", r.status, r.raw)
		}
		got, err := models.FindNotification(t.Context(), e.db, n.ID)
		must(t, err)
		if got.DeliveryStatus != "failed:user block" {
			t.Errorf("delivery status %q", got.DeliveryStatus)
		}
		if r := e.push(oaTemplateFinish("oStaff01", oaNextCT(), 999999, "success")); !r.success() {
			t.Errorf("unknown msgid answered %d %q", r.status, r.raw)
		}
	})
}

// Ensure a station with a long roster still fits WeChat's 2048-byte text
// limit with its links intact.
func TestBotCardFitsTextLimit(t *testing.T) {
	e := newOAEnv(t, true, nil)
	for i := range 80 {
		must(t, e.db.Create(&models.Deputy{Name: "欧阳" + strconv.Itoa(i) + "号代表", Level: models.LevelTownship,
			StationID: e.f.near.ID, Status: models.DeputyActive}).Error)
	}
	code := e.stationCode(t, e.f.near.ID)
	s := e.push(oaEvent("oVoterLong01", oaNextCT(), "subscribe", "qrscene_"+code)).text(t, "oVoterLong01")
	if len(s) > 2048 {
		t.Fatalf("%d bytes", len(s))
	}
	oaWant(t, s, "…", mpPath(official.MPPageFile+"?code="+code), "反映意见建议</a>")
}

// Ensure that without a mini-program the cards point to the menu instead of
// carrying dead links.
func TestBotWithoutMiniProgram(t *testing.T) {
	e := newOAEnv(t, false, func(d *handlers.Deps) { d.OA.MPAppID = "" })
	s := e.push(oaEvent("oVoterNoMP01", oaNextCT(), "SCAN", e.f.activeCode)).text(t, "oVoterNoMP01")
	oaWant(t, s, "张秀兰", "请点击下方菜单进入")
	if strings.Contains(s, "data-miniprogram") {
		t.Errorf("link without a mini-program:\n%s", s)
	}
}

// Ensure the card cache serves repeated scans without the database, and
// that a changed card shows once its entry expired and was refreshed in the
// background (the first scan after expiry may still see the old card).
func TestBotCardCache(t *testing.T) {
	e := newOAEnv(t, false, func(d *handlers.Deps) { official.SetOACardTTL(&d.OA, 200*time.Millisecond) })
	scan := func() string {
		t.Helper()
		return e.push(oaEvent("oVoterCache01", oaNextCT(), "SCAN", e.f.activeCode)).text(t, "oVoterCache01")
	}
	oaWant(t, scan(), "张秀兰")
	must(t, e.db.Model(&models.Deputy{}).Where("id = ?", e.f.active.ID).Update("name", "张秀英").Error)
	oaWant(t, scan(), "张秀兰") // cached
	time.Sleep(250 * time.Millisecond)
	deadline := time.Now().Add(2 * time.Second)
	for s := scan(); !strings.Contains(s, "张秀英"); s = scan() {
		if !strings.Contains(s, "张秀兰") || time.Now().After(deadline) {
			t.Fatalf("card not refreshed:\n%s", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := e.drain(); n < 4 {
		t.Errorf("drained %d scans", n)
	}
}
