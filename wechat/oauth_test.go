package wechat_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"deputylink/wechat"
	"deputylink/wechat/wechattest"
)

// withAuthorize points the client's web authorization at the fake too (the
// one fake serves both hosts).
func withAuthorize(cfg *wechat.Config) { cfg.AuthorizeBase = cfg.APIBase + "/" }

func TestAuthorizeURL(t *testing.T) {
	e := newEnv(t)
	got := e.c.AuthorizeURL("https://dl.example/console/auth/wechat/back?next=/console/opinions/7&x=1", "Ab12")
	want := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + wechattest.DefaultOAAppID +
		"&redirect_uri=https%3A%2F%2Fdl.example%2Fconsole%2Fauth%2Fwechat%2Fback%3Fnext%3D%2Fconsole%2Fopinions%2F7%26x%3D1" +
		"&response_type=code&scope=snsapi_base&state=Ab12#wechat_redirect"
	if got != want {
		t.Fatalf("AuthorizeURL\n got %s\nwant %s", got, want)
	}
	f := newEnv(t, withAuthorize)
	if u := f.c.AuthorizeURL("https://x/", "S"); !strings.HasPrefix(u, f.fake.URL()+"/connect/oauth2/authorize?") {
		t.Fatalf("custom base: %s", u)
	}
	none := newEnv(t, func(c *wechat.Config) { c.OAAppID, c.OASecret = "", "" })
	if u := none.c.AuthorizeURL("https://x/", "S"); u != "" {
		t.Fatalf("no official account: %q", u)
	}
	for s, ok := range map[string]bool{"Ab12": true, "": false, "a-b": false, strings.Repeat("a", 128): true, strings.Repeat("a", 129): false} {
		if wechat.ValidOAuthState(s) != ok {
			t.Errorf("ValidOAuthState(%q) = %v", s, !ok)
		}
	}
}

// authorizeCode follows the client's AuthorizeURL through the fake as a
// browser would, up to the redirect back, and returns code and state.
func authorizeCode(t *testing.T, e *env, back, state string) (string, string) {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(e.c.AuthorizeURL(back, state))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %q %v", resp.StatusCode, resp.Header.Get("Location"), err)
	}
	if !strings.HasPrefix(loc.String(), back) {
		t.Fatalf("redirected to %s, not back to %s", loc, back)
	}
	return loc.Query().Get("code"), loc.Query().Get("state")
}

func TestOAuthOpenID(t *testing.T) {
	e := newEnv(t, withAuthorize)
	fake := e.fake
	ctx := context.Background()
	fake.SetAuthorizeOpenID(wechattest.DefaultOAAppID, "oClerk1")

	code, state := authorizeCode(t, e, "https://dl.example/console/auth/wechat/back?next=%2Fconsole", "Xy9")
	if state != "Xy9" {
		t.Fatalf("state %q", state)
	}
	openid, err := e.c.OAuthOpenID(ctx, code)
	if err != nil || openid != "oClerk1" {
		t.Fatalf("OAuthOpenID = %q, %v", openid, err)
	}
	// Used, unknown, empty: the user's code, not WeChat, is at fault.
	_, err = e.c.OAuthOpenID(ctx, code)
	if wechat.ErrCode(err) != 40163 || !wechat.IsBadOAuthCode(err) {
		t.Fatalf("reused code: %v", err)
	}
	if strings.Contains(err.Error(), code) || strings.Contains(err.Error(), wechattest.DefaultOASecret) {
		t.Fatalf("error leaks the code or secret: %v", err)
	}
	if _, err := e.c.OAuthOpenID(ctx, "forged"); wechat.ErrCode(err) != 40029 || !wechat.IsBadOAuthCode(err) {
		t.Fatalf("unknown code: %v", err)
	}
	if _, err := e.c.OAuthOpenID(ctx, ""); !errors.Is(err, wechat.ErrInvalidArgument) || !wechat.IsBadOAuthCode(err) {
		t.Fatalf("empty code: %v", err)
	}
	// The exchange needs no account access token.
	if n := fake.StableTokenCalls(wechattest.DefaultOAAppID); n != 0 {
		t.Fatalf("stable_token calls = %d", n)
	}

	// WeChat or our set-up failing is not the user's code.
	code, _ = authorizeCode(t, e, "https://dl.example/back", "S")
	fake.HTTPStatusNext("/sns/oauth2/access_token", http.StatusBadGateway)
	if _, err := e.c.OAuthOpenID(ctx, code); !errors.Is(err, wechat.ErrTransport) || wechat.IsBadOAuthCode(err) {
		t.Fatalf("502: %v", err)
	}
	fake.FailNext("/sns/oauth2/access_token", -1)
	if _, err := e.c.OAuthOpenID(ctx, code); wechat.ErrCode(err) != -1 || wechat.IsBadOAuthCode(err) {
		t.Fatalf("system busy: %v", err)
	}
	fake.AddApp(wechattest.DefaultOAAppID, "rotated-secret")
	_, err = e.c.OAuthOpenID(ctx, code)
	if wechat.ErrCode(err) != 40125 || wechat.IsBadOAuthCode(err) {
		t.Fatalf("bad secret: %v", err)
	}
	if strings.Contains(err.Error(), code) || strings.Contains(err.Error(), wechattest.DefaultOASecret) {
		t.Fatalf("error leaks the code or secret: %v", err)
	}
	fake.AddApp(wechattest.DefaultOAAppID, wechattest.DefaultOASecret)
	if openid, err := e.c.OAuthOpenID(ctx, code); err != nil || openid != "oClerk1" {
		t.Fatalf("after the failures the code still works once: %q %v", openid, err)
	}

	none := newEnv(t, func(c *wechat.Config) { c.OAAppID, c.OASecret = "", "" })
	if _, err := none.c.OAuthOpenID(ctx, "x"); !errors.Is(err, wechat.ErrNotConfigured) || wechat.IsBadOAuthCode(err) {
		t.Fatalf("not configured: %v", err)
	}
}
