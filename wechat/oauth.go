package wechat

import (
	"context"
	"errors"
	"net/url"
	"regexp"
)

// DefaultAuthorizeBase is the origin of WeChat's web-authorization page;
// Config.AuthorizeBase replaces it (the fake in tests).
const DefaultAuthorizeBase = "https://open.weixin.qq.com"

// stateRe is what WeChat accepts as state: up to 128 of [a-zA-Z0-9]
// (docs/WECHAT.md#web-authorization-and-js-sdk).
var stateRe = regexp.MustCompile(`^[a-zA-Z0-9]{1,128}$`)

// ValidOAuthState reports whether state is one WeChat hands back unchanged:
// 1..128 characters of [a-zA-Z0-9].
func ValidOAuthState(state string) bool { return stateRe.MatchString(state) }

// AuthorizeURL is the official account's silent web authorization (scope
// snsapi_base) that comes back to redirectURI with ?code=…&state=….
//
// It is built here rather than with the SDK's oauth.GetRedirectURL, which
// hard-codes open.weixin.qq.com (the fake needs another host) and does not
// escape state. The parameters keep WeChat's documented order, and the
// #wechat_redirect fragment WeChat requires. With no official account it
// returns "".
func (c *Client) AuthorizeURL(redirectURI, state string) string {
	if c.oa == nil {
		return ""
	}
	return c.authorize + "/connect/oauth2/authorize?appid=" + url.QueryEscape(c.cfg.OAAppID) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) +
		"&response_type=code&scope=snsapi_base&state=" + url.QueryEscape(state) +
		"#wechat_redirect"
}

// OAuthOpenID exchanges a web-authorization code for the user's openid
// (GET /sns/oauth2/access_token, through the same API base and transport as
// every other call). The user access token it also yields is dropped: the
// openid is all the console needs. A code WeChat refuses (unknown, expired
// or used) is an *APIError for which IsBadOAuthCode is true.
func (c *Client) OAuthOpenID(ctx context.Context, code string) (string, error) {
	const op = "oauth2.access_token"
	if err := c.needOA(op); err != nil {
		return "", err
	}
	if code == "" || len(code) > 512 {
		return "", invalidArg(op, "code must be 1..512 bytes")
	}
	// The SDK formats code into the URL without escaping; escape it here.
	esc := url.QueryEscape(code)
	var openid string
	err := c.call(ctx, nil, op, func() error {
		res, err := c.oauth.GetUserAccessTokenContext(ctx, esc)
		openid = res.OpenID
		return err
	})
	if err != nil {
		return "", err
	}
	if openid == "" {
		return "", &APIError{Op: op, Msg: "answer without openid", kind: ErrTransport}
	}
	return openid, nil
}

// IsBadOAuthCode reports whether err means the web-authorization code
// itself is no good: 40029 (unknown or expired), 40163 (already used) or
// 41008 (missing), or a code refused locally. The user fixes that by
// opening the page again; anything else (40125 bad secret, -1, timeouts)
// is WeChat or our set-up failing, not the user.
func IsBadOAuthCode(err error) bool {
	if err == nil {
		return false
	}
	switch ErrCode(err) {
	case 40029, 40163, 41008:
		return true
	}
	return errors.Is(err, ErrInvalidArgument)
}
