package official

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/redis/go-redis/v9"
)

// The opinion chat of the official account: "我要反映" (or the menu's
// MENU_FILE) starts a conversation kept in Redis under wx:{<openid>}:chat
// that asks, one push at a time, for the category, the category's extra
// fields (models.CategoryFieldsOf, e.g. the draft law's name), the place
// (the code scanned in the last 24 h, a community's exact name or alias, a
// fuzzy match the voter confirms or picks, or a shared location), the
// content, and a confirmation, then files through the same models path as
// the mini-program. "取消" and "退出" end it at every step, "帮助" explains
// the step and asks again. The state expires after chatTTL of
// silence; a marker (wx:{<openid>}:chatwas) outlives it so the next text can
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

// The chat and its marker are written together (saveChat's MULTI) and
// deleted together, so both carry the openid as their hash tag and land on
// one Redis Cluster node (docs/SCALE.md section 2).
func (o *oaServer) chatKey(openid string) string { return shared.ChatKey(o.h.RedisPrefix, openid) }
func (o *oaServer) chatMarker(openid string) string {
	return shared.ChatMarkerKey(o.h.RedisPrefix, openid)
}

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
