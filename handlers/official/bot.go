package official

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"deputylink/models"
)

// The official account's bot: one small function per kind of push, each
// returning the reply (the zero oaReply for none). Side effects that belong
// in Redis go into fx and are stored with the reply; database writes happen
// here and are idempotent, so a push handled twice (Redis down) is harmless.

// Texts of the bot.
const (
	oaHelpText = "您可以：\n" +
		"· 回复“预约”：预约人大代表接待日\n" +
		"· 回复“意见”：向代表反映意见建议\n" +
		"· 回复“附近”或发送位置：查找最近的代表联络站\n" +
		"· 扫描公示牌上的代表二维码：查看代表名片\n" +
		"· 点击菜单“我的”：查看预约和意见办理进度"
	oaWelcomeText = "您好，欢迎关注人大代表联络服务！在这里，您可以找到身边的人大代表，预约接待日，反映意见建议。\n\n"
	oaGreetLine   = "感谢关注人大代表联络服务！\n\n"
	oaUnknownCode = "抱歉，这个二维码无法识别或已停用。如有需要，请联系附近的代表联络站。\n\n"
	oaAskLocation = "请点击输入框旁的“+”，选择“位置”，把您的位置发给我们，我们会告诉您最近的三个代表联络站。"
	oaBusyText    = "系统繁忙，请稍后再试。"
)

// oaDefaultMyPage is the mini-program page of the voter's own items.
const oaDefaultMyPage = "pages/my/index"

// reply dispatches a push to its handler.
func (o *oaServer) reply(ctx context.Context, m *oaMsg, fx *oaEffects) (oaReply, error) {
	switch strings.ToLower(m.MsgType) {
	case "event":
		return o.onEvent(ctx, m, fx)
	case "text":
		return o.onText(ctx, m, fx)
	case "location":
		return o.onLocation(ctx, m, fx)
	}
	// Pictures, voice, video, links: we cannot read them yet.
	return textReply("您好！" + oaHelpText), nil
}

// expectsReply reports whether the user is waiting for an answer to m: a
// failed push of any other kind is answered with "success", not a
// "system busy" text.
func expectsReply(m *oaMsg) bool {
	if m.MsgType != "event" {
		return true
	}
	switch strings.ToUpper(m.Event) {
	case "SUBSCRIBE", "SCAN", "CLICK":
		return true
	}
	return false
}

func (o *oaServer) onEvent(ctx context.Context, m *oaMsg, fx *oaEffects) (oaReply, error) {
	switch strings.ToUpper(m.Event) {
	case "SUBSCRIBE":
		if err := models.SetVoterFollowing(ctx, o.h.DB, m.FromUserName, true, o.h.Now()); err != nil {
			return oaReply{}, err
		}
		// A follow through a parametric QR code carries its scene.
		if code, ok := strings.CutPrefix(m.EventKey, "qrscene_"); ok && code != "" {
			return o.onScan(ctx, m, code, oaGreetLine, fx)
		}
		return textReply(oaWelcomeText + oaHelpText), nil
	case "UNSUBSCRIBE":
		// No reply reaches someone who left; from now on no template
		// messages either.
		return oaReply{}, models.SetVoterFollowing(ctx, o.h.DB, m.FromUserName, false, o.h.Now())
	case "SCAN":
		return o.onScan(ctx, m, m.EventKey, "", fx)
	case "CLICK":
		return o.onClick(ctx, m)
	case "LOCATION":
		// Reported on entering the chat when the user allowed it: remember
		// it for "nearby stations", answer nothing.
		if lat, lng, ok := parsePoint(m.Latitude, m.Longitude); ok {
			o.rememberLocation(fx, m.FromUserName, lat, lng)
		}
		return oaReply{}, nil
	case "TEMPLATESENDJOBFINISH":
		id, err := strconv.ParseInt(m.TemplateMsgID, 10, 64)
		if err != nil || id <= 0 {
			return oaReply{}, nil
		}
		_, err = models.UpdateDeliveryStatus(ctx, o.h.DB, id, m.Status)
		return oaReply{}, err
	}
	return oaReply{}, nil
}

// onScan answers a scanned official-account QR code: the card of a deputy,
// station or board (counted), a staff binding, or a friendly refusal.
func (o *oaServer) onScan(ctx context.Context, m *oaMsg, raw, prefix string, fx *oaEffects) (oaReply, error) {
	if hook, rest, ok := o.h.ScanHookFor(raw); ok {
		reply, err := hook(ctx, m.FromUserName, rest)
		if err != nil {
			return oaReply{}, err
		}
		return textReply(prefix + reply), nil
	}
	code, ok := models.NormalizeCode(raw)
	if !ok {
		return textReply(prefix + oaUnknownCode + oaHelpText), nil
	}
	card, err := o.cards.get(ctx, code)
	if err != nil {
		return oaReply{}, err
	}
	switch card.kind {
	case oaCardInvite:
		return o.bindStaff(ctx, m, code)
	case oaCardDeputyInvite:
		return o.bindDeputy(ctx, m, code)
	case oaCardUnknown, oaCardRevoked:
		return textReply(prefix + oaUnknownCode + oaHelpText), nil
	}
	return o.cardReply(m, code, card, prefix, fx), nil
}

// cardReply answers a scan with a shown card: the scan is to be
// counted and remembered as the voter's last code.
func (o *oaServer) cardReply(m *oaMsg, code string, card oaCard, prefix string, fx *oaEffects) oaReply {
	fx.scans = append(fx.scans, oaScan{code: code, at: o.h.Now()})
	// The opinion chat of a later issue routes by the last scanned code.
	fx.sets = append(fx.sets, oaSet{o.rkey("lastcode", m.FromUserName), code})
	if prefix == "" && card.full != "" {
		return textReply(card.full)
	}
	return textReply(card.text(prefix))
}

// bindStaff binds the scanner to the staff member an invite was made for.
func (o *oaServer) bindStaff(ctx context.Context, m *oaMsg, code string) (oaReply, error) {
	staff, st, err := models.BindStaffInvite(ctx, o.h.DB, code, m.FromUserName, o.h.Now())
	if errors.Is(err, models.ErrInviteUsed) {
		// Used by this very person (a rescan, or a retry handled without
		// Redis): confirm again rather than alarm them.
		if c, e1 := models.FindCode(ctx, o.h.DB, code); e1 == nil {
			if s, sst, e2 := models.StaffByOAOpenID(ctx, o.h.DB, m.FromUserName); e2 == nil && s.ID == c.TargetID {
				staff, st, err = s, sst, nil
			}
		}
	}
	if err != nil {
		var ce *models.CodedError
		var ve *models.ValidationError
		switch {
		case errors.As(err, &ce):
			return textReply("绑定没有成功：" + ce.Msg), nil
		case errors.As(err, &ve):
			return textReply("绑定没有成功：" + ve.Msg), nil
		}
		return oaReply{}, err
	}
	return textReply(fmt.Sprintf("绑定成功！\n%s，您已绑定为%s的%s。\n今后有新的意见、预约和待办事项，会通过本公众号提醒您。",
		staff.Name, st.Name, staff.Role.Label())), nil
}

func (o *oaServer) onClick(ctx context.Context, m *oaMsg) (oaReply, error) {
	switch m.EventKey {
	case MenuBook:
		return textReply(o.bookText()), nil
	case MenuFile:
		// The opinion chat (chat.go); the mini-program's form without Redis.
		return o.chatStart(ctx, m.FromUserName)
	case MenuMy:
		return textReply("查看您的预约和意见办理进度：\n" + o.mpLink(o.myPage(), "我的事项")), nil
	case MenuStations:
		return o.nearbyStations(ctx, m.FromUserName)
	}
	return textReply("您好！" + oaHelpText), nil
}

// onText answers keywords. The step-by-step opinion chat of a later issue
// plugs in at the top: when a chat is under way, it takes the text.
func (o *oaServer) onText(ctx context.Context, m *oaMsg, fx *oaEffects) (oaReply, error) {
	// The opinion chat (chat.go): a conversation under way, "进度",
	// and the opinion keywords.
	if r, handled, err := o.chatText(ctx, m, fx); handled || err != nil {
		return r, err
	}
	t := strings.TrimSpace(m.Content)
	switch {
	case strings.Contains(t, "预约"):
		return textReply(o.bookText()), nil
	case containsAny(t, "意见", "建议", "反映", "投诉"):
		return textReply(o.fileText(ctx, m.FromUserName)), nil
	case containsAny(t, "联络站", "附近", "代表之家", "地址"):
		return o.nearbyStations(ctx, m.FromUserName)
	}
	return textReply("您好！" + oaHelpText), nil
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func (o *oaServer) myPage() string {
	if o.cfg.MyPage != "" {
		return o.cfg.MyPage
	}
	return oaDefaultMyPage
}

func (o *oaServer) bookText() string {
	return "每月10日前后是代表接待日，人大代表在各联络站接待选民，可提前预约时段。\n" +
		o.mpLink(o.cfg.BookPage, "预约接待") + "\n\n想找某位代表，也可以扫描公示牌上的代表二维码。"
}

// fileText points to the opinion form, routed by the code the voter
// scanned last if there is one.
func (o *oaServer) fileText(ctx context.Context, openid string) string {
	page := o.cfg.FilePage
	if code := o.lastValue(ctx, o.rkey("lastcode", openid)); code != "" {
		page += "?code=" + code
	}
	return "您可以在小程序中填写意见建议，留下联系方式，我们会转给相关代表和联络站办理，并告知您办理结果。\n" +
		o.mpLink(page, "反映意见建议")
}

// onLocation answers a shared location with the three nearest stations.
func (o *oaServer) onLocation(ctx context.Context, m *oaMsg, fx *oaEffects) (oaReply, error) {
	// Location_X is the latitude, Location_Y the longitude.
	lat, lng, ok := parsePoint(m.LocationX, m.LocationY)
	if !ok {
		return textReply("没能读出您发送的位置，请重新发送。"), nil
	}
	// A location shared while the opinion chat asks "where?" answers it.
	if r, handled, err := o.chatLocation(ctx, m, lat, lng); handled || err != nil {
		return r, err
	}
	o.rememberLocation(fx, m.FromUserName, lat, lng)
	return o.stationsNear(ctx, lat, lng)
}

func (o *oaServer) rememberLocation(fx *oaEffects, openid string, lat, lng float64) {
	v := strconv.FormatFloat(lat, 'f', 6, 64) + "," + strconv.FormatFloat(lng, 'f', 6, 64)
	fx.sets = append(fx.sets, oaSet{o.rkey("loc", openid), v})
}

// nearbyStations lists the stations near the voter's last known location,
// or asks for the location.
func (o *oaServer) nearbyStations(ctx context.Context, openid string) (oaReply, error) {
	v := o.lastValue(ctx, o.rkey("loc", openid))
	latS, lngS, found := strings.Cut(v, ",")
	if !found {
		return textReply(oaAskLocation), nil
	}
	lat, lng, ok := parsePoint(latS, lngS)
	if !ok {
		return textReply(oaAskLocation), nil
	}
	r, err := o.stationsNear(ctx, lat, lng)
	if err == nil && r.Content != "" {
		r.Content += "\n\n位置有变化？重新发送位置即可。"
	}
	return r, err
}

func (o *oaServer) stationsNear(ctx context.Context, lat, lng float64) (oaReply, error) {
	items, _, err := models.ListStations(ctx, o.h.DB, models.StationQuery{Near: &models.Point{Lat: lat, Lng: lng}, Limit: 3})
	if err != nil {
		return oaReply{}, err
	}
	if len(items) == 0 {
		return textReply("附近暂时没有代表联络站的信息。"), nil
	}
	var b strings.Builder
	b.WriteString("离您最近的代表联络站：")
	for i, st := range items {
		fmt.Fprintf(&b, "\n\n%d. %s（%s）", i+1, st.Name, st.KindLabel)
		if st.DistanceM != nil {
			b.WriteString("\n距离约" + distanceText(*st.DistanceM))
		}
		if st.Address != "" {
			b.WriteString("｜" + st.Address)
		}
		if st.OpenHours != "" {
			b.WriteString("\n开放时间：" + st.OpenHours)
		}
	}
	b.WriteString("\n\n" + o.mpLink(o.cfg.BookPage, "预约接待"))
	return textReply(b.String()), nil
}

func distanceText(m int) string {
	if m < 1000 {
		return strconv.Itoa(m) + "米"
	}
	return strconv.FormatFloat(float64(m)/1000, 'f', 1, 64) + "公里"
}

func parsePoint(latS, lngS string) (float64, float64, bool) {
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(latS), 64)
	lng, err2 := strconv.ParseFloat(strings.TrimSpace(lngS), 64)
	if err1 != nil || err2 != nil || math.IsInf(lat, 0) || math.IsInf(lng, 0) ||
		models.ValidatePoint(lat, lng) != nil {
		return 0, 0, false
	}
	return lat, lng, true
}
