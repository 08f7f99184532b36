package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"deputylink/handlers"
	"deputylink/wechat/wechattest"
)

// Ensure serve gives the console the official account's web authorization
// and JS-SDK, on the configured authorize host, and serves the domain-check
// file; without an official account the console gets none.
func TestServeWiresWebAuth(t *testing.T) {
	e := newCLIEnv(t)
	e.env["DEPUTYLINK_WECHAT_AUTHORIZE_BASE"] = e.fake.URL()
	e.env["DEPUTYLINK_OA_VERIFY_FILE"] = "MP_verify_Ab12Cd34.txt"
	ctx := context.Background()
	a, err := openApp(ctx, func(k string) string { return e.env[k] }, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	deps, err := a.handlerDeps()
	if err != nil {
		t.Fatal(err)
	}
	if deps.WebAuth == nil {
		t.Fatal("no WebAuth with an official account configured")
	}

	// One tap: the authorize step on the fake comes back with a code that
	// names the chosen openid.
	e.fake.SetAuthorizeOpenID(wechattest.DefaultOAAppID, "oClerkWiring1")
	au := deps.WebAuth.AuthorizeURL("https://dl.example/console/auth/wechat/back", "St8")
	if !strings.HasPrefix(au, e.fake.URL()+"/connect/oauth2/authorize?") {
		t.Fatalf("AuthorizeURL %s is not on the configured host", au)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(au)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if openid, err := deps.WebAuth.OAuthOpenID(ctx, loc.Query().Get("code")); err != nil || openid != "oClerkWiring1" {
		t.Fatalf("OAuthOpenID = %q, %v", openid, err)
	}
	if cfg, err := deps.WebAuth.JSConfig(ctx, "https://dl.example/console/desk"); err != nil || cfg.AppID != wechattest.DefaultOAAppID {
		t.Fatalf("JSConfig = %+v, %v", cfg, err)
	}

	srv := httptest.NewServer(handlers.NewRouter(deps))
	t.Cleanup(srv.Close)
	res, err := http.Get(srv.URL + "/MP_verify_Ab12Cd34.txt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "Ab12Cd34" {
		t.Fatalf("domain-check file: %d %q", res.StatusCode, body)
	}

	delete(e.env, "DEPUTYLINK_OA_APPID")
	delete(e.env, "DEPUTYLINK_OA_SECRET")
	b, err := openApp(ctx, func(k string) string { return e.env[k] }, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.close)
	if deps, err := b.handlerDeps(); err != nil || deps.WebAuth != nil {
		t.Fatalf("without an official account: WebAuth %v, %v", deps.WebAuth, err)
	}
}
