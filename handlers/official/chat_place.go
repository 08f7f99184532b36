package official

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"deputylink/models"
)

// chatAskField asks for a category's extra field; an optional one can be
// skipped with "无".
func chatAskField(f models.CategoryField) string {
	q := "请回复" + f.Label
	if f.Hint != "" {
		q += "（" + f.Hint + "）"
	}
	if !f.Required {
		q += "。不清楚的话请回复“无”"
	}
	return q + "。" + chatCancelHint
}

// chatSkip reports whether a reply means "nothing to give".
func chatSkip(t string) bool {
	switch strings.TrimRight(strings.TrimSpace(t), "。.!！") {
	case "无", "没有", "不清楚", "不知道", "跳过":
		return true
	}
	return false
}

// chatField takes the voter's answer for the field being asked, checked by
// the same rule as the filing (models.CategoryField.Check): a refused
// answer is asked for again with the reason, and after the last field the
// conversation moves on to the place.
func (o *oaServer) chatField(ctx context.Context, openid string, st *chatState, t string) (string, error) {
	fields := models.CategoryFieldsOf(st.Category)
	if st.Field < len(fields) {
		f := fields[st.Field]
		if chatSkip(t) {
			t = ""
		}
		v, err := f.Check(t)
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			return ve.Msg + "。" + chatAskField(f), nil
		}
		if err != nil {
			return "", err
		}
		if v != "" {
			if st.Extra == nil {
				st.Extra = map[string]string{}
			}
			st.Extra[f.Key] = v
		}
		st.Field++
	}
	if st.Field < len(fields) {
		return chatAskField(fields[st.Field]), nil
	}
	return o.chatAskPlace(ctx, openid, st)
}

// routeWorld is the routing world the mini-program's filing uses.
func (o *oaServer) routeWorld(ctx context.Context) (models.RouteWorld, error) {
	if o.h.Routes != nil {
		return o.h.Routes.Get(ctx, o.h.DB)
	}
	return models.LoadRouteWorld(ctx, o.h.DB)
}

// routedName previews where the opinion would go, by the routing rules.
func (o *oaServer) routedName(ctx context.Context, st *chatState) (string, models.RouteResult, error) {
	w, err := o.routeWorld(ctx)
	if err != nil {
		return "", models.RouteResult{}, err
	}
	in := models.RouteInput{Code: st.Code, CommunityID: st.CommunityID, Category: st.Category, At: o.h.Now()}
	if st.Lat != nil && st.Lng != nil {
		in.Point = &models.Point{Lat: *st.Lat, Lng: *st.Lng}
	}
	r := models.Route(in, w)
	if r.StationID == 0 {
		return models.OfficeName, r, nil
	}
	if s, ok := w.Stations[r.StationID]; ok {
		return s.Name, r, nil
	}
	return models.OfficeName, r, nil
}

// chatAskPlace moves to the place step: the code scanned in the last 24 h
// is offered first.
func (o *oaServer) chatAskPlace(ctx context.Context, openid string, st *chatState) (string, error) {
	st.Step = chatStepPlace
	st.Code, st.Station = "", ""
	if code, ok := models.NormalizeCode(o.lastValue(ctx, o.rkey("lastcode", openid))); ok {
		st.Code = code
		name, r, err := o.routedName(ctx, st)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(r.Rule, "code_") {
			st.Station = name
			return "类别：" + st.CatName + "\n\n" + chatAskCode(name), nil
		}
		st.Code = "" // the code no longer routes: ask as without one
	}
	return "类别：" + st.CatName + "\n\n" + chatAskPlace, nil
}

func chatAskCode(station string) string {
	return "根据您刚扫描的二维码，将转给" + station + "办理，回复1确认，或回复社区名称更换。" + chatCancelHint
}

func chatAskPick(st *chatState) string {
	return "找到以下几个地方，请回复数字选择：\n" + numbered(st.Choices) +
		"\n\n都不是？请回复更完整的名称，或发送位置。" + chatCancelHint
}

func chatAskPlaceOK(name string) string {
	return "您说的是" + name + "吗？回复1是，回复0不是。"
}

// chatMatchPlace matches a typed community name. Only the exact name or
// alias of one community is taken at once: the voter may have typed the
// complaint itself, which mentions a place only by the way, so a fuzzy
// match is asked about and several are offered as a numbered choice.
func (o *oaServer) chatMatchPlace(ctx context.Context, st *chatState, t string) (string, error) {
	st.Step, st.Choices = chatStepPlace, nil
	if models.NormalizePlace(t) == "" || utf8.RuneCountInString(t) > 50 {
		return "没有看懂您说的地方。" + chatAskPlace, nil
	}
	ms, err := models.MatchCommunities(ctx, o.h.DB, t, chatMaxChoices)
	if err != nil {
		return "", err
	}
	if len(ms) == 0 {
		return "没有找到“" + models.Shorten(t, 20, "…") + "”，请换个说法再试（如村、社区或小区的名称），或点击输入框旁的“+”发送位置。" + chatCancelHint, nil
	}
	w, err := o.routeWorld(ctx)
	if err != nil {
		return "", err
	}
	stationOf := func(c models.Community) string {
		if s, ok := w.Stations[c.StationID]; ok {
			return s.Name
		}
		return ""
	}
	option := func(c models.Community) chatOption {
		return chatOption{Key: strconv.FormatUint(c.ID, 10), Name: c.Name, Station: stationOf(c)}
	}
	// A name or alias matched exactly, and better than the rest: take it.
	if ms[0].Exact() && (len(ms) == 1 || ms[1].Score < ms[0].Score) {
		c := ms[0].Community
		return o.chatSetCommunity(st, c.ID, c.Name, stationOf(c)), nil
	}
	if len(ms) == 1 {
		st.Step, st.Choices = chatStepPlaceOK, []chatOption{option(ms[0].Community)}
		return chatAskPlaceOK(ms[0].Community.Name), nil
	}
	st.Step = chatStepPick
	for _, mt := range ms {
		st.Choices = append(st.Choices, option(mt.Community))
	}
	return chatAskPick(st), nil
}

func (o *oaServer) chatSetCommunity(st *chatState, id uint64, name, station string) string {
	st.CommunityID, st.Place, st.Choices, st.Step = id, name, nil, chatStepContent
	st.Lat, st.Lng, st.Code = nil, nil, ""
	st.Station = station
	if station == "" {
		return "地点：" + name + "\n\n" + chatAskContent
	}
	return "地点：" + name + "（由" + station + "办理）\n\n" + chatAskContent
}

// chatLocation is the hook for a location message (onLocation): during the
// place step the shared location is the place; handled is false otherwise.
func (o *oaServer) chatLocation(ctx context.Context, m *oaMsg, lat, lng float64) (oaReply, bool, error) {
	if !o.chatAvailable(ctx) {
		return oaReply{}, false, nil
	}
	st, err := o.loadChat(ctx, m.FromUserName)
	if err != nil || st == nil || (st.Step != chatStepPlace && st.Step != chatStepPick && st.Step != chatStepPlaceOK) {
		return oaReply{}, false, err
	}
	st.Code, st.CommunityID, st.Choices = "", 0, nil
	st.Lat, st.Lng = &lat, &lng
	st.Place = "您发送的位置"
	if l := strings.TrimSpace(m.Label); l != "" {
		st.Place = models.Shorten(l, 20, "…")
	}
	name, _, err := o.routedName(ctx, st)
	if err != nil {
		return oaReply{}, true, err
	}
	st.Station, st.Step = name, chatStepContent
	if err := o.saveChat(ctx, m.FromUserName, st); err != nil {
		return oaReply{}, true, err
	}
	return textReply("地点：" + st.Place + "（由" + name + "办理）\n\n" + chatAskContent), true, nil
}
