package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"deputylink/wechat"
)

// TEMPORARY until *wechat.Client gains AuthorizeURL and OAuthOpenID
// (branch i13-wechat): the same calls against the fake, by hand.
type adapterWebAuth struct {
	*wechat.Client
	base, appID, secret string
}

func (a adapterWebAuth) AuthorizeURL(redirectURI, state string) string {
	return a.base + "/connect/oauth2/authorize?appid=" + url.QueryEscape(a.appID) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) + "&response_type=code&scope=snsapi_base&state=" + state + "#wechat_redirect"
}

func (a adapterWebAuth) OAuthOpenID(ctx context.Context, code string) (string, error) {
	u := a.base + "/sns/oauth2/access_token?appid=" + a.appID + "&secret=" + a.secret + "&code=" + url.QueryEscape(code) + "&grant_type=authorization_code"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", &wechat.APIError{Op: "oauth", Msg: "transport"}
	}
	defer resp.Body.Close()
	var out struct {
		ErrCode int    `json:"errcode"`
		OpenID  string `json:"openid"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if out.ErrCode != 0 || resp.StatusCode != 200 {
		return "", &wechat.APIError{Op: "oauth", ErrCode: out.ErrCode, HTTPStatus: resp.StatusCode}
	}
	return out.OpenID, nil
}

func (a adapterWebAuth) JSConfig(context.Context, string) (wechat.JSConfig, error) {
	return wechat.JSConfig{}, nil
}
