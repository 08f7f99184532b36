package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/util"

	"deputylink/wechat"
	"deputylink/wechat/wechattest"
)

func TestRedact(t *testing.T) {
	cases := []struct{ in, leak string }{
		{"http get error : uri=https://api.weixin.qq.com/cgi-bin/message/template/send?access_token=79_AbC-d_E , statusCode=500", "79_AbC-d_E"},
		{"uri=https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=S3CR3T&js_code=0a1B2c&grant_type=authorization_code", "S3CR3T"},
		{"uri=https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=S3CR3T&js_code=0a1B2c&grant_type=x", "0a1B2c"},
		{`{"grant_type":"client_credential","appid":"wx1","secret": "S3CR3T"}`, "S3CR3T"},
		{`{"appsecret":"APPS3C","x":1}`, "APPS3C"},
		{"Post \"https://api.weixin.qq.com/x?access_token=TOK\": context deadline exceeded", "TOK"},
		{"corpsecret=CORP&AppSecret=MIXED", "MIXED"},
		{`{"session_key":"SK=="}`, "SK=="},
		{"uri=https://api.weixin.qq.com/sns/oauth2/access_token?appid=wx1&secret=S&code=061AbCd&grant_type=authorization_code", "061AbCd"},
	}
	for _, tc := range cases {
		out := wechat.Redact(tc.in)
		if strings.Contains(out, tc.leak) {
			t.Errorf("Redact(%q) = %q leaks %q", tc.in, out, tc.leak)
		}
		if !strings.Contains(out, "REDACTED") {
			t.Errorf("Redact(%q) = %q has no marker", tc.in, out)
		}
	}
	// errcode survives redaction.
	if out := wechat.Redact("errcode=40001 , errmsg=x"); out != "errcode=40001 , errmsg=x" {
		t.Errorf("Redact changed %q", out)
	}
}

func TestErrCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("template msg send error : errcode=40037 , errmsg=invalid template_id"), 40037},
		{fmt.Errorf("get qr_ticket error : errcode=-1 , errormsg=system error"), -1},
		{fmt.Errorf(`{"errcode": 45009,"errmsg":"quota"}`), 45009},
		{util.NewCommonError("Send", 43101, "refuse"), 43101},
		{fmt.Errorf("wrapped: %w", util.NewCommonError("Send", 47003, "bad")), 47003},
		{errors.New("http get error : uri=x , statusCode=500"), 0},
		{nil, 0},
	}
	for _, tc := range cases {
		if got := wechat.ErrCode(tc.err); got != tc.want {
			t.Errorf("ErrCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestRedactionOfSDKHTTPErrors: the SDK's non-200 errors embed the full URL
// (access_token, or appid+secret+js_code for code2session); none may leak.
func TestRedactionOfSDKHTTPErrors(t *testing.T) {
	e := newEnv(t)
	e.fake.Follow("ostaff1")
	if r := e.c.SendTemplate(context.Background(), tpl("ostaff1")); r.Outcome != wechat.Sent {
		t.Fatal(r.Err)
	}
	token := e.fake.StableToken(wechattest.DefaultOAAppID)
	if token == "" {
		t.Fatal("no token issued")
	}
	e.fake.HTTPStatusNext(tplPath, 500)
	r := e.c.SendTemplate(context.Background(), tpl("ostaff1"))
	msg := r.Err.Error()
	if strings.Contains(msg, token) || !strings.Contains(msg, "access_token=REDACTED") || !strings.Contains(msg, "500") {
		t.Fatalf("template error not redacted: %s", msg)
	}
	// Unwrap exposes only the class, never the raw SDK error.
	if inner := errors.Unwrap(r.Err); inner != wechat.ErrTransport {
		t.Fatalf("Unwrap = %v", inner)
	}

	e.fake.HTTPStatusNext("/sns/jscode2session", 502)
	_, err := e.c.Code2Session(context.Background(), "SECRETCODE123")
	if err == nil {
		t.Fatal("expected error")
	}
	for _, leak := range []string{wechattest.DefaultMPSecret, "SECRETCODE123"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("code2session error leaks %q: %s", leak, err)
		}
	}

	// A rejected secret on stable_token (body, not URL) is reported, not leaked.
	e.fake.AddApp(wechattest.DefaultMPAppID, "rotated-secret")
	_, err = e.c.PhoneNumber(context.Background(), "pc1")
	if wechat.ErrCode(err) != 40125 || strings.Contains(err.Error(), wechattest.DefaultMPSecret) {
		t.Fatalf("bad secret: %v", err)
	}
}
