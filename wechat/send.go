package wechat

import (
	"context"
	"errors"

	"github.com/silenceper/wechat/v2/miniprogram/subscribe"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// Outcome classifies a send for the outbox dispatcher.
type Outcome int

const (
	// Sent means WeChat accepted the message.
	Sent Outcome = iota
	// Retryable means try again later: system busy (-1), quota (45009),
	// network error, timeout, HTTP 5xx, a token still rejected after the
	// refresh, or any errcode not known to be final.
	Retryable
	// Permanent means retrying cannot help: bad openid (40003), not a
	// follower (43004), bad template (40037), bad data (47003), bad page
	// (41030), or input rejected locally / account not configured.
	Permanent
	// NoConsent means the user gave no (or no remaining) subscribe consent
	// (43101); not a failure to retry.
	NoConsent
)

// String returns a stable lower-case name, usable as a metric label.
func (o Outcome) String() string {
	switch o {
	case Sent:
		return "sent"
	case Retryable:
		return "retryable"
	case Permanent:
		return "permanent"
	case NoConsent:
		return "no_consent"
	}
	return "unknown"
}

// Result is the outcome of one send. Err is nil only when Outcome is Sent;
// otherwise it is a redacted *APIError.
type Result struct {
	Outcome Outcome
	MsgID   int64 // WeChat's msgid (template messages only)
	ErrCode int   // WeChat's errcode, 0 if none
	Err     error
}

// Classify maps a WeChat errcode to an Outcome (0 is Sent).
func Classify(errcode int) Outcome {
	switch errcode {
	case 0:
		return Sent
	case 43101:
		return NoConsent
	case 40003, 43004, 40037, 47003, 41030:
		return Permanent
	default: // -1, 45009, 40001/42001/40014 after the retry, unknown codes
		return Retryable
	}
}

// resultOf converts the error of call() into a Result.
func resultOf(err error) Result {
	if err == nil {
		return Result{Outcome: Sent}
	}
	code := ErrCode(err)
	r := Result{ErrCode: code, Err: err}
	switch {
	case code != 0:
		r.Outcome = Classify(code)
	case errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrNotConfigured):
		r.Outcome = Permanent
	default: // transport, timeout, HTTP status, undecodable body, cancelled
		r.Outcome = Retryable
	}
	return r
}

// TemplateMessage is an official-account template message (for staff, who
// follow the OA). MiniProgramAppID/MiniProgramPage take precedence over URL
// on WeChat's side.
type TemplateMessage struct {
	ToUser, TemplateID, URL           string
	MiniProgramAppID, MiniProgramPage string
	Data                              map[string]string
	// ClientMsgID is WeChat's anti-reentry key (client_msg_id): the same
	// openid+ClientMsgID is delivered at most once within 10 minutes. Use the
	// notification's id.
	ClientMsgID string
}

// SendTemplate sends an OA template message and returns WeChat's msgid.
func (c *Client) SendTemplate(ctx context.Context, m TemplateMessage) Result {
	const op = "template.send"
	if err := c.needOA(op); err != nil {
		return resultOf(err)
	}
	if m.ToUser == "" || m.TemplateID == "" {
		return resultOf(invalidArg(op, "touser and template_id are required"))
	}
	msg := &message.TemplateMessage{
		ToUser:      m.ToUser,
		TemplateID:  m.TemplateID,
		URL:         m.URL,
		ClientMsgID: m.ClientMsgID,
		Data:        make(map[string]*message.TemplateDataItem, len(m.Data)),
	}
	msg.MiniProgram.AppID = m.MiniProgramAppID
	msg.MiniProgram.PagePath = m.MiniProgramPage
	for k, v := range m.Data {
		msg.Data[k] = &message.TemplateDataItem{Value: v}
	}
	var msgID int64
	err := c.call(ctx, c.oaToken, op, func() error {
		var err error
		msgID, err = c.tmpl.Send(msg)
		return err
	})
	r := resultOf(err)
	r.MsgID = msgID
	return r
}

// SubscribeMessage is a mini-program subscribe message (for voters; each
// consent allows one send).
type SubscribeMessage struct {
	ToUser, TemplateID string
	// Page may carry a query, e.g. "pages/booking/detail?id=7".
	Page string
	// MiniprogramState is developer, trial or formal ("" = formal).
	MiniprogramState string
	// Data keys are template keywords such as "thing1", "time2"; WeChat
	// rejects values breaking the keyword's rule (thing: at most 20
	// characters, …) with 47003 instead of truncating.
	Data map[string]string
}

// SendSubscribe sends a mini-program subscribe message.
func (c *Client) SendSubscribe(ctx context.Context, m SubscribeMessage) Result {
	const op = "subscribe.send"
	if err := c.needMP(op); err != nil {
		return resultOf(err)
	}
	if m.ToUser == "" || m.TemplateID == "" {
		return resultOf(invalidArg(op, "touser and template_id are required"))
	}
	msg := &subscribe.Message{
		ToUser:           m.ToUser,
		TemplateID:       m.TemplateID,
		Page:             m.Page,
		MiniprogramState: m.MiniprogramState,
		Data:             make(map[string]*subscribe.DataItem, len(m.Data)),
	}
	for k, v := range m.Data {
		msg.Data[k] = &subscribe.DataItem{Value: v}
	}
	return resultOf(c.call(ctx, c.mpToken, op, func() error {
		return c.mpSub.Send(msg)
	}))
}

// SendCustomText sends an OA customer-service text message (allowed within
// 48 hours of the user's last interaction with the OA).
func (c *Client) SendCustomText(ctx context.Context, openid, text string) Result {
	const op = "custom.send"
	if err := c.needOA(op); err != nil {
		return resultOf(err)
	}
	if openid == "" || text == "" {
		return resultOf(invalidArg(op, "openid and text are required"))
	}
	msg := message.NewCustomerTextMessage(openid, text)
	return resultOf(c.call(ctx, c.oaToken, op, func() error {
		return c.custom.Send(msg)
	}))
}
