package wechat_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"deputylink/wechat"
	"deputylink/wechat/wechattest"
)

func TestClassify(t *testing.T) {
	cases := map[int]wechat.Outcome{
		0: wechat.Sent, -1: wechat.Retryable, 45009: wechat.Retryable, 45011: wechat.Retryable,
		40001: wechat.Retryable, 42001: wechat.Retryable, 40014: wechat.Retryable, 99999: wechat.Retryable,
		40003: wechat.Permanent, 43004: wechat.Permanent, 40037: wechat.Permanent,
		47003: wechat.Permanent, 41030: wechat.Permanent, 43101: wechat.NoConsent,
	}
	for code, want := range cases {
		if got := wechat.Classify(code); got != want {
			t.Errorf("Classify(%d) = %v, want %v", code, got, want)
		}
	}
	if wechat.NoConsent.String() != "no_consent" || wechat.Outcome(42).String() != "unknown" {
		t.Error("Outcome.String")
	}
}

// TestSendClassificationAgainstFake injects each errcode into the fake and
// checks the Result of a real SDK round trip.
func TestSendClassificationAgainstFake(t *testing.T) {
	e := newEnv(t)
	e.fake.Follow("ostaff1")
	if r := e.c.SendTemplate(context.Background(), tpl("ostaff1")); r.Outcome != wechat.Sent || r.MsgID == 0 {
		t.Fatalf("warm-up: %+v", r)
	}
	cases := []struct {
		codes []int // injected, in order
		want  wechat.Outcome
		calls int // template/send calls expected
	}{
		{[]int{-1}, wechat.Retryable, 1},
		{[]int{45009}, wechat.Retryable, 1},
		{[]int{40003}, wechat.Permanent, 1},
		{[]int{43004}, wechat.Permanent, 1},
		{[]int{40037}, wechat.Permanent, 1},
		{[]int{47003}, wechat.Permanent, 1},
		{[]int{41030}, wechat.Permanent, 1},
		{[]int{43101}, wechat.NoConsent, 1},
		{[]int{12345}, wechat.Retryable, 1},
		{[]int{40001}, wechat.Sent, 2}, // one refresh + retry fixes it
		{[]int{42001}, wechat.Sent, 2},
		{[]int{40014}, wechat.Sent, 2},
		{[]int{40001, 40001}, wechat.Retryable, 2}, // still failing after the retry
		{[]int{42001, -1}, wechat.Retryable, 2},
	}
	for _, tc := range cases {
		e.fake.Reset()
		e.fake.Follow("ostaff1")
		e.fake.FailNext(tplPath, tc.codes...)
		r := e.c.SendTemplate(context.Background(), tpl("ostaff1"))
		if r.Outcome != tc.want {
			t.Errorf("%v: outcome %v, want %v (err %v)", tc.codes, r.Outcome, tc.want, r.Err)
		}
		if n := e.fake.CallCount(tplPath); n != tc.calls {
			t.Errorf("%v: %d calls, want %d", tc.codes, n, tc.calls)
		}
		if tc.want == wechat.Sent {
			continue
		}
		last := tc.codes[len(tc.codes)-1]
		var ae *wechat.APIError
		if !errors.As(r.Err, &ae) || ae.ErrCode != last || r.ErrCode != last || ae.Op != "template.send" {
			t.Errorf("%v: err %#v / ErrCode %d, want APIError with %d", tc.codes, r.Err, r.ErrCode, last)
		}
	}

	// HTTP 5xx: Retryable, no errcode, status kept, class ErrTransport.
	for _, status := range []int{500, 502, 503} {
		e.fake.HTTPStatusNext(tplPath, status)
		r := e.c.SendTemplate(context.Background(), tpl("ostaff1"))
		var ae *wechat.APIError
		if r.Outcome != wechat.Retryable || r.ErrCode != 0 || !errors.As(r.Err, &ae) || ae.HTTPStatus != status ||
			!errors.Is(r.Err, wechat.ErrTransport) {
			t.Errorf("HTTP %d: %+v", status, r)
		}
	}
	// Real fake rules, no injection: a non-follower is Permanent (43004).
	if r := e.c.SendTemplate(context.Background(), tpl("ostranger")); r.Outcome != wechat.Permanent || r.ErrCode != 43004 {
		t.Errorf("non-follower: %+v", r)
	}
}

func TestSendTimeoutIsRetryable(t *testing.T) {
	e := newEnv(t, func(c *wechat.Config) { c.HTTPTimeout = 150 * time.Millisecond })
	e.fake.Follow("ostaff1")
	if r := e.c.SendTemplate(context.Background(), tpl("ostaff1")); r.Outcome != wechat.Sent {
		t.Fatalf("warm-up: %v", r.Err)
	}
	e.fake.SetLatency(400 * time.Millisecond)
	start := time.Now()
	r := e.c.SendTemplate(context.Background(), tpl("ostaff1"))
	if r.Outcome != wechat.Retryable || !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %+v", r)
	}
	if el := time.Since(start); el > 350*time.Millisecond {
		t.Fatalf("timeout took %v", el)
	}
	if strings.Contains(r.Err.Error(), e.fake.StableToken(wechattest.DefaultOAAppID)) {
		t.Fatalf("token leaked: %v", r.Err)
	}
	// A cancelled context is Retryable too and makes no call. The fake
	// records the abandoned call above (as a 499) when it notices the
	// client left, which may be after SendTemplate returned: wait for that
	// record first, or it would be counted against the cancelled send.
	e.fake.SetLatency(0)
	for deadline := time.Now().Add(5 * time.Second); e.fake.CallCount(tplPath) < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("the fake never recorded the abandoned call (%d calls)", e.fake.CallCount(tplPath))
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := e.fake.CallCount(tplPath)
	if r := e.c.SendTemplate(ctx, tpl("ostaff1")); r.Outcome != wechat.Retryable || !errors.Is(r.Err, context.Canceled) {
		t.Fatalf("cancelled: %+v", r)
	}
	if e.fake.CallCount(tplPath) != before {
		t.Fatal("cancelled send reached the server")
	}
}

func TestSendTemplateFields(t *testing.T) {
	e := newEnv(t)
	e.fake.Follow("ostaff1")
	m := tpl("ostaff1")
	m.ClientMsgID = "notif-42"
	r1 := e.c.SendTemplate(context.Background(), m)
	r2 := e.c.SendTemplate(context.Background(), m) // outbox retry after a lost reply
	if r1.Outcome != wechat.Sent || r2.Outcome != wechat.Sent || r1.MsgID != r2.MsgID {
		t.Fatalf("client_msg_id resend: %+v / %+v", r1, r2)
	}
	got := e.fake.Templates()
	if len(got) != 1 {
		t.Fatalf("delivered %d, want 1 (client_msg_id de-dup)", len(got))
	}
	d := got[0]
	if d.ToUser != "ostaff1" || d.TemplateID != m.TemplateID || d.ClientMsgID != "notif-42" ||
		d.MiniProgramAppID != wechattest.DefaultMPAppID || d.MiniProgramPage != "pages/admin/index" ||
		d.Data["thing1"] != "新预约" || d.MsgID != r1.MsgID {
		t.Fatalf("delivery = %+v", d)
	}
	if r := e.c.SendTemplate(context.Background(), wechat.TemplateMessage{ToUser: "x"}); r.Outcome != wechat.Permanent ||
		!errors.Is(r.Err, wechat.ErrInvalidArgument) {
		t.Fatalf("missing template id: %+v", r)
	}
}

func TestSendSubscribeRulesAndConsent(t *testing.T) {
	e := newEnv(t)
	const openid, tplID = "ovoter1", "TPL_BOOKED"
	e.fake.GrantConsent(openid, tplID, 2)
	msg := func(thing string) wechat.SubscribeMessage {
		return wechat.SubscribeMessage{ToUser: openid, TemplateID: tplID, Page: "pages/booking/detail?id=7",
			MiniprogramState: "formal", Data: map[string]string{"thing1": thing, "time2": "2025年3月1日 09:30"}}
	}
	// thing over 20 characters → 47003 Permanent; consent not consumed.
	r := e.c.SendSubscribe(context.Background(), msg(strings.Repeat("人", 21)))
	if r.Outcome != wechat.Permanent || r.ErrCode != 47003 {
		t.Fatalf("21-char thing: %+v", r)
	}
	if e.fake.Consent(openid, tplID) != 2 {
		t.Fatal("rejected send consumed consent")
	}
	// 20 Chinese characters are fine (runes, not bytes).
	for i := range 2 {
		if r := e.c.SendSubscribe(context.Background(), msg(strings.Repeat("人", 20))); r.Outcome != wechat.Sent {
			t.Fatalf("send %d: %+v", i, r)
		}
	}
	// Consent used up → NoConsent.
	r = e.c.SendSubscribe(context.Background(), msg("预约成功"))
	if r.Outcome != wechat.NoConsent || r.ErrCode != 43101 {
		t.Fatalf("after consent used up: %+v", r)
	}
	subs := e.fake.Subscribes()
	if len(subs) != 2 || subs[0].Page != "pages/booking/detail?id=7" || subs[0].MiniprogramState != "formal" {
		t.Fatalf("subscribes = %+v", subs)
	}
	// Other field rules surface as 47003 too.
	e.fake.GrantConsent(openid, tplID, 1)
	bad := wechat.SubscribeMessage{ToUser: openid, TemplateID: tplID, Data: map[string]string{"phrase3": "已经完成办理"}}
	if r := e.c.SendSubscribe(context.Background(), bad); r.ErrCode != 47003 {
		t.Fatalf("6-char phrase: %+v", r)
	}
}

func TestSendCustomText(t *testing.T) {
	e := newEnv(t)
	e.fake.Follow("ostaff1")
	if r := e.c.SendCustomText(context.Background(), "ostaff1", "您好，预约已确认"); r.Outcome != wechat.Sent {
		t.Fatalf("custom: %+v", r)
	}
	if c := e.fake.Customs(); len(c) != 1 || c[0].Content != "您好，预约已确认" || c[0].MsgType != "text" {
		t.Fatalf("customs = %+v", c)
	}
	e.fake.FailNext(customPath, 45009)
	if r := e.c.SendCustomText(context.Background(), "ostaff1", "x"); r.Outcome != wechat.Retryable || r.ErrCode != 45009 {
		t.Fatalf("quota: %+v", r)
	}
}

func TestNotConfigured(t *testing.T) {
	e := newEnv(t, func(c *wechat.Config) { c.MPAppID, c.MPSecret = "", "" })
	r := e.c.SendSubscribe(context.Background(), wechat.SubscribeMessage{ToUser: "o", TemplateID: "t"})
	if r.Outcome != wechat.Permanent || !errors.Is(r.Err, wechat.ErrNotConfigured) {
		t.Fatalf("subscribe without MP: %+v", r)
	}
	if _, err := e.c.Code2Session(context.Background(), "test:o1"); !errors.Is(err, wechat.ErrNotConfigured) {
		t.Fatalf("code2session without MP: %v", err)
	}
	if e.c.MPAppID() != "" || e.c.OAAppID() != wechattest.DefaultOAAppID || e.c.OfficialAccount() == nil {
		t.Fatal("accessors")
	}
	e2 := newEnv(t, func(c *wechat.Config) { c.OAAppID, c.OASecret = "", "" })
	if e2.c.OfficialAccount() != nil {
		t.Fatal("OfficialAccount() should be nil when unconfigured")
	}
	if r := e2.c.SendTemplate(context.Background(), tpl("o")); !errors.Is(r.Err, wechat.ErrNotConfigured) {
		t.Fatalf("template without OA: %+v", r)
	}
	if _, err := e2.c.QRTicket(context.Background(), "s", time.Minute, false); !errors.Is(err, wechat.ErrNotConfigured) {
		t.Fatalf("qr without OA: %v", err)
	}
}
