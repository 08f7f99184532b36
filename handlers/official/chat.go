package official

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"deputylink/models"

	"github.com/redis/go-redis/v9"
)

// The opinion chat of the official account: "我要反映" (or the menu's
// MENU_FILE) starts a conversation kept in Redis under wx:chat:<openid>
// that asks, one push at a time, for the category, the category's extra
// fields (models.CategoryFieldsOf, e.g. the draft law's name), the place
// (the code scanned in the last 24 h, a community's exact name or alias, a
// fuzzy match the voter confirms or picks, or a shared location), the
// content, and a confirmation, then files through the same models path as
// the mini-program. "取消" and "退出" end it at every step, "帮助" explains
// the step and asks again. The state expires after chatTTL of
// silence; a marker (wx:chatwas:<openid>) outlives it so the next text can
// say the conversation ended.
//
// Pushes reach this code once each (the dedupe of dedupe.go), so
// the state is written directly rather than through oaEffects. A push
// whose handling fails leaves the state as it was, and the filing is keyed
// by the conversation id, so a retried "1" cannot file twice.

const (
	chatTTL         = 10 * time.Minute
	chatMinContent  = 10
	chatMaxContent  = 2000
	chatMaxChoices  = 5
	chatMaxCats     = 8
	chatProgressMax = 5
	// chatSummaryRunes caps the content quoted back in the summary so the
	// reply fits in WeChat's 2048 bytes.
	chatSummaryRunes = 300
)

// Steps of the conversation.
const (
	chatStepCategory = "category"
	chatStepField    = "field"
	chatStepPlace    = "place"
	chatStepPick     = "pick"
	// chatStepPlaceOK asks whether the one fuzzy match is meant; "0" is
	// "no" there, not "cancel".
	chatStepPlaceOK = "place_ok"
	chatStepContent = "content"
	chatStepConfirm = "confirm"
)

// Texts of the chat.
const (
	chatCancelled  = "好的，已经退出，您的意见没有提交。以后想反映，回复“我要反映”就可以。"
	chatExpired    = "您刚才的意见反映超过10分钟没有回复，已自动结束，内容没有提交。\n\n"
	chatCancelHint = "（回复0取消）"
	chatLeaveHint  = "想退出的话，回复“取消”，不会提交任何内容。"
	chatAskPlace   = "请回复您所在的村或社区名称（如“东门社区”），或点击输入框旁的“+”发送位置。" + chatCancelHint
	chatAskContent = "请描述您要反映的问题或建议（10到2000字），尽量写清时间、地点和具体情况。" + chatCancelHint
)

// chatState is the conversation as stored in Redis (JSON).
type chatState struct {
	// ID identifies the conversation; the filing's idempotency key is
	// derived from it.
	ID   string `json:"id"`
	Step string `json:"step"`
	// Cats are the categories offered, in the order numbered.
	Cats     []chatOption `json:"cats,omitempty"`
	Category string       `json:"cat,omitempty"`
	CatName  string       `json:"cat_name,omitempty"`
	// Field is the index of the category's field being asked; Extra holds
	// the values given, by key.
	Field int               `json:"field,omitempty"`
	Extra map[string]string `json:"extra,omitempty"`
	// Code is the scanned code offered in the place step (kept only if the
	// voter confirms it).
	Code        string       `json:"code,omitempty"`
	CommunityID uint64       `json:"community_id,omitempty"`
	Lat         *float64     `json:"lat,omitempty"`
	Lng         *float64     `json:"lng,omitempty"`
	Place       string       `json:"place,omitempty"`
	Station     string       `json:"station,omitempty"`
	Choices     []chatOption `json:"choices,omitempty"`
	Content     string       `json:"content,omitempty"`
}

// chatOption is a numbered choice: a category code or a community id.
type chatOption struct {
	Key  string `json:"k"`
	Name string `json:"n"`
	// Station names the community's station (communities only).
	Station string `json:"s,omitempty"`
}

// chatExpiredShown marks the context of a text answered after the notice
// that the previous conversation expired, so the notice is given once.
type chatExpiredShown struct{}

func (o *oaServer) chatAvailable(ctx context.Context) bool {
	return o.h.Redis != nil && ctx.Value(oaNoRedis{}) == nil
}

func (o *oaServer) chatKey(openid string) string    { return o.rkey("chat", openid) }
func (o *oaServer) chatMarker(openid string) string { return o.rkey("chatwas", openid) }

// loadChat returns the conversation under way, or nil.
func (o *oaServer) loadChat(ctx context.Context, openid string) (*chatState, error) {
	rctx, cancel := context.WithTimeout(ctx, oaRedisTimeout)
	defer cancel()
	v, err := o.h.Redis.Get(rctx, o.chatKey(openid)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st chatState
	if json.Unmarshal([]byte(v), &st) != nil || st.ID == "" {
		return nil, nil // unreadable: start over
	}
	return &st, nil
}

// saveChat stores the state and refreshes its expiry, with the marker that
// tells a later text the conversation was cut off.
func (o *oaServer) saveChat(ctx context.Context, openid string, st *chatState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, oaRedisTimeout)
	defer cancel()
	pipe := o.h.Redis.TxPipeline()
	pipe.Set(rctx, o.chatKey(openid), b, chatTTL)
	pipe.Set(rctx, o.chatMarker(openid), st.ID, oaLastTTL)
	_, err = pipe.Exec(rctx)
	return err
}

// endChat removes the conversation and its marker.
func (o *oaServer) endChat(ctx context.Context, openid string) error {
	rctx, cancel := context.WithTimeout(ctx, oaRedisTimeout)
	defer cancel()
	return o.h.Redis.Del(rctx, o.chatKey(openid), o.chatMarker(openid)).Err()
}

// chatText is the hook at the top of onText. handled is false when the
// text is not part of the chat and onText should answer it as usual.
func (o *oaServer) chatText(ctx context.Context, m *oaMsg, fx *oaEffects) (oaReply, bool, error) {
	if !o.chatAvailable(ctx) {
		return oaReply{}, false, nil
	}
	openid, t := m.FromUserName, strings.TrimSpace(m.Content)
	st, err := o.loadChat(ctx, openid)
	if err != nil {
		// Redis failing now: answer the text as usual rather than "busy";
		// starting a chat fails on its own if Redis stays down.
		return oaReply{}, false, nil
	}
	if st != nil {
		r, err := o.chatStep(ctx, openid, st, t)
		return r, true, err
	}
	if ctx.Value(chatExpiredShown{}) == nil && o.lastValue(ctx, o.chatMarker(openid)) != "" {
		// The previous conversation expired mid-flow: say so, then answer
		// the text as if no conversation had been under way.
		if err := o.endChat(ctx, openid); err != nil {
			return oaReply{}, true, err
		}
		r, err := o.onText(context.WithValue(ctx, chatExpiredShown{}, true), m, fx)
		if err != nil {
			return oaReply{}, true, err
		}
		if r.Type == "" {
			r = textReply("")
		}
		r.Content = chatExpired + r.Content
		return r, true, nil
	}
	switch {
	case strings.Contains(t, "进度"):
		r, err := o.chatProgress(ctx, openid)
		return r, true, err
	case strings.Contains(t, "预约"):
		return oaReply{}, false, nil
	case containsAny(t, "意见", "建议", "反映", "投诉"):
		r, err := o.chatStart(ctx, openid)
		return r, true, err
	}
	return oaReply{}, false, nil
}

// chatStart begins a conversation with the category menu. Without Redis it
// points to the mini-program's form instead.
func (o *oaServer) chatStart(ctx context.Context, openid string) (oaReply, error) {
	if !o.chatAvailable(ctx) {
		return textReply(o.fileText(ctx, openid)), nil
	}
	cats, err := models.ListCategories(ctx, o.h.DB)
	if err != nil {
		return oaReply{}, err
	}
	if len(cats) == 0 {
		return textReply(o.fileText(ctx, openid)), nil
	}
	st := &chatState{ID: newChatID(), Step: chatStepCategory}
	for _, c := range cats[:min(len(cats), chatMaxCats)] {
		st.Cats = append(st.Cats, chatOption{Key: c.Code, Name: c.Name})
	}
	if err := o.saveChat(ctx, openid, st); err != nil {
		return oaReply{}, err
	}
	return textReply("感谢您反映意见建议！" + chatAskCategory(st)), nil
}

func chatAskCategory(st *chatState) string {
	return "请回复数字选择类别：\n" + numbered(st.Cats) + "\n\n回复0取消。"
}

func newChatID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func numbered(opts []chatOption) string {
	var b strings.Builder
	for i, c := range opts {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%d. %s", i+1, c.Name)
		if c.Station != "" {
			b.WriteString("（" + c.Station + "）")
		}
	}
	return b.String()
}

// chatChoice reads a reply as a number from 1 to n (full-width digits
// too); 0 when it is not one.
func chatChoice(t string, n int) int {
	t = strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, strings.TrimSpace(t))
	t = strings.TrimRight(t, ".。、")
	k, err := strconv.Atoi(t)
	if err != nil || k < 1 || k > n {
		return 0
	}
	return k
}

// chatWord is a short reply without the punctuation and spaces around it.
func chatWord(t string) string {
	return strings.Trim(t, " \t\r\n。.！!？?～~，,")
}

// isLeave reports whether the voter asks to end the conversation: "取消"
// and "退出" at every step, "0" where it does not mean "no".
func isLeave(t string, zero bool) bool {
	switch chatWord(t) {
	case "取消", "退出":
		return true
	case "0", "０":
		return zero
	}
	return false
}

func isHelp(t string) bool { return chatWord(t) == "帮助" }

// isNo and isYes read the answer to a yes-or-no question.
func isNo(t string) bool {
	switch chatWord(t) {
	case "0", "０", "不是", "不对", "否", "不":
		return true
	}
	return false
}

func isYes(t string) bool {
	switch chatWord(t) {
	case "1", "１", "是", "是的", "对", "对的", "好", "好的":
		return true
	}
	return false
}

// chatQuestion is the question of the current step, as asked.
func (o *oaServer) chatQuestion(st *chatState) string {
	switch st.Step {
	case chatStepCategory:
		return chatAskCategory(st)
	case chatStepField:
		if fields := models.CategoryFieldsOf(st.Category); st.Field < len(fields) {
			return chatAskField(fields[st.Field])
		}
	case chatStepPlace:
		if st.Code != "" && st.Station != "" {
			return chatAskCode(st.Station)
		}
		return chatAskPlace
	case chatStepPick:
		return chatAskPick(st)
	case chatStepPlaceOK:
		if len(st.Choices) == 1 {
			return chatAskPlaceOK(st.Choices[0].Name)
		}
	case chatStepContent:
		return chatAskContent
	case chatStepConfirm:
		return chatSummary(st)
	}
	return chatAskPlace
}

// chatHelp explains the current step in a sentence or two, says how to
// leave, and asks the step's question again.
func (o *oaServer) chatHelp(st *chatState) string {
	var why string
	switch st.Step {
	case chatStepCategory:
		why = "您正在反映意见建议，现在请先选一个类别，回复类别前面的数字就行。"
	case chatStepField:
		why = "这个类别需要多问一项，请按下面的提示回复。"
	case chatStepPlace:
		why = "现在请告诉我们问题在哪个村或社区，我们好转给当地的联络站办理。问题的内容下一步再写。"
	case chatStepPick:
		why = "有几个地方的名字和您说的相近，请回复前面的数字选一个。"
	case chatStepPlaceOK:
		why = "我们要确认问题所在的地方：是就回复1，不是就回复0，再告诉我们村或社区的名称。"
	case chatStepContent:
		why = "现在请把您要反映的问题写下来，至少10个字。"
	case chatStepConfirm:
		why = "内容还没有提交，请看一下下面的内容，回复1才会提交。"
	}
	return why + chatLeaveHint + "\n\n" + o.chatQuestion(st)
}

// chatStep advances the conversation with the voter's text.
func (o *oaServer) chatStep(ctx context.Context, openid string, st *chatState, t string) (oaReply, error) {
	if isLeave(t, st.Step != chatStepPlaceOK) {
		if err := o.endChat(ctx, openid); err != nil {
			return oaReply{}, err
		}
		return textReply(chatCancelled), nil
	}
	var reply string
	switch {
	case isHelp(t):
		reply = o.chatHelp(st)
	case st.Step == chatStepCategory:
		k := chatChoice(t, len(st.Cats))
		if k == 0 {
			for i, c := range st.Cats {
				if t == c.Name {
					k = i + 1
				}
			}
		}
		if k == 0 {
			reply = "请回复类别前面的数字（1到" + strconv.Itoa(len(st.Cats)) + "）：\n" + numbered(st.Cats) + "\n\n回复0取消。"
			break
		}
		st.Category, st.CatName = st.Cats[k-1].Key, st.Cats[k-1].Name
		st.Field, st.Extra = 0, nil
		if fields := models.CategoryFieldsOf(st.Category); len(fields) > 0 {
			st.Step = chatStepField
			reply = "类别：" + st.CatName + "\n\n" + chatAskField(fields[0])
			break
		}
		var err error
		if reply, err = o.chatAskPlace(ctx, openid, st); err != nil {
			return oaReply{}, err
		}
	case st.Step == chatStepField:
		var err error
		if reply, err = o.chatField(ctx, openid, st, t); err != nil {
			return oaReply{}, err
		}
	case st.Step == chatStepPlace:
		if st.Code != "" && chatChoice(t, 1) == 1 {
			st.Step = chatStepContent
			reply = "好的，将转给" + st.Station + "办理。\n\n" + chatAskContent
			break
		}
		st.Code, st.Station = "", ""
		var err error
		if reply, err = o.chatMatchPlace(ctx, st, t); err != nil {
			return oaReply{}, err
		}
	case st.Step == chatStepPick:
		if k := chatChoice(t, len(st.Choices)); k > 0 {
			c := st.Choices[k-1]
			id, _ := strconv.ParseUint(c.Key, 10, 64)
			reply = o.chatSetCommunity(st, id, c.Name, c.Station)
			break
		}
		var err error
		if reply, err = o.chatMatchPlace(ctx, st, t); err != nil {
			return oaReply{}, err
		}
	case st.Step == chatStepPlaceOK:
		switch {
		case len(st.Choices) == 1 && isYes(t):
			c := st.Choices[0]
			id, _ := strconv.ParseUint(c.Key, 10, 64)
			reply = o.chatSetCommunity(st, id, c.Name, c.Station)
		case isNo(t) || len(st.Choices) != 1:
			st.Step, st.Choices = chatStepPlace, nil
			reply = "好的。" + chatAskPlace
		default:
			// Another name, perhaps.
			var err error
			if reply, err = o.chatMatchPlace(ctx, st, t); err != nil {
				return oaReply{}, err
			}
		}
	case st.Step == chatStepContent:
		n := utf8.RuneCountInString(t)
		switch {
		case n < chatMinContent:
			reply = "内容有点少，请至少写10个字，说明具体是什么问题、在哪里。" + chatCancelHint
		case n > chatMaxContent:
			reply = "内容超过了2000字，请精简后重新发送。" + chatCancelHint
		default:
			st.Content, st.Step = t, chatStepConfirm
			reply = chatSummary(st)
		}
	case st.Step == chatStepConfirm:
		if chatChoice(t, 1) == 1 {
			return o.chatSubmit(ctx, openid, st)
		}
		reply = "还没有提交。确认无误请回复1提交，不想提交请回复0取消。"
	default:
		if err := o.endChat(ctx, openid); err != nil {
			return oaReply{}, err
		}
		return textReply("您好！" + oaHelpText), nil
	}
	if err := o.saveChat(ctx, openid, st); err != nil {
		return oaReply{}, err
	}
	return textReply(reply), nil
}

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

func chatSummary(st *chatState) string {
	var b strings.Builder
	b.WriteString("请确认您要反映的内容：\n")
	b.WriteString("类别：" + st.CatName + "\n")
	for _, f := range models.CategoryFieldsOf(st.Category) {
		if v := st.Extra[f.Key]; v != "" {
			b.WriteString(f.Label + "：" + v + "\n")
		}
	}
	if st.Place != "" {
		b.WriteString("地点：" + st.Place + "\n")
	}
	if st.Station != "" {
		b.WriteString("办理单位：" + st.Station + "\n")
	}
	b.WriteString("内容：" + models.Shorten(st.Content, chatSummaryRunes, "…") + "\n\n回复1提交，回复0取消。")
	return b.String()
}

// chatVoter returns the voter of an official-account openid, created (as a
// follower: only followers can send messages) when needed.
func (o *oaServer) chatVoter(ctx context.Context, openid string) (models.Voter, error) {
	v, err := models.FindVoterByOAOpenID(ctx, o.h.DB, openid)
	if !errors.Is(err, models.ErrVoterNotFound) {
		return v, err
	}
	if err := models.SetVoterFollowing(ctx, o.h.DB, openid, true, o.h.Now()); err != nil {
		return models.Voter{}, err
	}
	return models.FindVoterByOAOpenID(ctx, o.h.DB, openid)
}

// chatSubmit files the opinion and ends the conversation.
func (o *oaServer) chatSubmit(ctx context.Context, openid string, st *chatState) (oaReply, error) {
	v, err := o.chatVoter(ctx, openid)
	if err != nil {
		return oaReply{}, err
	}
	in := models.FileInput{
		VoterID: v.ID, Category: st.Category, Content: st.Content, Extra: st.Extra, Code: st.Code,
		CommunityID: st.CommunityID, Lat: st.Lat, Lng: st.Lng,
		Source: models.SourceChat, IdempotencyKey: "chat:" + st.ID,
	}
	op, err := o.h.FileOpinion(ctx, in)
	var ve *models.ValidationError
	var ce *models.CodedError
	switch {
	case errors.As(err, &ve):
		return textReply(chatNotFiled(ve.Msg)), nil
	case errors.As(err, &ce) && !errors.Is(err, models.ErrConflict):
		return textReply(chatNotFiled(ce.Msg)), nil
	case err != nil:
		return oaReply{}, err
	}
	view, err := models.GetVoterOpinion(ctx, o.h.DB, v.ID, op.ID, o.h.Location)
	if err != nil {
		return oaReply{}, err
	}
	if err := o.endChat(ctx, openid); err != nil {
		// Filed: the next "1" would only replay the same filing.
		return oaReply{}, err
	}
	return textReply(fmt.Sprintf("提交成功！\n受理编号：%s\n已转给%s办理，一般2个工作日内受理。\n\n回复“进度”查看办理进度，或%s",
		view.TrackingNo, view.Station.Name, o.mpLink(o.myPage(), "在小程序中查看"))), nil
}

// chatNotFiled says why a filing was refused and how to go on.
func chatNotFiled(why string) string {
	return "提交没有成功：" + strings.TrimRight(why, "。.！!") + "。\n请回复“取消”，再重新开始。"
}

// chatProgress lists the voter's latest items with their status, across
// the voter rows linked by the same unionid (official account and
// mini-program).
func (o *oaServer) chatProgress(ctx context.Context, openid string) (oaReply, error) {
	none := textReply("您还没有反映过意见建议。回复“我要反映”即可开始。")
	v, err := models.FindVoterByOAOpenID(ctx, o.h.DB, openid)
	if errors.Is(err, models.ErrVoterNotFound) {
		return none, nil
	}
	if err != nil {
		return oaReply{}, err
	}
	ids := []uint64{v.ID}
	if v.UnionID != nil && *v.UnionID != "" {
		var more []uint64
		if err := o.h.DB.WithContext(ctx).Model(&models.Voter{}).Where("unionid = ? AND id <> ?", *v.UnionID, v.ID).
			Order("id").Limit(10).Pluck("id", &more).Error; err != nil {
			return oaReply{}, err
		}
		ids = append(ids, more...)
	}
	var items []models.OpinionView
	for _, id := range ids {
		got, _, err := models.ListVoterOpinions(ctx, o.h.DB, id, 0, chatProgressMax, o.h.Location)
		if err != nil {
			return oaReply{}, err
		}
		items = append(items, got...)
	}
	if len(items) == 0 {
		return none, nil
	}
	slices.SortFunc(items, func(a, b models.OpinionView) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmpUint(b.ID, a.ID)
	})
	items = items[:min(len(items), chatProgressMax)]
	var b strings.Builder
	b.WriteString("您最近反映的意见建议：")
	for i, it := range items {
		fmt.Fprintf(&b, "\n\n%d. %s｜%s\n%s提交｜%s\n%s", i+1, it.TrackingNo, it.StatusLabel,
			models.DateText(it.CreatedAt, o.h.Location), it.CategoryName,
			models.Shorten(strings.Join(strings.Fields(it.Content), " "), 20, "…"))
		if it.Station.Name != "" {
			b.WriteString("\n办理：" + it.Station.Name)
		}
	}
	b.WriteString("\n\n" + o.mpLink(o.myPage(), "查看详情和答复"))
	return textReply(b.String()), nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
