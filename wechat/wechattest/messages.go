package wechattest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// clientMsgWindow is how long WeChat de-duplicates openid+client_msg_id.
const clientMsgWindow = 10 * time.Minute

var openidRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

type dataItem struct {
	Value any `json:"value"`
}

// values flattens {"k":{"value":v}} into k → string(v).
func values(in map[string]dataItem) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		switch x := v.Value.(type) {
		case string:
			out[k] = x
		case nil:
			out[k] = ""
		default:
			b, _ := json.Marshal(x)
			out[k] = string(b)
		}
	}
	return out
}

type templateReq struct {
	ToUser      string              `json:"touser"`
	TemplateID  string              `json:"template_id"`
	URL         string              `json:"url"`
	ClientMsgID string              `json:"client_msg_id"`
	Data        map[string]dataItem `json:"data"`
	MiniProgram struct {
		AppID    string `json:"appid"`
		PagePath string `json:"pagepath"`
	} `json:"miniprogram"`
}

// handleTemplate is POST /cgi-bin/message/template/send.
//
// client_msg_id: WeChat documents "for the same openid + client_msg_id only
// one message is sent; effective for 10 minutes" but not the answer to the
// repeat. This fake answers errcode 0 with the original msgid and does not
// deliver again (mass send, by contrast, answers 45065 "clientmsgid exist").
// Keyword values are recorded as sent (WeChat silently truncates them to 20
// characters since 2023-05).
func (s *Server) handleTemplate(_ *http.Request, _ url.Values, body []byte, _ string) reply {
	var req templateReq
	if !decodeJSON(body, &req) {
		return errReply(47001, "")
	}
	if !openidRe.MatchString(req.ToUser) {
		return errReply(40003, "")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.TemplateID == "" || (s.st.strictTemplates && !s.st.templates[req.TemplateID]) {
		return errReply(40037, "")
	}
	if !s.st.followAll && !s.st.followers[req.ToUser] {
		return errReply(43004, "require subscribe")
	}
	now := time.Now()
	key := req.ToUser + "\x00" + req.ClientMsgID
	if req.ClientMsgID != "" {
		if prev, ok := s.st.clientMsgIDs[key]; ok && now.Sub(prev.at) < clientMsgWindow {
			return okReply(map[string]any{"msgid": prev.msgID})
		}
	}
	s.msgID++
	id := s.msgID
	if req.ClientMsgID != "" {
		s.st.clientMsgIDs[key] = sentMsg{msgID: id, at: now}
		s.pruneClientMsgIDs(now)
	}
	s.st.templatesOut = append(s.st.templatesOut, TemplateDelivery{
		ToUser: req.ToUser, TemplateID: req.TemplateID, URL: req.URL,
		MiniProgramAppID: req.MiniProgram.AppID, MiniProgramPage: req.MiniProgram.PagePath,
		Data: values(req.Data), ClientMsgID: req.ClientMsgID, MsgID: id, At: now,
	})
	link := req.URL
	if req.MiniProgram.PagePath != "" {
		link = "mini-program " + req.MiniProgram.PagePath
	}
	s.logDelivery("template", req.ToUser, req.TemplateID, link, values(req.Data), "")
	return okReply(map[string]any{"msgid": id})
}

// pruneClientMsgIDs drops expired de-dup entries whenever the map has
// doubled since the last sweep (amortised O(1) per send); caller holds s.mu.
func (s *Server) pruneClientMsgIDs(now time.Time) {
	if len(s.st.clientMsgIDs) < s.st.msgPruneAt {
		return
	}
	for k, v := range s.st.clientMsgIDs {
		if now.Sub(v.at) >= clientMsgWindow {
			delete(s.st.clientMsgIDs, k)
		}
	}
	s.st.msgPruneAt = max(4096, 2*len(s.st.clientMsgIDs))
}

type subscribeReq struct {
	ToUser           string              `json:"touser"`
	TemplateID       string              `json:"template_id"`
	Page             string              `json:"page"`
	MiniprogramState string              `json:"miniprogram_state"`
	Lang             string              `json:"lang"`
	Data             map[string]dataItem `json:"data"`
}

// handleSubscribe is POST /cgi-bin/message/subscribe/send: field rules
// (47003), page (41030), then one-time consent (43101); a send uses one
// consent.
func (s *Server) handleSubscribe(_ *http.Request, _ url.Values, body []byte, _ string) reply {
	var req subscribeReq
	if !decodeJSON(body, &req) {
		return errReply(47001, "")
	}
	if !openidRe.MatchString(req.ToUser) {
		return errReply(40003, "")
	}
	switch req.MiniprogramState {
	case "", "developer", "trial", "formal":
	default:
		return errReply(47003, "argument invalid! miniprogram_state invalid")
	}
	switch req.Lang {
	case "", "zh_CN", "en_US", "zh_HK", "zh_TW":
	default:
		return errReply(47003, "argument invalid! lang invalid")
	}
	data := values(req.Data)
	if len(data) == 0 {
		return errReply(47003, "argument invalid! data is empty")
	}
	for k, v := range data {
		if msg := checkField(k, v); msg != "" {
			return errReply(47003, fmt.Sprintf("argument invalid! data.%s.value %s", k, msg))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.TemplateID == "" || (s.st.strictTemplates && !s.st.templates[req.TemplateID]) {
		return errReply(40037, "")
	}
	if req.Page != "" && s.st.published != nil {
		p, _, _ := strings.Cut(req.Page, "?")
		if !s.st.published[strings.TrimPrefix(p, "/")] {
			return errReply(41030, "")
		}
	}
	ck := [2]string{req.ToUser, req.TemplateID}
	if !s.st.unlimitedConsent {
		if s.st.consent[ck] <= 0 {
			return errReply(43101, "")
		}
		s.st.consent[ck]--
	}
	s.st.subscribesOut = append(s.st.subscribesOut, SubscribeDelivery{
		ToUser: req.ToUser, TemplateID: req.TemplateID, Page: req.Page,
		MiniprogramState: req.MiniprogramState, Lang: req.Lang, Data: data, At: time.Now(),
	})
	s.logDelivery("subscribe", req.ToUser, req.TemplateID, req.Page, data, "")
	return okReply(nil)
}

type customReq struct {
	ToUser  string `json:"touser"`
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
}

// handleCustom is POST /cgi-bin/message/custom/send. Only followers can be
// reached; WeChat answers 45015 outside the 48-hour window or after an
// unfollow (the window itself is not modelled).
func (s *Server) handleCustom(_ *http.Request, _ url.Values, body []byte, _ string) reply {
	var req customReq
	if !decodeJSON(body, &req) {
		return errReply(47001, "")
	}
	if !openidRe.MatchString(req.ToUser) {
		return errReply(40003, "")
	}
	content := ""
	switch req.MsgType {
	case "text":
		if req.Text == nil || req.Text.Content == "" {
			return errReply(44003, "empty news data")
		}
		if len(req.Text.Content) > 2048 {
			return errReply(45002, "content size out of limit")
		}
		content = req.Text.Content
	case "":
		return errReply(40008, "invalid message type")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.st.followAll && !s.st.followers[req.ToUser] {
		return errReply(45015, "")
	}
	s.st.customsOut = append(s.st.customsOut, CustomDelivery{
		ToUser: req.ToUser, MsgType: req.MsgType, Content: content, At: time.Now(),
	})
	s.logDelivery("message", req.ToUser, "", "", nil, content)
	return okReply(nil)
}
